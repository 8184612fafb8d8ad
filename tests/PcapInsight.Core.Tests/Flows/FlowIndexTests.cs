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
                Assert.True(index.TryGetValue(gone.Key, out _));   // found last: in the table of recent flows
                Assert.True(index.Remove(gone));
                Assert.False(index.Remove(gone));
                Assert.False(index.TryGetValue(gone.Key, out _));
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
        Assert.All(reference.Keys, k => Assert.False(index.TryGetValue(k, out _)));
    }

    [Fact]
    public void RecentFlows_NeverOutliveTheIndex_WhenAFlowObjectIsReused()
    {
        // The flow table reuses a finished flow's object for a new flow (another key): the table of recent flows in
        // front of the slots must not find it under its old key, nor miss it under its new one.
        var index = new FlowIndex();
        Flow flow = NewFlow(0);
        FlowKey first = flow.Key;
        index.Add(flow);
        Assert.True(index.TryGetValue(first, out Flow? found));
        Assert.Same(flow, found);
        Assert.True(index.Remove(flow));
        Assert.False(index.TryGetValue(first, out _));

        flow.Key = NewFlow(1).Key;
        index.Add(flow);
        Assert.False(index.TryGetValue(first, out _));
        Assert.True(index.TryGetValue(flow.Key, out found));
        Assert.Same(flow, found);
    }

    [Fact]
    public void RecentFlows_SharingAPlace_AreEachFoundInTurn()
    {
        // Two keys whose hashes share the recent table's place (their low bits) displace each other there; both stay
        // found, through the slots, and a third key of that place that was never added is not.
        var byPlace = new Dictionary<int, List<Flow>>();
        List<Flow> same = [];
        for (int n = 0; same.Count < 3; n++)
        {
            Flow f = NewFlow(n);
            List<Flow> place = byPlace.TryGetValue(f.Key.GetHashCode() & FlowIndex.RecentMask, out List<Flow>? l) ? l : byPlace[f.Key.GetHashCode() & FlowIndex.RecentMask] = [];
            place.Add(f);
            same = place;
        }
        var index = new FlowIndex();
        index.Add(same[0]);
        index.Add(same[1]);
        for (int round = 0; round < 4; round++)
        {
            foreach (Flow f in same.Take(2))
            {
                Assert.True(index.TryGetValue(f.Key, out Flow? found));
                Assert.Same(f, found);
            }
            Assert.False(index.TryGetValue(same[2].Key, out _));
        }
        Assert.True(index.Remove(same[0]));
        Assert.False(index.TryGetValue(same[0].Key, out _));
        Assert.True(index.TryGetValue(same[1].Key, out _));
    }
}
