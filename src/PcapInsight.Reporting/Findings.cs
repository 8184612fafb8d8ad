using PcapInsight.Core.Analysis;
using PcapInsight.Core.Events;

namespace PcapInsight.Reporting;

/// <summary>One explained finding: an event kind that occurred, how often, and what it means here.</summary>
/// <param name="Info">The catalogue row.</param>
/// <param name="Count">Occurrences (before any row limiting).</param>
/// <param name="FlowId">The flow of the first occurrence, 0 when the event is not tied to a flow.</param>
/// <param name="Explanation">The catalogue summary with this capture's figures.</param>
/// <param name="SpecificAdvice">Advice for this occurrence; null to use the catalogue's.</param>
public sealed record Finding(EventInfo Info, long Count, int FlowId, string Explanation, string? SpecificAdvice = null)
{
    /// <summary>
    /// <c>lowered</c> when the capture itself dropped frames and this finding is of a kind that missing frames can
    /// fake (a loss, a gap, a retransmission seen without its original); <c>normal</c> otherwise.
    /// </summary>
    public string Confidence { get; init; } = "normal";

    /// <summary>What to do about it.</summary>
    public string Advice => SpecificAdvice ?? Info.Advice;
}

/// <summary>Picks the findings worth a reader's attention first: errors, then warnings, then info; most frequent first.</summary>
public static class Findings
{
    /// <summary>
    /// Kinds explained one finding per flow, sender or stream (who caused it, how much it cost, what to change)
    /// instead of a count. Fragmentation is explained once: by its losses when there were any.
    /// </summary>
    private static readonly Dictionary<EventKind, Func<AnalysisResult, IEnumerable<Finding>>> Explainers = new()
    {
        [EventKind.TcpZeroWindow] = ZeroWindowFindings.For,
        [EventKind.TcpNagleStall] = NagleFindings.For,
        [EventKind.IpFragIncomplete] = r => FragmentFindings.For(r, EventKind.IpFragIncomplete),
        [EventKind.IpFragmented] = r => r.Events.Count(EventKind.IpFragIncomplete) == 0 ? FragmentFindings.For(r, EventKind.IpFragmented) : [],
        [EventKind.UdpSeqGap] = UdpFindings.For,
    };

    /// <summary>Kinds that frames missing from the capture can produce by themselves.</summary>
    private static readonly HashSet<EventKind> DropSensitive =
    [
        EventKind.TcpRetransmission, EventKind.TcpFastRetransmission, EventKind.TcpSpuriousRetransmission, EventKind.TcpOutOfOrder,
        EventKind.TcpLostSegment, EventKind.TcpAckUnseenSegment, EventKind.TcpDupAck, EventKind.IpFragIncomplete, EventKind.UdpSeqGap,
        EventKind.UdpFragmentLoss, EventKind.DnsUnanswered, EventKind.TcpZeroWindow, EventKind.TcpNagleStall, EventKind.TcpDelayedAck,
    ];

    /// <summary>At most <paramref name="max"/> findings, most important first.</summary>
    public static IReadOnlyList<Finding> Top(AnalysisResult result, int max)
    {
        var first = new Dictionary<EventKind, AnalysisEvent>();
        foreach (AnalysisEvent e in result.Events.Rows)
        {
            first.TryAdd(e.Kind, e);
        }
        var list = new List<Finding>();
        foreach ((EventInfo info, long count) in result.Events.Counts())
        {
            if (Explainers.TryGetValue(info.Kind, out var explain))
            {
                list.AddRange(explain(result));
                continue;
            }
            AnalysisEvent? row = first.TryGetValue(info.Kind, out AnalysisEvent e) ? e : null;
            string where = row is { } f && !string.IsNullOrEmpty(f.Detail) ? $" First: {f.Detail}." : "";
            string times = count == 1 ? "once" : $"{count} times";
            list.Add(new Finding(info, count, row?.FlowId ?? 0, $"{info.Summary} Seen {times}.{where}"));
        }
        long drops = result.Files.SelectMany(f => f.Interfaces).Sum(i => i.TotalDrops);
        if (drops > 0)
        {
            for (int i = 0; i < list.Count; i++)
            {
                if (DropSensitive.Contains(list[i].Info.Kind))
                {
                    list[i] = list[i] with
                    {
                        Confidence = "lowered",
                        Explanation = list[i].Explanation + $" Confidence lowered: the capture itself dropped {drops} frames (interface, kernel or the live queue: see capture.interface_drops), so some of these may be frames the capture missed, not the network.",
                    };
                }
            }
        }
        // Within a severity, findings explained for one flow (a stall, who caused it, what to change) come before
        // plain counts: they are what the reader came for.
        return list.OrderByDescending(f => f.Info.Severity).ThenByDescending(f => f.SpecificAdvice is not null)
            .ThenByDescending(f => f.Count).Take(max).ToList();
    }

    /// <summary>
    /// When the finding first showed: the earliest kept row of its event (of its flow, when it is tied to one);
    /// null when no row was kept.
    /// </summary>
    public static long? FirstTime(AnalysisResult result, Finding finding)
    {
        long? first = null;
        foreach (AnalysisEvent e in result.Events.Rows)
        {
            if (e.Kind == finding.Info.Kind && (finding.FlowId == 0 || e.FlowId == finding.FlowId) && e.TimestampNs > 0 && (first is null || e.TimestampNs < first))
            {
                first = e.TimestampNs;
            }
        }
        return first;
    }
}
