namespace PcapInsight.Core.Collections;

/// <summary>An order given as a value (a struct), so that a sort over it is compiled ahead with its comparison inlined.</summary>
internal interface IOrder<T>
{
    /// <summary>True when <paramref name="a"/> goes before <paramref name="b"/>.</summary>
    bool Before(in T a, in T b);
}

/// <summary>The order a <see cref="Comparison{T}"/> gives.</summary>
internal readonly struct ComparisonOrder<T>(Comparison<T> comparison) : IOrder<T>
{
    public bool Before(in T a, in T b) => comparison(a, b) < 0;
}

/// <summary>
/// A stable sort (equal items keep their order) compiled ahead with this assembly: the framework's
/// <c>Span&lt;T&gt;.Sort</c> and <c>List&lt;T&gt;.Sort</c> over our values are compiled at run time, every run
/// (<see cref="ValueList{T}"/> says why).
/// </summary>
internal static class StableSort
{
    /// <summary>Sorts the <paramref name="count"/> items of <paramref name="items"/> from <paramref name="start"/> by <paramref name="order"/>.</summary>
    /// <remarks>Arrays, not spans: <see cref="Span{T}"/>'s constructors over our values are compiled at run time too.</remarks>
    public static void Sort<T, TOrder>(T[] items, int start, int count, TOrder order) where TOrder : struct, IOrder<T> =>
        Sort(items, start, count, order, buffers: null);

    /// <summary>
    /// As <see cref="Sort{T, TOrder}(T[], int, int, TOrder)"/>, merging through <paramref name="buffers"/> (kept for the
    /// next call, grown when short) instead of new arrays: for a caller that sorts as often as it fills a buffer.
    /// </summary>
    public static void Sort<T, TOrder>(T[] items, int start, int count, TOrder order, SortBuffers<T>? buffers) where TOrder : struct, IOrder<T>
    {
        // A natural merge sort: the runs already in order are where the merging starts, so an input in order costs
        // one pass of comparisons and no copy, and a nearly ordered one a few merges. What the analysis sorts mostly
        // arrives nearly in order (rows in capture order, flows in creation order): a capture's 617,000 event rows,
        // in 2,966 runs, took 0.45 s merged from runs of one item (they are now merged without a sort: EventCollector).
        int end = start + count;
        int descents = 0;
        for (int i = start + 1; i < end; i++)
        {
            descents += order.Before(items[i], items[i - 1]) ? 1 : 0;
        }
        if (descents == 0)
        {
            return;
        }
        // Where each run begins, and the end after the last: merged pairwise, left run first when neither item goes
        // before the other (so equal items keep their order), into the other buffer and back, until one run is left.
        int[] runs = buffers is null ? new int[descents + 2] : SortBuffers<T>.AtLeast(ref buffers.Runs, descents + 2);
        int runCount = 0;
        runs[runCount++] = start;
        for (int i = start + 1; i < end; i++)
        {
            if (order.Before(items[i], items[i - 1]))
            {
                runs[runCount++] = i;
            }
        }
        runs[runCount] = end;
        T[] from = items, to = buffers is null ? new T[end] : SortBuffers<T>.AtLeast(ref buffers.Items, end);
        while (runCount > 1)
        {
            int merged = 0;
            for (int r = 0; r < runCount; r += 2)
            {
                int left = runs[r], middle = runs[Math.Min(r + 1, runCount)], stop = runs[Math.Min(r + 2, runCount)];
                int right = middle, k = left;
                runs[merged++] = left;
                while (left < middle && right < stop)
                {
                    to[k++] = order.Before(from[right], from[left]) ? from[right++] : from[left++];
                }
                while (left < middle)
                {
                    to[k++] = from[left++];
                }
                while (right < stop)
                {
                    to[k++] = from[right++];
                }
            }
            runs[merged] = end;
            runCount = merged;
            (from, to) = (to, from);
        }
        if (from != items)
        {
            Array.Copy(from, start, items, start, count);
        }
        if (buffers is not null && System.Runtime.CompilerServices.RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            Array.Clear(buffers.Items, start, count);   // a kept buffer holds no item alive
        }
    }

    /// <summary>Sorts the <paramref name="count"/> items of <paramref name="items"/> from <paramref name="start"/> by <paramref name="comparison"/>.</summary>
    public static void Sort<T>(T[] items, int start, int count, Comparison<T> comparison) =>
        Sort(items, start, count, new ComparisonOrder<T>(comparison));
}

/// <summary>
/// The arrays a <see cref="StableSort"/> merges through, kept from one sort to the next. A flow spool sorts each run of
/// 65,536 summaries before it writes it: a new copy of the run (768 KiB, a large object) and of its run starts every
/// 65,536 flows was most of what a capture of flows past the table allocated, about 16 bytes a flow (bench/RESULTS.md).
/// </summary>
internal sealed class SortBuffers<T>
{
    internal T[] Items = [];
    internal int[] Runs = [];

    /// <summary><paramref name="buffer"/>, replaced by a larger one when shorter than <paramref name="length"/>.</summary>
    internal static TItem[] AtLeast<TItem>(ref TItem[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            buffer = new TItem[(int)Math.Min(Math.Max(length, 2L * buffer.Length), Array.MaxLength)];
        }
        return buffer;
    }
}
