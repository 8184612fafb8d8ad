using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Events;
using PcapInsight.Core.Fragments;
using PcapInsight.TestKit;
using Xunit;
using static PcapInsight.TestKit.FrameBuilder;

namespace PcapInsight.Core.Tests.Fragments;

/// <summary>Fragments in, datagrams out: order, duplication, overlap, limits and timeouts.</summary>
public class IpReassemblerTests
{
    private static readonly byte[] Udp3000 = Udp(5000, 6000, 2992);   // an 8-byte UDP header and 2992 bytes of data

    /// <summary>The IPv4 frames of <paramref name="payload"/> cut at the given (offset, length) pieces.</summary>
    private static byte[] Fragment4(byte[] payload, int offset, int length, ushort id = 7) =>
        Ethernet(0x0800, Ipv4("192.0.2.1", "198.51.100.1", 17, payload[offset..(offset + length)], id: id,
            moreFragments: offset + length < payload.Length, fragmentOffsetBytes: offset));

    private static byte[] Fragment6(byte[] payload, int offset, int length, uint id = 7) =>
        Ethernet(0x86DD, Ipv6("2001:db8::1", "2001:db8::2", 44, Concat(Ipv6Fragment(17, offset, offset + length < payload.Length, id), payload[offset..(offset + length)])));

    private static (IpReassembler Reassembler, List<(FragmentStatus Status, string Ended, byte[] Bytes)> Finished) Make(FragmentOptions? options = null)
    {
        var finished = new List<(FragmentStatus, string, byte[])>();
        var reassembler = new IpReassembler(options ?? new FragmentOptions());
        reassembler.Finished = (d, ended) => finished.Add((d.Status, ended, d.Status == FragmentStatus.Incomplete ? [] : d.Payload.ToArray()));
        return (reassembler, finished);
    }

    private static void Feed(IpReassembler reassembler, byte[] frame, long timeNs = 0)
    {
        var p = new DecodedPacket();
        FrameDecoder.Decode(frame, LinkType.Ethernet, ref p);
        Assert.True(p.IsFragment);
        reassembler.Add(frame, p, new CaptureInfo { TimestampNs = timeNs, FrameNumber = 1, CapturedLength = frame.Length, OriginalLength = frame.Length });
    }

    public static TheoryData<int> Seeds => new() { 1, 2, 3, 4, 5, 6, 7, 8 };

    [Theory]
    [MemberData(nameof(Seeds))]
    public void AnyOrderAndAnyDuplicates_GiveTheSameBytes(int seed)
    {
        var random = new Random(seed);
        (int Offset, int Length)[] pieces = [(0, 1480), (1480, 1480), (2960, 40)];
        var frames = new List<byte[]>();
        foreach (bool v6 in new[] { false, true })
        {
            var order = pieces.Concat(pieces.Where(_ => random.Next(3) == 0)).OrderBy(_ => random.Next()).ToList();
            frames.AddRange(order.Select(piece => v6 ? Fragment6(Udp3000, piece.Offset, piece.Length) : Fragment4(Udp3000, piece.Offset, piece.Length)));
        }
        (IpReassembler reassembler, var finished) = Make();

        foreach (byte[] frame in frames)
        {
            Feed(reassembler, frame);
        }
        reassembler.FinishAll();

        // A duplicate arriving after completion starts a datagram that never completes: that is what a receiver sees.
        var whole = finished.Where(f => f.Status != FragmentStatus.Incomplete).ToList();
        Assert.Equal(2, whole.Count);
        Assert.All(whole, f => Assert.Equal(Udp3000, f.Bytes));
        Assert.All(whole, f => Assert.NotEqual(FragmentStatus.Conflict, f.Status));
    }

