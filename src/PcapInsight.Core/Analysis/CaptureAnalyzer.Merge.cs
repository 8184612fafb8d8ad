using PcapInsight.Core.Capture;
using PcapInsight.Core.Collections;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Events;
using PcapInsight.Core.Flows;
using PcapInsight.Core.Fragments;
using PcapInsight.Core.TcpAnalysis;

namespace PcapInsight.Core.Analysis;

/// <summary>The merge of a sharded analysis (<see cref="ShardedAnalysis"/>) into the result one analyzer would give.</summary>
public sealed partial class CaptureAnalyzer
{
    /// <summary>The time of the last frame read (the clock at the end of the capture).</summary>
    internal long LastFrameTimeNs => _previousTimeNs;

    /// <summary>Deletes the spool file (a shard's, when the analysis failed).</summary>
    internal void DisposeSpool() => _spool?.Dispose();

    /// <summary>
    /// One result from the reading thread's analyzer (frame counts, sizes, link types, reader events) and the shards'
    /// (flows and what they found), each shard finished.
    /// </summary>
    internal static AnalysisResult Merge(CaptureAnalyzer reader, IReadOnlyList<CaptureAnalyzer> shards, IReadOnlyList<CaptureFileStats> files)
    {
        AnalysisOptions options = reader._options;
        // One policy listed the flows of every shard (the shards' own tables list none).
        FlowListing listing = shards[0].Listing;
        FlowNumbering numbering = NumberFlows(shards, listing);
        var flows = new List<Flow>(listing.Count);
        foreach ((Flow f, object? owner) in listing.ListedWithOwners)
        {
            f.Id = numbering.Of(((AdmissionLog)owner!).Shard, f.Id);
            flows.Add(f);
        }
        flows.Sort((a, b) => a.Id.CompareTo(b.Id));

        PacketCounters counters = reader._counters;
        foreach (CaptureAnalyzer s in shards)
        {
            counters.Add(s._counters);
        }

        reader.ReportFileFacts(files);
        var parts = new List<EventCollector> { reader._events };
        parts.AddRange(shards.Select(s => s._events));
        // The reader's events name no flow; shard s's flow ids are shard s - 1's local ones.
        EventCollector events = EventCollector.Merge(parts, options.MaxEventRows,
            (part, id) => part == 0 ? id : numbering.Of(part - 1, id), RemapFlowIdsInDetail);
        events.ClockNs = reader._previousTimeNs;
        events.KeepOnce(EventKind.CaptureFlowTableFull);   // each shard whose table filled said so; one analyzer says it once
        ReportKernelCounters(options, flows, events, reader._lastTimeNs);
        ReportEventsLimited(events, options, reader._lastTimeNs);


        var profiles = new ValueMap<IpAddr, DelayedAckProfile>();
        foreach (CaptureAnalyzer s in shards)
        {
            foreach (DelayedAckProfile p in s._timing.Profiles)
            {
                if (p.Refused)
                {
                    continue;   // gathered before the reading thread knew the host came past the limit
                }
                if (profiles.TryGetValue(p.Host, out DelayedAckProfile? held))
                {
                    held.Add(p);
                }
                else
                {
                    profiles.TryAdd(p.Host, p);
                }
            }
        }

        // One policy refused the same hosts in every shard: the union is one analyzer's set.
        HostsNotProfiled notProfiled = HostsNotProfiled.Union(shards.Select(s => s._timing.NotProfiledAtEnd()),
            HostsNotProfiled.BoundFor(options.Nagle.MaxProfiledHosts));

        var spools = shards.Where(s => s._spool is not null).Select(s => s._spool!).ToList();
        FlowSpool?[] spoolOfShard = [.. shards.Select(s => s._spool)];
        return new AnalysisResult
        {
            Files = files,
            Packets = counters,
            IpSizes = reader._sizes,
            FirstTimeNs = counters.Frames == 0 ? 0 : reader._firstTimeNs,
            LastTimeNs = counters.Frames == 0 ? 0 : reader._lastTimeNs,
            LinkTypes = reader._linkTypes,
            Flows = flows,
            // The readers hold the shards' spools, not the shards: a shard's table, event log and the flows its queue
            // of closed connections still names would otherwise stay in memory while the report is written.
            ReleasedFlows = MergeReleased(spoolOfShard, numbering),
            ReleasedReader = reuse => MergeReleased(spoolOfShard, numbering, reuse),
            // Each shard's best, renumbered: ids keep their order within a shard, so the union holds the best of all.
            ReleasedBest = shards.SelectMany((s, i) => s._spool is { } spool ? spool.Best.Select(f => f with { Id = numbering.Of(i, f.Id) }) : []).ToList(),
            Spools = spools,
            FlowTable = new FlowTableFigures(shards.Sum(s => s._flows.Created), MergedPeak(shards),
                shards.Sum(s => s._flows.Expired), shards.Sum(s => s._flows.Evicted))
            {
                Released = listing.Released,
                ClosedAfterLinger = shards.Sum(s => s._flows.ClosedAfterLinger),
            },
            Events = events,
            Datagrams = reader._datagrams,   // reassembly ran on the reading thread
            KernelCounterDeltas = options.KernelCounterDeltas,
            DatagramsNotListed = reader._datagramsNotListed,
            DelayedAckProfiles = profiles.Values.OrderBy(h => h.Host.ToString(), StringComparer.Ordinal).ToList(),
            DelayedAckHostsNotProfiled = notProfiled.Count,
            DelayedAckHostsNotProfiledAtLeast = notProfiled.Saturated,
            SeriesFlowsRefused = shards[0]._admissions.Policy.SeriesRefused,   // one policy decided for every shard
        };
    }

