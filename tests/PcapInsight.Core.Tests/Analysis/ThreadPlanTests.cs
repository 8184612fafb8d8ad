using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using PcapInsight.TestKit;
using Xunit;
using static PcapInsight.TestKit.FrameBuilder;

namespace PcapInsight.Core.Tests.Analysis;

/// <summary>
/// The thread count chosen when --threads is left out: every core for many flows, one for a capture of one flow
/// (which one shard would do alone while the reading thread pays the hand-over), one for connection churn (bound by
/// making and ending flows), one for a tiny capture.
/// </summary>
public class ThreadPlanTests
{
    private static readonly byte[] ArpFrame = Ethernet(0x0806, new byte[28]);

    /// <summary>
    /// Frames of a capture, made on demand: which flow frame i belongs to is <paramref name="flowOf"/>(i); every
    /// <paramref name="synEvery"/>-th frame (0: none) opens a connection (a SYN without ACK).
    /// </summary>
    private static GeneratedSource Capture(int frames, Func<long, int> flowOf, int synEvery = 0)
    {
        int length = Ethernet(0x0800, Ipv4("192.0.2.1", "198.51.100.9", 6, Tcp(1024, 443))).Length;
        return new GeneratedSource(frames, (i, frame) =>
        {
            int flow = flowOf(i);
            if (flow < 0)
            {
                ArpFrame.CopyTo(frame, 0);
                Array.Clear(frame, ArpFrame.Length, frame.Length - ArpFrame.Length);
                return;
            }
            // Odd frames answer: both directions of a flow must count as one flow.
            TcpFlags flags = synEvery > 0 && i % synEvery == 0 ? TcpFlags.Syn : TcpFlags.Ack;
            byte[] ip = i % 2 == 0
                ? Ipv4($"192.0.2.{1 + flow % 200}", "198.51.100.9", 6, Tcp((ushort)(1024 + flow), 443, flags: flags))
                : Ipv4("198.51.100.9", $"192.0.2.{1 + flow % 200}", 6, Tcp(443, (ushort)(1024 + flow), flags: flags));
            Ethernet(0x0800, ip).CopyTo(frame, 0);
        }, length);
    }

