using PcapInsight.Core.Decoding;
using PcapInsight.Core.Events;
using PcapInsight.Core.Flows;

namespace PcapInsight.Core.Analysis;

/// <summary>
/// Narrows a finished analysis to what the user asked about (<c>--flow</c>, <c>--host</c>, <c>--port</c>,
/// <c>--from</c>/<c>--to</c>): the analysis itself always sees the whole capture (a flow's state needs all its
/// packets), and the reports and charts show only the selected part, so a selection gives exactly the rows of the
/// full run restricted afterwards. Conditions combine with "and".
/// </summary>
public sealed record ResultSelection
{
    /// <summary>Only this flow.</summary>
    public int? FlowId { get; init; }

    /// <summary>Only flows with this address at either end, and flowless events from or to it.</summary>
    public IpAddr? Host { get; init; }

    /// <summary>Only flows with this port at either end, and flowless events from or to it.</summary>
    public ushort? Port { get; init; }

    /// <summary>From this capture time (ns since the epoch), inclusive.</summary>
    public long? FromNs { get; init; }

    /// <summary>To this capture time (ns since the epoch), inclusive.</summary>
    public long? ToNs { get; init; }

    /// <summary>True when nothing narrows the result.</summary>
    public bool IsEmpty => FlowId is null && Host is null && Port is null && FromNs is null && ToNs is null;

    /// <summary>
    /// Parses a time: ISO 8601 (<c>2026-11-25T20:55:58.2Z</c>; without a zone, UTC), or seconds relative to the first
    /// frame (<c>12.5</c>). Null when it is neither.
    /// </summary>
    public static long? ParseTime(string text, long firstFrameNs)
    {
        if (double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double seconds))
        {
            return firstFrameNs + (long)Math.Round(seconds * 1e9);
        }
        if (DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out DateTimeOffset at))
        {
            return (at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;
        }
        return null;
    }

    /// <summary>The flow is selected: its id, an endpoint and its lifetime match.</summary>
    public bool Matches(Flow f) => Matches(f.Id, f.Client, f.ClientPort, f.Server, f.ServerPort, f.FirstTimeNs, f.LastTimeNs);

    /// <summary>The released flow is selected, by the same rule as a listed one.</summary>
    public bool Matches(FlowSummary f) => Matches(f.Id, f.Client, f.ClientPort, f.Server, f.ServerPort, f.FirstTimeNs, f.LastTimeNs);

    private bool Matches(int id, IpAddr client, ushort clientPort, IpAddr server, ushort serverPort, long firstNs, long lastNs) =>
        (FlowId is null || id == FlowId)
        && (Host is not { } h || client.Equals(h) || server.Equals(h))
        && (Port is not { } p || clientPort == p || serverPort == p)
        && (FromNs is not { } from || lastNs >= from)
        && (ToNs is not { } to || firstNs <= to);

    /// <summary>
    /// The event is selected: its time is in the window, and it belongs to a selected flow (or, without a flow, comes
    /// from or goes to the host and port asked for; with --flow, only the flow's own events).
    /// </summary>
    public bool Matches(in AnalysisEvent e, IReadOnlySet<int> flows)
    {
        if ((FromNs is { } from && e.TimestampNs < from) || (ToNs is { } to && e.TimestampNs > to))
        {
            return false;
        }
        if (e.FlowId != 0)
        {
            return flows.Contains(e.FlowId);
        }
        return FlowId is null
            && (Host is not { } h || e.Src.Equals(h) || e.Dst.Equals(h))
            && (Port is not { } p || e.SrcPort == p || e.DstPort == p);
    }

    /// <summary>The selection in words, times as seconds since the first frame.</summary>
    public string Describe(long firstFrameNs)
    {
        var parts = new List<string>();
        if (FlowId is { } id)
        {
            parts.Add($"flow {id}");
        }
        if (Host is { } h)
        {
            parts.Add($"host {h}");
        }
        if (Port is { } p)
        {
            parts.Add($"port {p}");
        }
        if (FromNs is { } from)
        {
            parts.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"from {(from - firstFrameNs) / 1e9:0.######} s"));
        }
        if (ToNs is { } to)
        {
            parts.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"to {(to - firstFrameNs) / 1e9:0.######} s"));
        }
        return string.Join(", ", parts);
    }

    /// <summary>The result narrowed to the selection (the same object when nothing narrows it).</summary>
    public AnalysisResult Apply(AnalysisResult r)
    {
        if (IsEmpty)
        {
            return r;
        }
        var flows = r.Flows.Where(Matches).ToList();
        IEnumerable<FlowSummary> released = r.ReleasedFlows.Where(Matches);
        var ids = flows.Select(f => f.Id).ToHashSet();
        var reuse = new FlowSummaryPool();
        foreach (FlowSummary f in reuse.Keeping(r.ReadReleasedFlows(reuse), Matches))
        {
            ids.Add(f.Id);
            reuse.Return(f);
        }
        var rows = new List<AnalysisEvent>();
        foreach (AnalysisEvent e in r.Events.Rows)
        {
            if (Matches(e, ids))
            {
                rows.Add(e);
            }
        }
        return new AnalysisResult
        {
            Selection = Describe(r.FirstTimeNs),
            Files = r.Files,
            Packets = r.Packets,
            IpSizes = r.IpSizes,
            FirstTimeNs = r.FirstTimeNs,
            LastTimeNs = r.LastTimeNs,
            LinkTypes = r.LinkTypes,
            Flows = flows,
            ReleasedFlows = released,
            ReleasedReader = r.ReleasedReader is { } read ? reuse => reuse.Keeping(read(reuse), Matches) : null,
            ReleasedBest = BestFlows.Of(released),
            Spools = r.Spools,
            FlowTable = r.FlowTable,
            Events = EventCollector.FromRows(rows, r.FirstTimeNs),
            Datagrams = r.Datagrams.Where(d => (Host is not { } h || d.Src.Equals(h) || d.Dst.Equals(h))
                && (FromNs is not { } from || d.LastTimeNs >= from) && (ToNs is not { } to || d.FirstTimeNs <= to) && FlowId is null && Port is null).ToList(),
            DatagramsNotListed = r.DatagramsNotListed,
            KernelCounterDeltas = r.KernelCounterDeltas,
            DelayedAckProfiles = r.DelayedAckProfiles.Where(p => Host is not { } h || p.Host.Equals(h)).ToList(),
            SeriesFlowsRefused = r.SeriesFlowsRefused,   // of the whole capture, as the flow table's figures
            DelayedAckHostsNotProfiled = r.DelayedAckHostsNotProfiled,   // of the whole capture too
            DelayedAckHostsNotProfiledAtLeast = r.DelayedAckHostsNotProfiledAtLeast,
        };
    }
}
