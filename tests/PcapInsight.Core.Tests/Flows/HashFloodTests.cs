using PcapInsight.Core.Decoding;
using PcapInsight.Core.Flows;
using PcapInsight.Core.Fragments;
using Xunit;

namespace PcapInsight.Core.Tests.Flows;

/// <summary>
/// A capture chooses its addresses, ports and IP identifications; the tables it fills must not let it choose keys that
/// share one run of the flow index or one chain of the open datagrams (with the flow key's former fixed hash, 40,000
/// crafted IPv6 connections took 9.4 s instead of 0.5 s, growing with the square of their number). The partition
/// hash, which decides evictions past --max-flows, stays the same in every run.
/// </summary>
public class HashFloodTests
{
    private static FlowKey Key(IpAddr src, IpAddr dst, ushort srcPort = 40000, ushort dstPort = 80) =>
        FlowKey.From(new DecodedPacket { IpVersion = src.Version, Src = src, Dst = dst, SrcPort = srcPort, DstPort = dstPort, Protocol = 6, HasPorts = true }, out _);

    // The high halves of the two addresses cancelled in the former hash's exclusive-or: every key hashed alike.
    private static FlowKey Crafted(int k) => Key(IpAddr.FromParts(2UL * (ulong)k, 1, 6), IpAddr.FromParts((1UL << 62) + (ulong)k, 1, 6));

    public static TheoryData<string> Patterns() => new() { "cancelling high halves", "ports only", "low halves only" };

    private static FlowKey Pattern(string pattern, int k) => pattern switch
    {
        "cancelling high halves" => Crafted(k),
        "ports only" => Key(IpAddr.Parse("192.0.2.1"), IpAddr.Parse("198.51.100.1"), (ushort)(1024 + k), (ushort)(k * 7)),
        _ => Key(IpAddr.FromParts(0x20010db800000000, (ulong)k << 40, 6), IpAddr.FromParts(0x20010db800000001, (ulong)k << 40, 6)),
    };

    [Theory]
    [MemberData(nameof(Patterns))]
    public void CraftedKeys_SpreadOverTheIndex(string pattern)
    {
        const int Keys = 20_000;
        var hashes = new HashSet<int>();
        var slots = new HashSet<int>();
        for (int k = 0; k < Keys; k++)
        {
            int hash = Pattern(pattern, k).GetHashCode();
            hashes.Add(hash);
            slots.Add(hash & ((1 << 16) - 1));   // an index of 65,536 slots
        }
        Assert.True(hashes.Count > Keys * 99 / 100, $"{hashes.Count} distinct hashes of {Keys}");
        // Random placement of 20,000 keys in 65,536 slots leaves about 17,300 slots taken.
        Assert.True(slots.Count > 16_500, $"{slots.Count} slots taken by {Keys} keys");
    }

    [Fact]
    public void CraftedKeys_IndexInLinearTime()
    {
        // The index itself, filled with the keys the former hash piled into one run: probes stay short. Counted, not
        // timed: each lookup of a key not held walks at most a short run.
        var index = new FlowIndex();
        for (int k = 0; k < 50_000; k++)
        {
            index.Add(new Flow { Id = k + 1, Key = Crafted(k) });
        }
        for (int k = 0; k < 50_000; k++)
        {
            Assert.True(index.TryGetValue(Crafted(k), out Flow? flow));
            Assert.Equal(k + 1, flow.Id);
        }
        Assert.False(index.TryGetValue(Crafted(50_000), out _));
        Assert.True(index.LongestRun() < 200, $"longest probe run {index.LongestRun()}");
    }

    [Fact]
    public void PartitionHash_IsTheSameInEveryRun()
    {
        // Fixed values (the former flow key hash, worked out by hand): a seeded partition hash would change which flows
        // a full partition evicts from run to run.
        Assert.Equal(1156863475, Key(IpAddr.Parse("192.0.2.1"), IpAddr.Parse("198.51.100.1")).PartitionHash());
        Assert.Equal(-587561183, Key(IpAddr.Parse("2001:db8::1"), IpAddr.Parse("2001:db8::2"), 443, 51000).PartitionHash());
    }

    [Fact]
    public void TwoPointKeys_WhoseHalvesCancel_SpreadOverTheTable()
    {
        // The two-point diff indexes its table of the second capture's packet keys (64-bit hashes) by the key hashed
        // again with the seeds: ulong's own hash folds the halves with an exclusive-or, so keys with equal halves
        // would all share one slot and its run, and building the table would take the square of their number.
        var ownHashes = new HashSet<int>();
        var packets = new PcapInsight.Core.TwoPoint.SeenPackets();
        for (ulong k = 1; k <= 20_000; k++)
        {
            ulong key = k << 32 | k;
            ownHashes.Add(key.GetHashCode());
            packets.Add().Key = key;
        }

        var table = new PcapInsight.Core.TwoPoint.SecondPointKeys(packets);

        Assert.Single(ownHashes);
        Assert.True(table.LongestRun() < 200, $"longest probe run {table.LongestRun()}");
        Assert.Equal(19_998, table.Match(19_999UL << 32 | 19_999));   // key k is packet k - 1
    }

    [Fact]
    public void FragmentKeys_ChosenIdentifications_SpreadOverTheChains()
    {
        // Identifications that differ only in their high bits (or by any fixed step) share no chain.
        IpAddr src = IpAddr.Parse("203.0.113.5"), dst = IpAddr.Parse("198.51.100.9");
        var buckets = new HashSet<int>();
        for (uint k = 0; k < 4096; k++)
        {
            buckets.Add(new FragmentKey(4, src, dst, k << 20, 17).GetHashCode() & 4095);
        }
        Assert.True(buckets.Count > 2_400, $"{buckets.Count} chains of 4,096 used");   // random: about 2,590
    }
}