    public static TheoryData<string, int, int, int, int, int> Cases() => new()
    {
        // name, frames (flow i / 2 % flows; -1 flows: ARP only), flows, a SYN every N frames (0: none), cores, expected threads
        { "one flow, two cores", 50_000, 1, 0, 2, 1 },
        { "one flow, four cores", 50_000, 1, 0, 4, 1 },
        { "many flows, two cores", 50_000, 5_000, 0, 2, 2 },
        { "many flows, four cores", 50_000, 5_000, 0, 4, 4 },
        { "many flows, one core", 50_000, 5_000, 0, 1, 1 },
        { "many flows, a SYN every 100 packets", 50_000, 5_000, 100, 2, 2 },
        { "short connections, a SYN every 8 packets", 50_000, 5_000, 8, 2, 1 },
        { "short connections, a SYN every 20 packets", 50_000, 5_000, ThreadPlan.PacketsPerNewConnection, 2, 1 },
        { "many flows, smaller than the sample", ThreadPlan.SamplePackets - 1, 5_000, 0, 2, 1 },
        { "no IP at all", 50_000, -1, 0, 2, 1 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Choose_EveryCoreOnlyWhereASecondThreadPays(string name, int frames, int flows, int synEvery, int cores, int expected)
    {
        using GeneratedSource source = Capture(frames, i => flows < 0 ? -1 : (int)(i / 2 % flows), synEvery);

        ThreadChoice choice = ThreadPlan.Choose(source, cores);

        Assert.True(expected == choice.Threads, $"{name}: {choice}");
        // One core: nothing to choose, nothing read.
        Assert.Equal(flows < 0 || cores == 1 ? 0 : Math.Min(frames, ThreadPlan.SamplePackets), choice.SampledPackets);
        if (flows == 1)
        {
            Assert.Equal(1.0, choice.Spread);
        }
    }

    /// <summary>
    /// Frames of UDP flows: frame i belongs to flow <paramref name="flowOf"/>(i), even frames from the client, odd ones
    /// the answer.
    /// </summary>
    private static GeneratedSource UdpCapture(int frames, Func<long, int> flowOf)
    {
        int length = Ethernet(0x0800, Ipv4("192.0.2.1", "198.51.100.9", 17, Udp(1024, 53, 40))).Length;
        return new GeneratedSource(frames, (i, frame) =>
        {
            int flow = flowOf(i);
            var client = $"192.0.2.{1 + flow / 60_000 % 200}";
            ushort port = (ushort)(1024 + flow % 60_000);
            byte[] ip = i % 2 == 0
                ? Ipv4(client, "198.51.100.9", 17, Udp(port, 53, 40))
                : Ipv4("198.51.100.9", client, 17, Udp(53, port, 40));
            Ethernet(0x0800, ip).CopyTo(frame, 0);
        }, length);
    }

    public static TheoryData<string, int, int, int> UdpCases() => new()
    {
        // name, frames, the frames of one flow in a row before the next (0: flows in turn), flows in turn; expected threads on two cores
        { "request/answer pairs, a new flow every 2 packets (a DNS resolver's)", 50_000, 2, 1 },
        { "exchanges of 20 packets each: a new flow every 20", 50_000, 20, 1 },
        { "exchanges of 40 packets each: a new flow every 40", 50_000, 40, 2 },
    };

    [Theory]
    [MemberData(nameof(UdpCases))]
    public void Choose_UdpFlowsThatComeAndGo_OneThread(string name, int frames, int packetsPerFlow, int expected)
    {
        using GeneratedSource source = UdpCapture(frames, i => (int)(i / packetsPerFlow));

        ThreadChoice choice = ThreadPlan.Choose(source, 2);

        Assert.True(expected == choice.Threads, $"{name}: {choice}");
        Assert.InRange(choice.UdpFlowsBack, 0, 1);   // at most the exchange across the middle of the sample
    }

    [Theory]
    [InlineData(1_000)]    // every flow seen once or twice in each half of the sample
    [InlineData(500)]      // two or three times in each
    public void Choose_ManyLongUdpFlows_EveryCore(int flows)
    {
        // RTP streams, a tunnel's flows: as many new flows in the first half as pairs, but they come back.
        using GeneratedSource source = UdpCapture(50_000, i => (int)(i / 2 % flows));

        ThreadChoice choice = ThreadPlan.Choose(source, 2);

        Assert.True(choice.Threads == 2, choice.ToString());
        Assert.Equal(Math.Min(flows, ThreadPlan.SamplePackets / 4), choice.UdpFlows);
        Assert.True(2 * choice.UdpFlowsBack >= choice.UdpFlows, choice.ToString());
    }

    [Fact]
    public void Choose_ManyFlowsSpreadAsTheShardHashDoes()
    {
        // Shard 0 runs on the reading thread and gets half a share: 2N - 1 equal parts, so many flows spread
        // (2N - 1) / 2 over the busiest shard: 1.5 on two cores, 3.5 on four.
        foreach ((int cores, double expected) in new[] { (2, 1.5), (4, 3.5) })
        {
            using GeneratedSource source = Capture(50_000, i => (int)(i / 2 % 2_500));
            Assert.InRange(ThreadPlan.Choose(source, cores).Spread, expected * 0.9, expected * 1.1);
        }
    }

    [Fact]
    public void Choose_ReadsOnlyTheSample_EvenWithoutIp()
    {
        long read = 0;
        using var source = new GeneratedSource(10_000_000, (i, frame) => { read = i + 1; ArpFrame.CopyTo(frame, 0); }, ArpFrame.Length);

        ThreadChoice choice = ThreadPlan.Choose(source, 2);

        Assert.Equal(1, choice.Threads);
        Assert.Equal(ThreadPlan.SampleFrames, read);
    }

    [Fact]
    public void Choose_FromAFile_ThroughTheGivenFilter()
    {
        string path = Path.Combine(Path.GetTempPath(), $"pcapinsight-threadplan-{Environment.ProcessId}.pcap");
        try
        {
            // 20,000 frames of 2,000 long flows: every core.
            Write(path, Capture(20_000, i => (int)(i / 2 % 2_000)));
            Assert.Equal(2, ThreadPlan.Choose(path, 2, CaptureReaderOptions.Default).Threads);
            // Through a filter that passes one flow (client port 1024), the analysis sees one flow: one thread.
            ThreadChoice filtered = ThreadPlan.Choose(path, 2, CaptureReaderOptions.Default, source => new OnlyClientPort(source, 1024));
            Assert.Equal((1, 1.0), (filtered.Threads, filtered.Spread));

            // The million-connection benchmark's kind of capture: a SYN every 8 packets.
            ShortConnections.Write(path, 2_000);
            ThreadChoice churn = ThreadPlan.Choose(path, 2, CaptureReaderOptions.Default);
            Assert.Equal(1, churn.Threads);
            Assert.InRange(churn.Openings, ThreadPlan.SamplePackets / 8, ThreadPlan.SamplePackets / 7);

            // The UDP benchmark's kind (make-udp-flows): request/answer pairs, no SYN to count.
            Write(path, UdpCapture(20_000, i => (int)(i / 2)));
            ThreadChoice udpChurn = ThreadPlan.Choose(path, 2, CaptureReaderOptions.Default);
            Assert.Equal((1, 0, ThreadPlan.SamplePackets / 4, 0), (udpChurn.Threads, udpChurn.Openings, udpChurn.UdpFlows, udpChurn.UdpFlowsBack));
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Writes every frame of <paramref name="source"/> (then disposed) to a pcap file at <paramref name="path"/>.</summary>
    private static void Write(string path, GeneratedSource source)
    {
        using (source)
        using (var file = File.Create(path))
        using (var writer = new PcapWriter(file, LinkType.Ethernet))
        {
            while (source.TryRead(out CaptureInfo info, out ReadOnlySpan<byte> frame))
            {
                writer.Write(info.TimestampNs, frame, info.OriginalLength);
            }
        }
    }

    /// <summary>Passes the frames of TCP over IPv4 over Ethernet from or to <paramref name="port"/>, as a BPF filter would.</summary>
    private sealed class OnlyClientPort(IPacketSource inner, ushort port) : IPacketSource
    {
        public CaptureFileStats Stats => inner.Stats;

        public bool TryRead(out CaptureInfo info, out ReadOnlySpan<byte> data)
        {
            while (inner.TryRead(out info, out data))
            {
                if (data.Length >= 38 && (Port(data, 34) == port || Port(data, 36) == port))
                {
                    return true;
                }
            }
            return false;
        }

        private static int Port(ReadOnlySpan<byte> frame, int at) => frame[at] << 8 | frame[at + 1];

        public void Dispose() => inner.Dispose();
    }
}