    /// <summary>
    /// The report's ids of the shards' flows, with those the merge renumbers by name resolved: the listed flows, the
    /// flows the event rows name (in a row, and in a reused port's detail), and each spool's best.
    /// </summary>
    private static FlowNumbering NumberFlows(IReadOnlyList<CaptureAnalyzer> shards, FlowListing listing)
    {
        var asked = new List<int>[shards.Count];
        for (int s = 0; s < shards.Count; s++)
        {
            asked[s] = [];
            foreach (AnalysisEvent e in shards[s]._events.CandidateEvents())
            {
                asked[s].Add(e.FlowId);
                if (PreviousFlowInDetail(e) is { } previous)
                {
                    asked[s].Add(previous.Id);
                }
            }
            if (shards[s]._spool is { } spool)
            {
                asked[s].AddRange(spool.Best.Select(f => f.Id));
            }
        }
        foreach ((Flow f, object? owner) in listing.ListedWithOwners)
        {
            asked[((AdmissionLog)owner!).Shard].Add(f.Id);
        }
        return FlowNumbering.Resolve(shards.Select(s => s._flows.CreationPlaces).ToArray(), asked);
    }

    /// <summary>The most flows held at once: the shards' sizes added at each expiry check, where the peaks fall.</summary>
    private static int MergedPeak(IReadOnlyList<CaptureAnalyzer> shards)
    {
        int peak = shards.Max(s => s._flows.PeakActive);
        int checks = shards.Min(s => s._activeBeforeExpiry!.Count);
        for (int i = 0; i < checks; i++)
        {
            int sum = 0;
            foreach (CaptureAnalyzer s in shards)
            {
                sum += s._activeBeforeExpiry![i];
            }
            peak = Math.Max(peak, sum);
        }
        return peak;
    }

    /// <summary>
    /// The shards' spooled flows, each renumbered, in report id order (read lazily, as flows.csv is written): a walk
    /// over every flow's place in report id order takes each shard's spooled flows as their turns come (a shard's
    /// spool gives them in its own id order, the order of its places).
    /// </summary>
    private static IEnumerable<FlowSummary> MergeReleased(FlowSpool?[] spoolOfShard, FlowNumbering numbering,
        FlowSummaryPool? reuse = null)
    {
        var sources = new IEnumerator<FlowSummary>?[spoolOfShard.Length];
        try
        {
            int open = 0;
            for (int s = 0; s < spoolOfShard.Length; s++)
            {
                if (spoolOfShard[s] is not { } spool)
                {
                    continue;
                }
                IEnumerator<FlowSummary> e = spool.ReadSorted(reuse).GetEnumerator();
                if (!e.MoveNext())
                {
                    e.Dispose();
                    continue;
                }
                sources[s] = e;
                open++;
            }
            FlowNumbering.Walk walk = numbering.NewWalk();
            while (open > 0 && walk.TryNext(out int shard, out int local, out int id))
            {
                if (sources[shard] is not { } source || source.Current.Id != local)
                {
                    continue;   // listed in memory, or never spooled
                }
                // Renumbered in place: the spool decoded it for this enumeration alone (a new summary, or the pool's).
                FlowSummary summary = source.Current;
                summary.Id = id;
                yield return summary;
                if (!source.MoveNext())
                {
                    sources[shard] = null;
                    open--;
                }
            }
            if (open > 0)
            {
                // A spooled flow the walk passed by: listed out of its shard's order, it would be left out of flows.csv.
                throw new InvalidOperationException("a shard's spool holds a flow out of the order of its creation places");
            }
        }
        finally
        {
            foreach (IEnumerator<FlowSummary>? e in sources)
            {
                e?.Dispose();
            }
        }
    }

    /// <summary>The flow a reused port's row names in its detail (<c>previous_flow=N</c>), and where its number is.</summary>
    private static (int Id, int Start, int End)? PreviousFlowInDetail(AnalysisEvent e)
    {
        const string key = "previous_flow=";
        if (e.Kind != EventKind.TcpReusedPort || !e.Detail.StartsWith(key, StringComparison.Ordinal))
        {
            return null;
        }
        int end = e.Detail.IndexOf(' ', key.Length);
        end = end < 0 ? e.Detail.Length : end;
        return int.TryParse(e.Detail.AsSpan(key.Length, end - key.Length), out int local) ? (local, key.Length, end) : null;
    }

    /// <summary>The one detail that names another flow: a reused port's previous connection.</summary>
    private static AnalysisEvent RemapFlowIdsInDetail(AnalysisEvent e, Func<int, int> map) =>
        PreviousFlowInDetail(e) is { } previous
            ? e with { Detail = e.Detail[..previous.Start] + map(previous.Id).ToString(System.Globalization.CultureInfo.InvariantCulture) + e.Detail[previous.End..] }
            : e;
}
