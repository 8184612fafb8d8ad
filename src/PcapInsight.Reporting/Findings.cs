using PcapInsight.Core.Capture;
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

/// <summary>
/// Picks the findings worth a reader's attention first: errors, then warnings, then info; within a severity each kind's
/// strongest finding (explained for a flow before a plain count, then the most frequent) before a second of any kind.
/// </summary>
public static class Findings
{
    /// <summary>
    /// Kinds explained one finding per flow, sender or stream (who caused it, how much it cost, what to change)
    /// instead of a count; null for the others. Fragmentation is explained once: by its losses when there were any.
    /// (A switch rather than a table keyed by kind: no generic dictionary over the enum to compile at run time.)
    /// </summary>
    private static Func<AnalysisResult, IEnumerable<Finding>>? ExplainerOf(EventKind kind) => kind switch
    {
        EventKind.TcpZeroWindow => ZeroWindowFindings.For,
        EventKind.TcpNagleStall => NagleFindings.For,
        EventKind.IpFragIncomplete => r => FragmentFindings.For(r, EventKind.IpFragIncomplete),
        EventKind.IpFragmented => r => r.Events.Count(EventKind.IpFragIncomplete) == 0 ? FragmentFindings.For(r, EventKind.IpFragmented) : [],
        EventKind.UdpSeqGap => UdpFindings.For,
        _ => null,
    };

    /// <summary>
    /// For kinds kept as one count (no explainer above), a sentence more from the result's tables; null for the others.
    /// Tiny fragments: who sent them and to whom (an address to filter, a target), from the datagrams' records.
    /// </summary>
    private static string? MoreAbout(EventKind kind, AnalysisResult result, long count) => kind switch
    {
        EventKind.IpFragTiny => FragmentFindings.TinySenders(result, count),
        EventKind.IpTunnelFragmented => TunnelFindings.Overhead(result, count),
        _ => null,
    };

    /// <summary>Kinds that frames missing from the capture can produce by themselves.</summary>
    private static bool IsDropSensitive(EventKind kind) => kind is
        EventKind.TcpRetransmission or EventKind.TcpFastRetransmission or EventKind.TcpSpuriousRetransmission or EventKind.TcpOutOfOrder
        or EventKind.TcpLostSegment or EventKind.TcpAckUnseenSegment or EventKind.TcpDupAck or EventKind.IpFragIncomplete or EventKind.UdpSeqGap
        or EventKind.UdpFragmentLoss or EventKind.DnsUnanswered or EventKind.TcpZeroWindow or EventKind.TcpNagleStall or EventKind.TcpDelayedAck;

    /// <summary>At most <paramref name="max"/> findings, most important first.</summary>
    public static IReadOnlyList<Finding> Top(AnalysisResult result, int max)
    {
        // Each kind's first row, by its place among the rows (-1: none kept).
        IReadOnlyList<AnalysisEvent> rows = result.Events.Rows;
        int[] first = new int[EventCatalog.KindSlots];
        Array.Fill(first, -1);
        for (int i = 0; i < rows.Count; i++)
        {
            ref int place = ref first[(int)rows[i].Kind];
            if (place < 0)
            {
                place = i;
            }
        }
        var list = new List<Finding>();
        foreach ((EventInfo info, long count) in result.Events.Counts())
        {
            if (ExplainerOf(info.Kind) is { } explain)
            {
                list.AddRange(explain(result));
                continue;
            }
            int at = first[(int)info.Kind];
            string detail = at < 0 ? "" : rows[at].Detail;
            string where = !string.IsNullOrEmpty(detail) ? $" First: {detail}." : "";
            string times = count == 1 ? "once" : $"{count} times";
            string more = MoreAbout(info.Kind, result, count) is { } sentence ? " " + sentence : "";
            list.Add(new Finding(info, count, at < 0 ? 0 : rows[at].FlowId, $"{info.Summary} Seen {times}.{where}{more}"));
        }
        long drops = 0;
        foreach (CaptureFileStats file in result.Files)
        {
            foreach (CaptureInterface nic in file.Interfaces)
            {
                drops += nic.TotalDrops;
            }
        }
        if (drops > 0)
        {
            for (int i = 0; i < list.Count; i++)
            {
                if (IsDropSensitive(list[i].Info.Kind))
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
        // plain counts: they are what the reader came for. Then each kind's strongest finding comes before a second
        // finding of any kind: a capture with trouble in 40 RTP streams, 2,200 Nagle stalls and 1,040 zero windows
        // listed 17 of its 20 findings as the streams' gaps and no TCP finding at all.
        ReportOrder.StableSort(list, Strongest);
        int[] ofKindSoFar = new int[EventCatalog.KindSlots];
        var ranked = new (Finding Finding, int Round, int Place)[list.Count];
        for (int i = 0; i < list.Count; i++)
        {
            ranked[i] = (list[i], ofKindSoFar[(int)list[i].Info.Kind]++, i);
        }
        // Round and place make the order total, so the unstable sort is deterministic.
        Array.Sort(ranked, static (a, b) =>
            a.Finding.Info.Severity != b.Finding.Info.Severity ? ReportOrder.MoreSevereFirst(a.Finding.Info.Severity, b.Finding.Info.Severity)
            : a.Round != b.Round ? a.Round.CompareTo(b.Round)
            : a.Place.CompareTo(b.Place));
        list.Clear();
        for (int i = 0; i < ranked.Length && i < max; i++)
        {
            list.Add(ranked[i].Finding);
        }
        return list;
    }

    /// <summary>The order of findings of one kind, and of kinds in one round: the most severe, explained, most frequent first.</summary>
    private static int Strongest(Finding a, Finding b) =>
        a.Info.Severity != b.Info.Severity ? ReportOrder.MoreSevereFirst(a.Info.Severity, b.Info.Severity)
        : (b.SpecificAdvice is not null) != (a.SpecificAdvice is not null) ? (b.SpecificAdvice is not null).CompareTo(a.SpecificAdvice is not null)
        : b.Count.CompareTo(a.Count);

    /// <summary>
    /// When the finding first showed: the earliest kept row of its event (of its flow, when it is tied to one);
    /// null when no row was kept.
    /// </summary>
    public static long? FirstTime(AnalysisResult result, Finding finding) => FirstTimes(result, [finding])[0];

    /// <summary>
    /// <see cref="FirstTime"/> of each of <paramref name="findings"/>, from one pass over the rows: asked finding by
    /// finding, a report of 600,000 event rows and twenty findings walked the rows twenty times (0.3 s of its
    /// report.html).
    /// </summary>
    public static long?[] FirstTimes(AnalysisResult result, IReadOnlyList<Finding> findings)
    {
        var times = new long?[findings.Count];
        var ofKind = new List<int>?[EventCatalog.KindSlots];
        for (int i = 0; i < findings.Count; i++)
        {
            (ofKind[(int)findings[i].Info.Kind] ??= []).Add(i);
        }
        IReadOnlyList<AnalysisEvent> rows = result.Events.Rows;
        for (int r = 0; r < rows.Count; r++)
        {
            AnalysisEvent e = rows[r];
            if (ofKind[(int)e.Kind] is not { } those || e.TimestampNs <= 0)
            {
                continue;
            }
            foreach (int i in those)
            {
                if ((findings[i].FlowId == 0 || e.FlowId == findings[i].FlowId) && (times[i] is not { } t || e.TimestampNs < t))
                {
                    times[i] = e.TimestampNs;
                }
            }
        }
        return times;
    }
}
