using PcapInsight.Core.Capture;
using PcapInsight.Core.Collections;
using PcapInsight.Core.TwoPoint;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Core.Tests.TwoPoint;

/// <summary>
/// The second capture's key table gives the matching the queue-per-key dictionary gave before it (the model here):
/// each first-point packet takes the earliest unmatched second-point packet of its key, and the leftovers of keys the
/// first point has come out in the order of their key's first occurrence, then the capture's.
/// </summary>
public class SecondPointKeysTests
{
    public static TheoryData<string, int, int, int> Shapes => new()
    {
        // name, packets at the first point, at the second, distinct keys (few keys: many copies and collisions of slots)
        { "no packets at the second point", 50, 0, 10 },
        { "no packets at the first point", 0, 50, 10 },
        { "every packet once", 2_000, 2_000, 1_000_000 },
        { "a few keys, many copies each", 3_000, 3_000, 7 },
        { "more at the second point (duplicates)", 1_000, 5_000, 300 },
        { "more at the first point (losses)", 5_000, 1_000, 300 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Matching_IsTheQueuePerKeyModels(string shape, int firstCount, int secondCount, int distinct)
    {
        var random = new Random(firstCount * 31 + secondCount);
        // Keys drawn from a small set, as a capture's: copies at both points. Spread over the 64 bits as hashes are.
        ulong[] pool = Enumerable.Range(0, Math.Min(distinct, 100_000)).Select(_ => (ulong)random.NextInt64() * 2 + 1).ToArray();
        ulong[] first = Enumerable.Range(0, firstCount).Select(_ => pool[random.Next(pool.Length)]).ToArray();
        ulong[] second = Enumerable.Range(0, secondCount).Select(_ => pool[random.Next(pool.Length)]).ToArray();
        var packets = SeenPacketsOf(second);

        var keys = new SecondPointKeys(packets);
        int[] matched = first.Select(keys.Match).ToArray();
        bool[] atFirst = Enumerable.Range(0, second.Length).Select(keys.AtFirst).ToArray();
        int[] leftOver = keys.LeftOverOfKeysAtFirst().ToArray();

        // The model: a queue of indexes per key, keys in the order first seen.
        var queues = new Dictionary<ulong, Queue<int>>();
        for (int j = 0; j < second.Length; j++)
        {
            (queues.TryGetValue(second[j], out Queue<int>? q) ? q : queues[second[j]] = new Queue<int>()).Enqueue(j);
        }
        int[] expectedMatched = first.Select(k => queues.TryGetValue(k, out Queue<int>? q) && q.Count > 0 ? q.Dequeue() : -1).ToArray();
        var seenFirst = first.ToHashSet();
        int[] expectedLeftOver = queues.Where(kv => seenFirst.Contains(kv.Key)).SelectMany(kv => kv.Value).ToArray();

        Assert.True(expectedMatched.SequenceEqual(matched), shape);
        Assert.True(second.Select(seenFirst.Contains).SequenceEqual(atFirst), shape);
        Assert.True(expectedLeftOver.SequenceEqual(leftOver), shape);
    }

    [Fact]
    public void ABlockHash_TellsTailsAndLengthsApart_AndSeesEveryByte()
    {
        byte[] bytes = Enumerable.Range(1, 100).Select(i => (byte)i).ToArray();
        var hashes = new HashSet<ulong>();
        for (int length = 0; length <= 100; length++)
        {
            Assert.True(hashes.Add(SeededHash.Bytes(0, bytes.AsSpan(0, length))), $"length {length}");
        }
        // Zeros of different lengths (the tail is zero-padded: the length must tell them apart).
        for (int length = 1; length <= 40; length++)
        {
            Assert.True(hashes.Add(SeededHash.Bytes(0, new byte[length])), $"{length} zeros");
        }
        // One bit flipped anywhere changes it.
        ulong whole = SeededHash.Bytes(7, bytes);
        for (int i = 0; i < bytes.Length; i++)
        {
            byte[] flipped = (byte[])bytes.Clone();
            flipped[i] ^= 0x10;
            Assert.NotEqual(whole, SeededHash.Bytes(7, flipped));
        }
        Assert.Equal(whole, SeededHash.Bytes(7, (byte[])bytes.Clone()));
        Assert.NotEqual(whole, SeededHash.Bytes(8, bytes));
    }

    /// <summary>
    /// A capture compared with itself keeps about 100-120 bytes a packet for the matching (the packets and the key table),
    /// where a packet and its description as text, a queue per key and a set of the first point's keys took about 350.
    /// </summary>
    [Fact]
    public void Compare_KeepsAbout100BytesAPacket_NoDescriptionsAsText()
    {
        string capture = Path.Combine(Path.GetTempPath(), $"pcapinsight-diff-{Environment.ProcessId}-{Guid.NewGuid():N}.pcap");
        try
        {
            ShortConnections.Write(capture, 25_000);   // 200,000 frames
            TwoPointDiff.Compare(Open(), Open());       // compiled first

            long before = GC.GetAllocatedBytesForCurrentThread();
            TwoPointResult r = TwoPointDiff.Compare(Open(), Open());
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            Assert.Equal(200_000, r.Matched);
            Assert.Empty(r.Lost);
            // 56 bytes a packet kept, the key table's 25-50, the delays: 119 here, where the last of the 65,536-packet
            // blocks is mostly empty still; 350 and more before.
            Assert.True(allocated < 2 * 200_000 * 140, $"{allocated / 400_000} bytes a packet");
        }
        finally
        {
            File.Delete(capture);
        }

        IPacketSource Open() => CaptureFile.Open(capture, 0);
    }

    private static SeenPackets SeenPacketsOf(ulong[] keys)
    {
        var packets = new SeenPackets();
        foreach (ulong key in keys)
        {
            packets.Add().Key = key;
        }
        return packets;
    }
}
