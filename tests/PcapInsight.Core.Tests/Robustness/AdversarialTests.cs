using System.Buffers.Binary;
using System.Diagnostics;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Events;
using PcapInsight.Core.Flows;
using PcapInsight.Core.Fragments;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Core.Tests.Robustness;

/// <summary>
/// Captures made to hurt the analyzer, generated frame by frame from one reused buffer (so the allocation measured is
/// the analyzer's): a million SYNs from random ports, a TCP stream with a huge sequence jump and endless
/// out-of-order segments, overlapping fragments that would grow a buffer without bound, and a pcapng with thousands
/// of interfaces and an oversized block. Each stays under its documented cap, with the overflow reported as an
/// event, in bounded time.
/// </summary>
public class AdversarialTests
{
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(60);

    private static (AnalysisResult Result, long Allocated) Run(IPacketSource source, AnalysisOptions options)
    {
        var clock = Stopwatch.StartNew();
        long before = GC.GetAllocatedBytesForCurrentThread();
        AnalysisResult r = CaptureAnalyzer.Run(source, [source.Stats], options);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(clock.Elapsed < HangLimit, $"took {clock.Elapsed.TotalSeconds:0.0} s");
        return (r, allocated);
    }

    private static byte[] TcpTemplate(TcpFlags flags, int payload) =>
        FrameBuilder.Ethernet(0x0800, FrameBuilder.Ipv4("192.0.2.1", "198.51.100.1", 6, FrameBuilder.Tcp(40000, 80, 1, 0, flags, payloadLength: payload)));

