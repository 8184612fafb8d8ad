using PcapInsight.Core.Decoding;
using PcapInsight.Core.Flows;
using Xunit;

namespace PcapInsight.Core.Tests.Flows;

/// <summary>The flow table's open-addressing index agrees with a Dictionary under any mix of adds and removals.</summary>
public class FlowIndexTests
{
    private static Flow NewFlow(int n)
    {
        var p = new DecodedPacket
        {
            IpVersion = 4, Src = IpAddr.Parse($"192.0.2.{1 + n % 3}"), Dst = IpAddr.Parse("198.51.100.1"),
            SrcPort = (ushort)(1024 + n / 3), DstPort = 80, Protocol = 6, HasPorts = true,
        };
        return new Flow { Id = n + 1, Key = FlowKey.From(p, out _) };
    }

    [Theory]
    [InlineData(1, 1_000, 0.3)]     // mostly adds: the index grows through several sizes
    [InlineData(2, 20_000, 0.5)]    // as many removals as adds: long probe runs are shifted back again and again
    [InlineData(3, 50_000, 0.45)]
    public void RandomAddsAndRemovals_AgreeWithADictionary(int seed, int operations, double removeShare)
    {
        var random = new Random(seed);
        var index = new FlowIndex();
        var reference = new Dictionary<FlowKey, Flow>();
        var live = new List<Flow>();
        int next = 0;
        for (int op = 0; op < operations; op++)
        {
            if (live.Count > 0 && random.NextDouble() < removeShare)
            {
                int at = random.Next(live.Count);
                Flow gone = live[at];
                live[at] = live[^1];
                live.RemoveAt(live.Count - 1);
                Assert.True(index.Remove(gone));
                Assert.False(index.Remove(gone));
                reference.Remove(gone.Key);
            }
            else
            {
                Flow added = NewFlow(next++);
                index.Add(added);
                reference.Add(added.Key, added);
                live.Add(added);
            }
            if (op % 97 == 0)
            {
                Assert.Equal(reference.Count, index.Count);
                foreach ((FlowKey key, Flow flow) in reference)
                {
                    Assert.True(index.TryGetValue(key, out Flow? found));
                    Assert.Same(flow, found);
                }
                Assert.False(index.TryGetValue(NewFlow(next + 1_000_000).Key, out _));
            }
        }
        Assert.Equal(reference.Values.OrderBy(f => f.Id), index.Values.OrderBy(f => f.Id));
        index.Clear();
        Assert.Equal(0, index.Count);
        Assert.Empty(index.Values);
    }
}