    [Fact]
    public void OverlapWithDifferentBytes_IsAConflict_TheFirstCopyIsKept()
    {
        byte[] altered = (byte[])Udp3000.Clone();
        altered[1400] ^= 0xFF;
        (IpReassembler reassembler, var finished) = Make();

        Feed(reassembler, Fragment4(Udp3000, 0, 1480));
        Feed(reassembler, Fragment4(altered, 1400, 1600));   // re-sends 1400-1480 with one byte changed

        (FragmentStatus status, string ended, byte[] bytes) = Assert.Single(finished);
        Assert.Equal((FragmentStatus.Conflict, "complete"), (status, ended));
        Assert.Equal(Udp3000, bytes);
    }

    [Fact]
    public void NeverCompleted_IsGivenUpAfterItsTimeout_InCaptureTime()
    {
        (IpReassembler reassembler, var finished) = Make();

        Feed(reassembler, Fragment4(Udp3000, 0, 1480), timeNs: 0);
        reassembler.Expire(30_000_000_000);
        Assert.Empty(finished);
        reassembler.Expire(30_000_000_001);

        Assert.Equal((FragmentStatus.Incomplete, "timeout"), (finished[0].Status, finished[0].Ended));
    }

    [Fact]
    public void FloodOfNeverCompletedFragments_StaysWithinTheLimits()
    {
        var options = new FragmentOptions { MaxDatagrams = 100, MaxBytes = 1 << 20 };
        (IpReassembler reassembler, var finished) = Make(options);

        for (int i = 0; i < 5_000; i++)
        {
            Feed(reassembler, Fragment4(Udp3000, 0, 1480, id: (ushort)i), timeNs: i);
            Assert.True(reassembler.Open <= 100);
            Assert.True(reassembler.BytesHeld <= options.MaxBytes, $"{reassembler.BytesHeld} bytes held");
        }

        Assert.Equal(4_900, reassembler.Evicted);
        Assert.All(finished, f => Assert.Equal("evicted", f.Ended));
    }

    [Fact]
    public void OneDatagramSentOverAndOver_IsGivenUp_SoItsMemoryStaysBounded()
    {
        // Every copy of a fragment is logged (to replay the overlap policies), so copies of one datagram's fragment
        // without end would hold memory without end: past the byte limit and past what an honest datagram holds
        // (1 MiB), that datagram is given up too, and the next copy begins another.
        var options = new FragmentOptions { MaxBytes = 65_535 };
        (IpReassembler reassembler, var finished) = Make(options);

        for (int i = 0; i < 3_000; i++)
        {
            Feed(reassembler, Fragment4(Udp3000, 0, 1480), timeNs: i);
            Assert.True(reassembler.BytesHeld <= 1 << 20, $"{reassembler.BytesHeld} bytes held after {i + 1} copies");
        }
        reassembler.FinishAll();

        Assert.True(reassembler.Evicted >= 3, $"{reassembler.Evicted} given up");
        Assert.Equal(reassembler.Evicted + 1, finished.Count);
        Assert.All(finished, f => Assert.Equal(FragmentStatus.Incomplete, f.Status));
        Assert.Equal(0, reassembler.BytesHeld);
    }

    [Fact]
    public void TheLargestDatagram_CompletesUnderTheSmallestByteLimit()
    {
        byte[] largest = Udp(5000, 6000, 65_507);   // 65,515 bytes of IP payload: the most IPv4 carries
        (IpReassembler reassembler, var finished) = Make(new FragmentOptions { MaxBytes = 65_535 });

        // In 1480-byte pieces, each sent twice: the log holds every copy, past the limit, and yet it completes.
        for (int offset = 0; offset < largest.Length; offset += 1480)
        {
            int length = Math.Min(1480, largest.Length - offset);
            Feed(reassembler, Fragment4(largest, offset, length));
            if (offset + length < largest.Length)
            {
                Feed(reassembler, Fragment4(largest, offset, length));
            }
        }

        (FragmentStatus status, string ended, byte[] bytes) = Assert.Single(finished);
        Assert.Equal((FragmentStatus.Overlap, "complete"), (status, ended));
        Assert.Equal(largest, bytes);
        Assert.Equal(0, reassembler.Evicted);
    }

