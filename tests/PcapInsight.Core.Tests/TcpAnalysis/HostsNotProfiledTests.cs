using PcapInsight.Core.Decoding;
using PcapInsight.Core.TcpAnalysis;
using Xunit;

namespace PcapInsight.Core.Tests.TcpAnalysis;

/// <summary>
/// The count of hosts past --max-ack-profile-hosts: bounded, and the same whether one analyzer saw every host or
/// shards saw parts of them (a host in several shards, a shard that filled its set).
/// </summary>
public class HostsNotProfiledTests
{
    public static TheoryData<int[][], int, int, bool> Splits => new()
    {
        // parts (host numbers per shard), bound, expected count, saturated
        { [[1, 2, 3]], 10, 3, false },
        { [[1, 2, 3], [3, 4, 5], [5, 1]], 10, 5, false },          // a host seen by several shards counts once
        { [[1, 2, 3], [4, 5, 6]], 6, 6, true },                     // the union reaches the bound: "at least"
        { [[1, 2, 3, 4, 5, 6, 7], [8]], 6, 6, true },               // one shard filled its set on its own
        { [[], []], 4, 0, false },
    };

    [Theory]
    [MemberData(nameof(Splits))]
    public void Union_OfShards_CountsAsOneAnalyzer(int[][] parts, int bound, int expected, bool saturated)
    {
        var one = new HostsNotProfiled(bound);
        var shards = parts.Select(_ => new HostsNotProfiled(bound)).ToList();
        for (int s = 0; s < parts.Length; s++)
        {
            foreach (int host in parts[s])
            {
                one.Add(Host(host));
                shards[s].Add(Host(host));
                shards[s].Add(Host(host));   // a host's every timed ACK comes here: counted once
            }
        }

        HostsNotProfiled union = HostsNotProfiled.Union(shards, bound);

        Assert.Equal(expected, one.Count);
        Assert.Equal(saturated, one.Saturated);
        Assert.Equal(one.Count, union.Count);
        Assert.Equal(one.Saturated, union.Saturated);
    }

    [Theory]
    [InlineData(0, 1024)]
    [InlineData(4096, 65_536)]
    [InlineData(int.MaxValue, 1 << 24)]
    public void BoundFor_SixteenAHostWithinLimits(int maxProfiledHosts, int bound) =>
        Assert.Equal(bound, HostsNotProfiled.BoundFor(maxProfiledHosts));

    private static IpAddr Host(int n) => IpAddr.Parse($"192.0.2.{n}");
}
