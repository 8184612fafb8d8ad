using PcapInsight.Core.Capture;
using PcapInsight.Core.Events;
using PcapInsight.Core.Flows;

namespace PcapInsight.Core.Analysis;

/// <summary>Everything an analysis found; the report writers read only this.</summary>
public sealed class AnalysisResult
{
    /// <summary>One entry per input file, in the order given.</summary>
    public required IReadOnlyList<CaptureFileStats> Files { get; init; }

    /// <summary>Decoder counters.</summary>
    public required PacketCounters Packets { get; init; }

    /// <summary>Earliest frame time (ns since the epoch); 0 when there were no frames.</summary>
    public long FirstTimeNs { get; init; }

    /// <summary>What the report was narrowed to (e.g. "host 192.0.2.1, from 12.5 s"); null for the whole capture.</summary>
    public string? Selection { get; init; }

    /// <summary>IP packet sizes, whole packets and fragments apart.</summary>
    public IpSizeHistogram IpSizes { get; init; } = new();

    /// <summary>Latest frame time.</summary>
    public long LastTimeNs { get; init; }

    /// <summary>Link types seen, in order of first appearance.</summary>
    public required IReadOnlyList<LinkType> LinkTypes { get; init; }

    /// <summary>The listed flows (all of them unless --max-listed-flows released some), ordered by id.</summary>
    public required IReadOnlyList<Flow> Flows { get; init; }

    /// <summary>
    /// The flows released from memory past --max-listed-flows, as summaries read back from the spool in id order
    /// (enumerating reads the spool file); empty without a spool. flows.csv merges them with <see cref="Flows"/>.
    /// </summary>
    public IEnumerable<FlowSummary> ReleasedFlows { get; init; } = [];

    /// <summary>
    /// <see cref="ReleasedFlows"/>, decoded into summaries <paramref name="reuse"/> hands out: for a writer that is
    /// done with each summary once its row is written and gives it back (<see cref="FlowSummaryPool.Return"/>), so a
    /// million spooled flows cost a few batches of summaries instead of a million. Without a spool to read (a result
    /// made by hand), copies of <see cref="ReleasedFlows"/>: the pool never overwrites a summary someone else holds.
    /// </summary>
    public IEnumerable<FlowSummary> ReadReleasedFlows(FlowSummaryPool reuse) =>
        ReleasedReader is { } read ? read(reuse) : ReleasedFlows.Select(f => f.Copy());

    /// <summary>What <see cref="ReadReleasedFlows"/> reads; null when <see cref="ReleasedFlows"/> is all there is to read.</summary>
    internal Func<FlowSummaryPool, IEnumerable<FlowSummary>>? ReleasedReader { get; init; }

    /// <summary>
    /// The best of <see cref="ReleasedFlows"/> by <see cref="BestFlows.Compare"/> (at most <see cref="BestFlows.Capacity"/> a
    /// spool): with the listed flows, every candidate for report.html's table of flows. Kept in memory by the spools;
    /// under a selection, chosen from the selected released flows when enumerated (the spool is read then).
    /// </summary>
    public IEnumerable<FlowSummary> ReleasedBest { get; init; } = [];

    /// <summary>The spools behind <see cref="ReleasedFlows"/> (one per shard); dispose them once the report is written (deletes their files).</summary>
    public IReadOnlyList<FlowSpool> Spools { get; init; } = [];

    /// <summary>Disposing it disposes every spool of <see cref="Spools"/> (for a <c>using</c> around the report's writing).</summary>
    public IDisposable SpoolFiles() => new SpoolFileSet(Spools);

    /// <summary>Flows the spools hold (listed in flows.csv although released).</summary>
    public long SpooledFlows
    {
        get
        {
            // Loops rather than LINQ's Sum and Max here and below: those are generic math code of the framework, compiled at run time every run.
            long flows = 0;
            for (int i = 0; i < Spools.Count; i++)
            {
                flows += Spools[i].Count;
            }
            return flows;
        }
    }

    /// <summary>Why a spool could not be written, and how many flows it lost; null when none failed.</summary>
    public (string Failure, long Lost)? SpoolFailure
    {
        get
        {
            string? failure = null;
            long lost = 0;
            for (int i = 0; i < Spools.Count; i++)
            {
                failure ??= Spools[i].Failure;
                lost += Spools[i].Lost;
            }
            return failure is null ? null : (failure, lost);
        }
    }

    private sealed class SpoolFileSet(IReadOnlyList<FlowSpool> spools) : IDisposable
    {
        public void Dispose()
        {
            foreach (FlowSpool s in spools)
            {
                s.Dispose();
            }
        }
    }

    /// <summary>
    /// Every flow of the report by protocol: the listed ones and the released ones. Without a selection the released
    /// ones are the table's counts (which also hold any a failed spool lost); with one, those of the spool the
    /// selection keeps (read back from it). summary.json, the console and report.html all count with this: counted
    /// once a result, so that under a selection the spool of a million flows is read once, not by each of them.
    /// </summary>
    public (long Tcp, long Udp, long Other) FlowsByProtocol() => (_byProtocol ??= new(CountByProtocol())).Value;

    // A box, not a nullable tuple: published by one reference write, so a reader on another thread never sees half of it.
    private System.Runtime.CompilerServices.StrongBox<(long Tcp, long Udp, long Other)>? _byProtocol;

    private (long Tcp, long Udp, long Other) CountByProtocol()
    {
        long tcp = Flows.Count(f => f.Protocol == 6), udp = Flows.Count(f => f.Protocol == 17), other = Flows.Count - tcp - udp;
        if (Selection is null)
        {
            (long rt, long ru, long ro) = FlowTable.Released;
            return (tcp + rt, udp + ru, other + ro);
        }
        var reuse = new FlowSummaryPool();
        foreach (FlowSummary f in ReadReleasedFlows(reuse))
        {
            _ = f.Protocol switch { 6 => tcp++, 17 => udp++, _ => other++ };
            reuse.Return(f);
        }
        return (tcp, udp, other);
    }

