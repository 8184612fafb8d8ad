using PcapInsight.Core.Flows;
using Xunit;

namespace PcapInsight.Core.Tests.Flows;

/// <summary>KeySelection.SmallestFirst: the k smallest keys at the front, on layouts that trouble a quickselect.</summary>
public class KeySelectionTests
{
    public static TheoryData<string, int[]> Layouts() => new()
    {
        { "ascending", Enumerable.Range(0, 5000).ToArray() },
        { "descending", Enumerable.Range(0, 5000).Reverse().ToArray() },
        { "all equal", Enumerable.Repeat(7, 3000).ToArray() },
        { "two values", Enumerable.Range(0, 3000).Select(i => i % 2).ToArray() },
        { "organ pipe", Enumerable.Range(0, 4000).Select(i => Math.Min(i, 4000 - i)).ToArray() },
        { "shuffled", Enumerable.Range(0, 10000).OrderBy(i => (i * 7919) % 10007).ToArray() },
        { "short", [3, 1, 2] },
        { "one", [5] },
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void SmallestFirst_PutsTheKSmallestKeysAtTheFront(string layout, int[] values)
    {
        foreach (int k in new[] { 0, 1, values.Length / 3, values.Length / 2, values.Length - 1, values.Length })
        {
            long[] keys = values.Select(v => (long)v).ToArray();
            KeySelection.SmallestFirst(keys, k);

            long[] sorted = values.Select(v => (long)v).Order().ToArray();
            Assert.True(sorted[..k].SequenceEqual(keys[..k].Order()), $"{layout}, k = {k}: the front is not the {k} smallest");
            Assert.True(sorted.SequenceEqual(keys.Order()), $"{layout}, k = {k}: keys lost or duplicated");
        }
    }
}