    [Fact]
    public void MillionSynsFromRandomPorts_FlowTableAndListStayAtTheirLimits_OverflowReported()
    {
        byte[] syn = TcpTemplate(TcpFlags.Syn, 0);
        var rng = new Random(7);
        var source = new GeneratedSource(1_000_000, (i, frame) =>
        {
            syn.CopyTo(frame, 0);
            // A new source address and port for every SYN: each is a flow of its own.
            BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(26), 0xC0000200u + (uint)(i >> 16));   // 192.0.2.x (and up)
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(34), (ushort)i);
            BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(38), (uint)rng.Next());
        }, syn.Length);
        var options = new AnalysisOptions { Flows = new FlowTableOptions { MaxFlows = 100_000, MaxListedFlows = 50_000 } };

        (AnalysisResult r, long allocated) = Run(source, options);

        Assert.Equal(1_000_000, r.Packets.Tcp);
        Assert.Equal(1_000_000, r.FlowTable.Created);
        Assert.True(r.FlowTable.PeakActive <= 100_000);
        Assert.Equal(1, r.Events.Count(EventKind.CaptureFlowTableFull));   // reported once, counted in full
        Assert.Equal(900_000, r.FlowTable.Evicted);
        Assert.Equal(50_000, r.Flows.Count);                                // listed
        Assert.Equal(950_000, r.FlowTable.Released.Tcp);                    // released, still counted
        // A flow costs a few hundred bytes while it lives; a million of them were made and let go: what was allocated
        // is per-flow state, not a copy of the capture, and what is held at the end is the listed flows' state.
        Assert.True(allocated < 2_000L << 20, $"{allocated >> 20} MiB allocated");
    }

    [Fact]
    public void HugeSequenceJumpAndEndlessOutOfOrderSegments_StateStaysBounded()
    {
        byte[] data = TcpTemplate(TcpFlags.Ack, 1000);
        byte[] syn = TcpTemplate(TcpFlags.Syn, 0);
        const int Segments = 200_000;
        var source = new GeneratedSource(Segments + 1, (i, frame) =>
        {
            if (i == 0)
            {
                Array.Clear(frame);
                syn.CopyTo(frame, 0);
                return;
            }
            data.CopyTo(frame, 0);
            // Every segment lies beyond a hole that never fills: 1 GiB ahead (2^31 ahead would be, in TCP's serial
            // arithmetic, the past: a retransmission), then a new 2,000-byte hole every time.
            uint seq = 2 + 0x4000_0000u + (uint)(i * 3000);
            BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(38), seq);
        }, data.Length);

        (AnalysisResult r, long allocated) = Run(source, new AnalysisOptions());

        Flow flow = Assert.Single(r.Flows);
        Assert.Equal(Segments + 1, flow.PacketsC2S);
        Assert.True(r.Events.Count(EventKind.TcpLostSegment) > 0, string.Join(", ", r.Events.Counts().Select(c => $"{c.Info.Name}={c.Count}")));
        // 200 MB of segments went through: what the analysis allocated is bounded state, not the data.
        Assert.True(allocated < 64L << 20, $"{allocated >> 20} MiB allocated");
    }

    [Fact]
    public void OverlappingFragmentsThatNeverComplete_HeldBytesStayUnderTheCap_AndTheOverflowIsReported()
    {
        // 100,000 fragments of one datagram (same id), each 1,480 bytes at a random offset, overlapping, the last
        // fragment never sent: a reassembler that kept every copy would grow without bound. Each copy is logged (to
        // replay the overlap policies), so past the cap and past what an honest datagram holds (1 MiB, some 700
        // copies here) the datagram is given up, and the next copy begins it again.
        byte[] template = FrameBuilder.Ethernet(0x0800, FrameBuilder.Ipv4("192.0.2.1", "198.51.100.1", 17, new byte[1480]));
        var rng = new Random(11);
        var source = new GeneratedSource(100_000, (i, frame) =>
        {
            template.CopyTo(frame, 0);
            ushort id = (ushort)(i / 20_000);   // five datagrams, one after another
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(18), id);
            int offsetUnits = rng.Next(0, 8000);  // up to 64,000 bytes into the datagram
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(20), (ushort)(0x2000 | offsetUnits));   // MF set, never the last
        }, template.Length);
        var options = new AnalysisOptions { Fragments = new FragmentOptions { MaxDatagrams = 2, MaxBytes = 256 << 10 } };

        (AnalysisResult r, long allocated) = Run(source, options);

        Assert.Equal(100_000, r.Packets.Fragments);
        Assert.True(r.Events.Count(EventKind.IpFragOverlap) + r.Events.Count(EventKind.IpFragOverlapConflict) > 0);
        Assert.Equal(100_000, r.Datagrams.Sum(d => d.Fragments));   // every fragment in one of the datagrams reported
        Assert.All(r.Datagrams, d => Assert.True(d.Fragments <= 1_000, $"{d.Fragments} fragments held in one datagram"));
        Assert.Equal(r.Datagrams.Count, r.Events.Count(EventKind.IpFragIncomplete));
        Assert.Equal(1, r.Events.Count(EventKind.CaptureFragTableFull));
        Assert.True(allocated < 256L << 20, $"{allocated >> 20} MiB allocated");
    }

    [Fact]
    public void PcapngWithThousandsOfInterfacesAndAnOversizedBlock_ReadUpToTheBadBlock()
    {
        var stream = new MemoryStream();
        var w = new PcapNgWriter(stream).Section();
        for (int i = 0; i < 10_000; i++)
        {
            w.Interface(LinkType.Ethernet, name: "if" + i);
        }
        byte[] frame = TcpTemplate(TcpFlags.Syn, 0);
        w.Enhanced(9_999, 1, frame);
        // A block that claims nearly 2 GiB: a reader that believed it would try to allocate it.
        w.Block(6, new byte[16], trailingLengthOverride: null);
        byte[] bytes = stream.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 24), 0x7FFF_FFF0);
        w.Enhanced(0, 2, frame);

        long before = GC.GetAllocatedBytesForCurrentThread();
        using IPacketSource source = Captures.Open(bytes, "hostile.pcapng");
        (var frames, CaptureFileStats stats) = Captures.ReadAll(source);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Single(frames);
        Assert.Equal(10_000, stats.Interfaces.Count);
        Assert.Contains(stats.Warnings, w => w.Message.Contains("length", StringComparison.OrdinalIgnoreCase));
        Assert.True(allocated < 64L << 20, $"{allocated >> 20} MiB allocated");
    }
}
