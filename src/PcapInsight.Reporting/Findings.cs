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
    /// <summary>What to do about it.</summary>
    public string Advice => SpecificAdvice ?? Info.Advice;
}

/// <summary>Picks the findings worth a reader's attention first: errors, then warnings, then info; most frequent first.</summary>
public static class Findings
{
    /// <summary>At most <paramref name="max"/> findings, most important first.</summary>
    public static IReadOnlyList<Finding> Top(AnalysisResult result, int max)
    {
        var list = new List<Finding>();
        foreach ((EventInfo info, long count) in result.Events.Counts())
        {
            if (info.Kind == EventKind.TcpZeroWindow)
            {
                // Episodes are explained per flow: who read too slowly, and for how long in total.
                list.AddRange(ZeroWindowFindings.For(result));
                continue;
            }
            if (info.Kind == EventKind.IpFragIncomplete)
            {
                // Explained per sender: how many datagrams were lost whole, and how to keep them within the MTU.
                list.AddRange(FragmentFindings.For(result, EventKind.IpFragIncomplete));
                continue;
            }
            if (info.Kind == EventKind.IpFragmented && result.Events.Count(EventKind.IpFragIncomplete) == 0)
            {
                list.AddRange(FragmentFindings.For(result, EventKind.IpFragmented));
                continue;
            }
            if (info.Kind == EventKind.UdpSeqGap)
            {
                // Explained per stream: how many datagrams were lost, on which evidence, and where to look.
                list.AddRange(UdpFindings.For(result));
                continue;
            }
            if (info.Kind == EventKind.TcpNagleStall)
            {
                // Stalls are explained per flow and writer: whose writes waited, how long per request and in total.
                list.AddRange(NagleFindings.For(result));
                continue;
            }
            AnalysisEvent? first = null;
            foreach (AnalysisEvent e in result.Events.Rows)
            {
                if (e.Kind == info.Kind)
                {
                    first = e;
                    break;
                }
            }
            string where = first is { } f && !string.IsNullOrEmpty(f.Detail) ? $" First: {f.Detail}." : "";
            string times = count == 1 ? "once" : $"{count} times";
            list.Add(new Finding(info, count, first?.FlowId ?? 0, $"{info.Summary} Seen {times}.{where}"));
        }
        // Within a severity, findings explained for one flow (a stall, who caused it, what to change) come before
        // plain counts: they are what the reader came for.
        return list.OrderByDescending(f => f.Info.Severity).ThenByDescending(f => f.SpecificAdvice is not null)
            .ThenByDescending(f => f.Count).Take(max).ToList();
    }
}
