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
    public static void Sort<T, TOrder>(T[] items, int start, int count, TOrder order) where TOrder : struct, IOrder<T>
    {
        if (count < 2)
        {
            return;
        }
        // Bottom-up merge sort: runs of 1, 2, 4, ... merged into the other buffer, the left run's item first when
        // neither goes before the other; the result copied back if it ends in the scratch buffer.
        T[] from = items, to = new T[start + count];
        int end = start + count;
        for (int width = 1; width < count; width *= 2)
        {
            for (int left0 = start; left0 < end; left0 += 2 * width)
            {
                int middle = Math.Min(left0 + width, end), stop = Math.Min(left0 + 2 * width, end);
                int left = left0, right = middle, k = left0;
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
            (from, to) = (to, from);
        }
        if (from != items)
        {
            Array.Copy(from, start, items, start, count);
        }
    }

    /// <summary>Sorts the <paramref name="count"/> items of <paramref name="items"/> from <paramref name="start"/> by <paramref name="comparison"/>.</summary>
    public static void Sort<T>(T[] items, int start, int count, Comparison<T> comparison) =>
        Sort(items, start, count, new ComparisonOrder<T>(comparison));
}
