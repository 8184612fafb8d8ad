using PcapInsight.Core.Decoding;
using PcapInsight.Core.Flows;
using Xunit;

namespace PcapInsight.Core.Tests.Flows;

public class FlowPartitionsTests
{
    public static TheoryData<int, int, string> Limits() => new()
    {
        // --max-flows, partitions, what capture.flow_table_full says
        { 1, 1, "max_flows=1" },
        { 2, 1, "max_flows=2" },
        { 8_191, 1, "max_flows=8191" },                                           // two parts would hold under 4,096 each
        { 8_192, 2, "max_flows=8192 partitions=2 per_partition=4096" },
        { 20_000, 4, "max_flows=20000 partitions=4 per_partition=5000" },
        { 200_000, 48, "max_flows=200000 partitions=48 per_partition=4166-4167" },
        { 1_000_000, 64, "max_flows=1000000 partitions=64 per_partition=15625" }, // the default
        { int.MaxValue, 64, "max_flows=2147483647 partitions=64 per_partition=33554431-33554432" },
    };

    [Theory]
    [MemberData(nameof(Limits))]
    public void For_DividesOnlyWhereEachPartKeeps4096_AndTheCapacitiesAddUpToTheLimit(int maxFlows, int count, string described)
    {
        var partitions = FlowPartitions.For(maxFlows);

        Assert.Equal(count, partitions.Count);
        Assert.Equal(maxFlows, Enumerable.Range(0, count).Sum(i => (long)partitions.CapacityOf(i)));
        Assert.True(Enumerable.Range(0, count).Max(partitions.CapacityOf) - Enumerable.Range(0, count).Min(partitions.CapacityOf) <= 1);
        Assert.Equal(described, partitions.Describe());
    }

    [Theory]
    [InlineData(int.MinValue)]
    [InlineData(-1)]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(int.MaxValue)]
    public void Of_AnyHash_IsAPartition(int hash)
    {
        foreach (int limit in new[] { 1, 8_192, 100_000, 1_000_000 })
        {
            var partitions = FlowPartitions.For(limit);
            Assert.InRange(partitions.Of(hash), 0, partitions.Count - 1);
        }
    }

    [Fact]
    public void Of_FlowKeys_SpreadEvenly()
    {
        // 64,000 flows over 64 partitions: 1,000 each on average, a standard deviation of about 32.
        var partitions = FlowPartitions.For(1_000_000);
        var counts = new int[partitions.Count];
        var server = IpAddr.Parse("198.51.100.7");
        for (int i = 0; i < 64_000; i++)
        {
            var p = new DecodedPacket { IpVersion = 4, Src = IpAddr.Parse($"192.0.2.{1 + i / 16_000}"), SrcPort = (ushort)(1024 + i % 16_000), Dst = server, DstPort = 443, Protocol = 6, HasPorts = true };
            counts[partitions.Of(FlowKey.From(p, out _))]++;
        }

        Assert.All(counts, c => Assert.InRange(c, 850, 1_150));
    }

    [Theory]
    [InlineData(64, 1)]
    [InlineData(64, 2)]
    [InlineData(64, 3)]
    [InlineData(64, 8)]
    [InlineData(64, 64)]
    [InlineData(2, 2)]
    [InlineData(5, 2)]
    public void ShardOf_WholePartitionsInOrder_Shard0AboutOnePartIn2NMinus1(int partitionCount, int shards)
    {
        var partitions = FlowPartitions.For(partitionCount * FlowPartitions.MinFlowsPerPartition);
        Assert.Equal(partitionCount, partitions.Count);

        int[] shardOf = Enumerable.Range(0, partitionCount).Select(p => partitions.ShardOf(p, shards)).ToArray();

        Assert.All(shardOf, s => Assert.InRange(s, 0, shards - 1));
        Assert.Equal(shardOf.Order(), shardOf);   // contiguous runs of partitions
        Assert.Equal(0, shardOf[0]);
        if (partitionCount >= 2 * shards - 1)
        {
            // Every shard gets some; shard 0 (on the reading thread) about half of another's share.
            int[] per = Enumerable.Range(0, shards).Select(s => shardOf.Count(x => x == s)).ToArray();
            Assert.All(per, n => Assert.True(n > 0));
            double part = (double)partitionCount / (2 * shards - 1);
            Assert.InRange(per[0], Math.Floor(part), Math.Ceiling(part) + 1);
            Assert.All(per[1..], n => Assert.InRange(n, Math.Floor(2 * part) - 1, Math.Ceiling(2 * part) + 1));
        }
    }
}
