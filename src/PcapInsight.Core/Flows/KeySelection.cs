using System.Runtime.CompilerServices;

namespace PcapInsight.Core.Flows;

/// <summary>
/// Partial ordering of 64-bit keys: the <c>k</c> smallest moved to the front, in no order, in time linear in the
/// span (C++'s <c>nth_element</c>; .NET has none). The end of a capture of a million connections picks the 900,000
/// flows that leave the report's list this way instead of sorting them all.
/// </summary>
internal static class KeySelection
{
    /// <summary>Rearranges <paramref name="keys"/> so that its <paramref name="count"/> smallest come first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SmallestFirst(Span<long> keys, int count)
    {
        if (count <= 0 || count >= keys.Length)
        {
            return;
        }
        // Quickselect on the median of three; a span that keeps failing to shrink (keys laid out against the pivot
        // rule, as a hostile capture could) is sorted instead, so the worst case is n log n, never quadratic.
        int budget = 2 * (64 - (int)ulong.LeadingZeroCount((ulong)keys.Length));
        int lo = 0, hi = keys.Length - 1, nth = count - 1;
        while (hi > lo)
        {
            if (hi - lo < 16 || budget-- == 0)
            {
                keys[lo..(hi + 1)].Sort();
                return;
            }
            long pivot = MedianOfThree(keys[lo], keys[lo + (hi - lo) / 2], keys[hi]);
            int i = lo, j = hi;
            while (i <= j)
            {
                while (keys[i] < pivot)
                {
                    i++;
                }
                while (keys[j] > pivot)
                {
                    j--;
                }
                if (i <= j)
                {
                    (keys[i], keys[j]) = (keys[j], keys[i]);
                    i++;
                    j--;
                }
            }
            // [lo, j] <= pivot <= [i, hi]; between them, keys equal to the pivot.
            if (nth <= j)
            {
                hi = j;
            }
            else if (nth >= i)
            {
                lo = i;
            }
            else
            {
                return;
            }
        }
    }

    private static long MedianOfThree(long a, long b, long c) =>
        a < b ? (b < c ? b : Math.Max(a, c)) : (a < c ? a : Math.Max(b, c));
}
