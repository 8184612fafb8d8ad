using PcapInsight.Core.Events;
using PcapInsight.Core.UdpAnalysis;

namespace PcapInsight.Reporting;

/// <summary>
/// The report's orderings written out rather than through LINQ. LINQ's sorts over the report's values (an event, a
/// tuple of an event and its place, a flow's row) are generic code of the framework instantiated over our types,
/// which ReadyToRun cannot compile ahead of time: every report compiled a few hundred such methods at run time before
/// it could write report.html and summary.json (bench/RESULTS.md). These are compiled with the rest of the report
/// (but for the merge sort of events or of sequence gaps, instantiated over a struct of Core and compiled when they
/// come out of time order). The sorts are Core's stable merge sort, as LINQ's OrderBy is stable: equal items keep
/// their order.
/// </summary>
internal static class ReportOrder
{
    /// <summary>The events in time order (as events.csv lists them); events of the same time keep their order.</summary>
    public static IReadOnlyList<AnalysisEvent> InTimeOrder(IReadOnlyList<AnalysisEvent> rows)
    {
        // Usually they are (the collector ranks its rows by time first): then the rows themselves, not a copy of a
        // million of them.
        for (int i = 1; i < rows.Count; i++)
        {
            if (rows[i].TimestampNs < rows[i - 1].TimestampNs)
            {
                var items = new AnalysisEvent[rows.Count];
                for (int j = 0; j < items.Length; j++)
                {
                    items[j] = rows[j];
                }
                Core.Collections.StableSort.Sort(items, 0, items.Length, static (a, b) => a.TimestampNs.CompareTo(b.TimestampNs));
                return items;
            }
        }
        return rows;
    }

    /// <summary>A UDP stream's sequence gaps in the order they showed; gaps of the same time keep their order.</summary>
    public static SequenceGap[] InDetectionOrder(IReadOnlyList<SequenceGap> gaps)
    {
        var items = new SequenceGap[gaps.Count];
        bool inOrder = true;
        for (int i = 0; i < items.Length; i++)
        {
            items[i] = gaps[i];
            inOrder &= i == 0 || items[i].DetectedNs >= items[i - 1].DetectedNs;
        }
        // Usually they are: a gap is recorded when it shows, and a filled one is split in place.
        if (!inOrder)
        {
            Core.Collections.StableSort.Sort(items, 0, items.Length, static (a, b) => a.DetectedNs.CompareTo(b.DetectedNs));
        }
        return items;
    }

    /// <summary>Sorts <paramref name="list"/> by <paramref name="comparison"/>; equal items keep their order.</summary>
    public static void StableSort<T>(List<T> list, Comparison<T> comparison) where T : class
    {
        T[] sorted = list.ToArray();
        Core.Collections.StableSort.Sort(sorted, 0, sorted.Length, comparison);
        for (int i = 0; i < sorted.Length; i++)
        {
            list[i] = sorted[i];
        }
    }

    /// <summary>The order of "the most severe first": a comparison's first key in the report's tables and charts.</summary>
    public static int MoreSevereFirst(Severity a, Severity b) => ((int)b).CompareTo((int)a);

    /// <summary>
    /// Keeps the first <paramref name="max"/> items of <paramref name="list"/> by <paramref name="comparison"/> (stable),
    /// in that order: LINQ's <c>OrderBy(...).Take(max)</c>.
    /// </summary>
    public static void KeepFirst<T>(List<T> list, Comparison<T> comparison, int max) where T : class
    {
        StableSort(list, comparison);
        if (list.Count > max)
        {
            list.RemoveRange(max, list.Count - max);
        }
    }
}
