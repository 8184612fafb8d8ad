using PcapInsight.Core.Analysis;
using PcapInsight.Core.Events;

namespace PcapInsight.Reporting;

/// <summary>One explained finding: an event kind that occurred, how often, and what it means here.</summary>
/// <param name="Info">The catalogue row.</param>
/// <param name="Count">Occurrences (before any row limiting).</param>
/// <param name="FlowId">The flow of the first occurrence, 0 when the event is not tied to a flow.</param>
/// <param name="Explanation">The catalogue summary with this capture's figures.</param>
public sealed record Finding(EventInfo Info, long Count, int FlowId, string Explanation);

/// <summary>Picks the findings worth a reader's attention first: errors, then warnings, then info; most frequent first.</summary>
public static class Findings
{
    /// <summary>At most <paramref name="max"/> findings, most important first.</summary>
    public static IReadOnlyList<Finding> Top(AnalysisResult result, int max)
    {
        var list = new List<Finding>();
        foreach ((EventInfo info, long count) in result.Events.Counts())
        {
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
        return list.OrderByDescending(f => f.Info.Severity).ThenByDescending(f => f.Count).Take(max).ToList();
    }
}