    [Fact]
    public void Analyzer_ReportsTheFloodOnce_AndEveryDatagramAsIncomplete()
    {
        var frames = Enumerable.Range(0, 300).Select(i => (i * 0.001, Fragment4(Udp3000, 1480, 1480, id: (ushort)i))).ToArray();

        AnalysisResult r = Captures.Analyze(Captures.Pcap(LinkType.Ethernet, frames),
            new AnalysisOptions { Fragments = new FragmentOptions { MaxDatagrams = 50 } });

        Assert.Equal(1, r.Events.Count(EventKind.CaptureFragTableFull));
        Assert.Equal(300, r.Events.Count(EventKind.IpFragIncomplete));
        Assert.Equal(300, r.Datagrams.Count);
    }

    [Fact]
    public void TinyOversizeAndDf_AreReported()
    {
        byte[] big = Udp(1, 2, 65_600);
        AnalysisResult r = Captures.Analyze(Captures.Pcap(LinkType.Ethernet,
        [
            (0.0, Ethernet(0x0800, Ipv4("192.0.2.1", "198.51.100.1", 17, big[..16], id: 1, moreFragments: true))),
            (0.001, Ethernet(0x0800, Ipv4("192.0.2.1", "198.51.100.1", 17, big[16..1480], id: 1, moreFragments: true, fragmentOffsetBytes: 16, dontFragment: true))),
            (0.002, Ethernet(0x0800, Ipv4("192.0.2.1", "198.51.100.1", 17, big[..1480], id: 2, fragmentOffsetBytes: 65_000))),
        ]));

        Assert.Equal(1, r.Events.Count(EventKind.IpFragTiny));
        Assert.Equal(1, r.Events.Count(EventKind.IpFragDf));
        Assert.Equal(1, r.Events.Count(EventKind.IpFragOversize));
        Assert.Equal([1, 0], r.Datagrams.OrderBy(d => d.IpId).Select(d => d.TinyFragments));
    }

    [Theory]
    [InlineData(new[] { 8, 8, 8 }, new[] { 0, 8, 16 }, 3)]   // three tiny fragments before the last: each counted
    [InlineData(new[] { 8, 8 }, new[] { 0, 0 }, 2)]          // a copy of a tiny fragment counts again, as fragments counts it
    [InlineData(new[] { 256 }, new[] { 0 }, 0)]              // at the limit: not tiny
    [InlineData(new[] { 248, 8 }, new[] { 0, 248 }, 2)]      // under it
    public void TinyFragments_CountsEveryFragmentButTheLastUnderTheLimit(int[] sizes, int[] offsets, int tiny)
    {
        // The fragments given, then a last one of 8 bytes after them: under the limit too, but never tiny (the last
        // fragment may be as short as it likes).
        byte[] payload = Udp(1, 2, 2_000);
        var frames = new List<(double, byte[])>();
        for (int i = 0; i < sizes.Length; i++)
        {
            frames.Add((0.001 * i, Ethernet(0x0800, Ipv4("192.0.2.1", "198.51.100.1", 17, payload[offsets[i]..(offsets[i] + sizes[i])], id: 7,
                moreFragments: true, fragmentOffsetBytes: offsets[i]))));
        }
        int end = sizes.Zip(offsets, (size, at) => size + at).Max();
        frames.Add((0.01, Ethernet(0x0800, Ipv4("192.0.2.1", "198.51.100.1", 17, payload[end..(end + 8)], id: 7, fragmentOffsetBytes: end))));

        AnalysisResult r = Captures.Analyze(Captures.Pcap(LinkType.Ethernet, frames.ToArray()));

        DatagramRecord d = Assert.Single(r.Datagrams);
        Assert.Equal(tiny, d.TinyFragments);
        Assert.Equal(tiny > 0 ? 1 : 0, r.Events.Count(EventKind.IpFragTiny));
    }
}