    /// <summary>Flow table figures.</summary>
    public required FlowTableFigures FlowTable { get; init; }

    /// <summary>The events, their counts and the kept rows.</summary>
    public required EventCollector Events { get; init; }

    /// <summary>Every datagram that arrived in fragments (fragments.csv), up to the event-row limit.</summary>
    public IReadOnlyList<Fragments.DatagramRecord> Datagrams { get; init; } = [];

    /// <summary>Fragmented datagrams beyond the row limit (counted, not listed).</summary>
    public long DatagramsNotListed { get; init; }

    /// <summary>The kernel counters that changed around the capture, when given (<c>--netstat</c>).</summary>
    public IReadOnlyList<(string Name, long Delta)>? KernelCounterDeltas { get; init; }

    /// <summary>
    /// TCP flows whose time series (tcp_series.csv, and so their charts) was not recorded: <see cref="AnalysisOptions.SeriesFlows"/>
    /// flows held one when they began. 0 when no series are recorded.
    /// </summary>
    public long SeriesFlowsRefused { get; init; }

    /// <summary>
    /// Flows analysed again, on their own, for their time series (<see cref="FlowReplay"/>): the flows a selection draws
    /// (<c>analyze --flow N</c>, <c>--host</c>, ...) that had no series slot in the analysis. The charts and tcp_series.csv
    /// take a replayed flow in place of the one of the same id; the tables and counts keep the analysis' own figures.
    /// Empty otherwise.
    /// </summary>
    public IReadOnlyList<Flow> Replayed => _replayed;

    private IReadOnlyList<Flow> _replayed = [];

    /// <summary>
    /// The flows whose time series was recorded, in id order: the listed ones, and the replayed ones (<see cref="Replayed"/>)
    /// in their ids' places. The charts and tcp_series.csv read these.
    /// </summary>
    public IEnumerable<Flow> FlowsWithSeries()
    {
        HashSet<int>? replayedIds = Replayed.Count > 0 ? Replayed.Select(f => f.Id).ToHashSet() : null;
        int next = 0;
        foreach (Flow f in Flows)
        {
            for (; next < Replayed.Count && Replayed[next].Id <= f.Id; next++)
            {
                yield return Replayed[next];
            }
            if (f.Tcp?.Series is not null && replayedIds?.Contains(f.Id) != true)
            {
                yield return f;
            }
        }
        for (; next < Replayed.Count; next++)
        {
            yield return Replayed[next];
        }
    }

    /// <summary>This result with <paramref name="flows"/> among its <see cref="Replayed"/> flows (a shallow copy; this one is unchanged).</summary>
    public AnalysisResult WithReplayed(IEnumerable<Flow> flows)
    {
        var copy = (AnalysisResult)MemberwiseClone();
        var replayed = new List<Flow>(flows);
        replayed.AddRange(Replayed.Where(f => !replayed.Any(r => r.Id == f.Id)));
        replayed.Sort((a, b) => a.Id.CompareTo(b.Id));
        copy._replayed = replayed;
        return copy;
    }

    /// <summary>Each host's delayed-ACK profile (the hosts that sent pure ACKs for everything outstanding).</summary>
    public IReadOnlyList<TcpAnalysis.DelayedAckProfile> DelayedAckProfiles { get; init; } = [];

    /// <summary>
    /// Hosts that sent timed pure ACKs after every profile slot (<see cref="TcpAnalysis.NagleOptions.MaxProfiledHosts"/>)
    /// was taken, so have no profile, of the whole capture: counted one by one up to a bound (16 per profiled host).
    /// </summary>
    public long DelayedAckHostsNotProfiled { get; init; }

    /// <summary>True when <see cref="DelayedAckHostsNotProfiled"/> reached its bound: there may be more hosts.</summary>
    public bool DelayedAckHostsNotProfiledAtLeast { get; init; }

    /// <summary>Timestamp precision of the capture in decimal digits (6 or 9), for formatting times.</summary>
    public int TimestampDigits
    {
        get
        {
            int digits = Files.Count == 0 ? 6 : 0;
            for (int i = 0; i < Files.Count; i++)
            {
                digits = Math.Max(digits, Files[i].TimestampDigits);
            }
            return digits;
        }
    }

    /// <summary>True when any file stopped before its end.</summary>
    public bool Truncated => Files.Any(f => f.StoppedEarly);

    /// <summary>Every reader warning of every file, in order.</summary>
    public IEnumerable<CaptureWarning> Warnings => Files.SelectMany(f => f.Warnings);
}

/// <summary>How the flow table fared.</summary>
/// <param name="Created">Flows created.</param>
/// <param name="PeakActive">Most flows held at once.</param>
/// <param name="Expired">Flows closed for idleness.</param>
/// <param name="Evicted">Flows closed early because the table was full.</param>
public sealed record FlowTableFigures(int Created, int PeakActive, long Expired, long Evicted)
{
    /// <summary>
    /// Ended flows released from memory past --max-listed-flows, by protocol: counted, and listed in flows.csv from
    /// the spool when there is one (the CLI's), but no longer in <see cref="AnalysisResult.Flows"/>.
    /// </summary>
    public (long Tcp, long Udp, long Other) Released { get; init; }

    /// <summary>TCP connections that left the table --close-linger after FIN both ways or a reset.</summary>
    public long ClosedAfterLinger { get; init; }
}
