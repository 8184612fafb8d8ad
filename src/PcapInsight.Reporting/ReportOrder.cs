using PcapInsight.Core.Events;

namespace PcapInsight.Reporting;

/// <summary>
/// The report's orderings written out rather than through LINQ. LINQ's sorts over the report's values (an event, a
/// tuple of an event and its place, a flow's row) are generic code of the framework instantiated over our types,
/// which ReadyToRun cannot compile ahead of time: every report compiled a few hundred such methods at run time before
/// it could write report.html and summary.json (bench/RESULTS.md). These are compiled with the rest of the report
/// (but for the one merge sort of events, instantiated over an event and compiled when rows come out of time order).
/// The sorts are stable, as LINQ's OrderBy is: equal items keep their order.
/// </summary>
internal static class ReportOrder
{
    /// <summary>The events in time order (as events.csv lists them); events of the same time keep their order.</summary>
    public static AnalysisEvent[] InTimeOrder(IReadOnlyList<AnalysisEvent> rows)
    {
        var items = new AnalysisEvent[rows.Count];
        bool inOrder = true;
        for (int i = 0; i < items.Length; i++)
        {
            items[i] = rows[i];
            inOrder &= i == 0 || items[i].TimestampNs >= items[i - 1].TimestampNs;
        }
        // Usually they are: rows are kept as they were reported, mostly in capture order.
        return inOrder ? items : Sorted(items, static (a, b) => a.TimestampNs.CompareTo(b.TimestampNs));
    }

    /// <summary>Sorts <paramref name="list"/> by <paramref name="comparison"/>; equal items keep their order.</summary>
    public static void StableSort<T>(List<T> list, Comparison<T> comparison) where T : class
    {
        T[] sorted = Sorted(list.ToArray(), comparison);
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

    /// <summary>
    /// <paramref name="items"/> sorted, in it or in a new array: a bottom-up merge sort (runs of 1, 2, 4, ... merged,
    /// the left run's item first when they compare equal).
    /// </summary>
    private static T[] Sorted<T>(T[] items, Comparison<T> comparison)
    {
        T[] from = items, to = new T[items.Length];
        for (int width = 1; width < items.Length; width *= 2)
        {
            for (int start = 0; start < items.Length; start += 2 * width)
            {
                int middle = Math.Min(start + width, items.Length), end = Math.Min(start + 2 * width, items.Length);
                int left = start, right = middle, k = start;
                while (left < middle && right < end)
                {
                    to[k++] = comparison(from[right], from[left]) < 0 ? from[right++] : from[left++];
                }
                while (left < middle)
                {
                    to[k++] = from[left++];
                }
                while (right < end)
                {
                    to[k++] = from[right++];
                }
            }
            (from, to) = (to, from);
        }
        return from;
    }
}
