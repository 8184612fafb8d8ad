using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.TestKit;
using Xunit;
using static PcapInsight.TestKit.FrameBuilder;

namespace PcapInsight.Core.Tests.Analysis;

/// <summary>
/// The thread count chosen when --threads is left out: every core for many flows, one for a capture of one flow
/// (which one shard would do alone while the reading thread pays the hand-over), one for a tiny capture.
/// </summary>
public class ThreadPlanTests
{
    private static readonly byte[] ArpFrame = Ethernet(0x0806, new byte[28]);

    /// <summary>Frames of a capture, made on demand: which flow frame i belongs to is <paramref name="flowOf"/>(i).</summary>
    private static GeneratedSource Capture(int frames, Func<long, int> flowOf)
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
            byte[] ip = i % 2 == 0
                ? Ipv4($"192.0.2.{1 + flow % 200}", "198.51.100.9", 6, Tcp((ushort)(1024 + flow), 443))
                : Ipv4("198.51.100.9", $"192.0.2.{1 + flow % 200}", 6, Tcp(443, (ushort)(1024 + flow)));
            Ethernet(0x0800, ip).CopyTo(frame, 0);
        }, length);
    }

    public static TheoryData<string, int, int, int> Cases() => new()
    {
        // name, frames (flow i % flows; -1 flows: ARP only), flows, cores -> expected threads is checked below
        { "one flow, two cores", 50_000, 1, 2 },
        { "one flow, four cores", 50_000, 1, 4 },
        { "many flows, two cores", 50_000, 5_000, 2 },
        { "many flows, four cores", 50_000, 5_000, 4 },
        { "many flows, one core", 50_000, 5_000, 1 },
        { "many flows, smaller than the sample", ThreadPlan.SamplePackets - 1, 5_000, 2 },
        { "no IP at all", 50_000, -1, 2 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Choose_EveryCoreOnlyForManyFlowsInALargeEnoughCapture(string name, int frames, int flows, int cores)
    {
        using GeneratedSource source = Capture(frames, i => flows < 0 ? -1 : (int)(i / 2 % flows));

        ThreadChoice choice = ThreadPlan.Choose(source, cores);

        bool spread = flows > 1 && frames >= ThreadPlan.SamplePackets;
        Assert.True((spread ? cores : 1) == choice.Threads, $"{name}: {choice}");
        // One core: nothing to choose, nothing read.
        Assert.Equal(flows < 0 || cores == 1 ? 0 : Math.Min(frames, ThreadPlan.SamplePackets), choice.SampledPackets);
        if (flows == 1)
        {
            Assert.Equal(1.0, choice.Spread);
        }
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
            ShortConnections.Write(path, 2_000);   // 16,000 frames of 2,000 connections

            Assert.Equal(2, ThreadPlan.Choose(path, 2, CaptureReaderOptions.Default).Threads);
            // Through a filter that passes one connection, the analysis sees its 8 packets: one thread.
            ThreadChoice filtered = ThreadPlan.Choose(path, 2, CaptureReaderOptions.Default, source => new OnlyClientPort(source, 1024));
            Assert.Equal((1, 8), (filtered.Threads, filtered.SampledPackets));
        }
        finally
        {
            File.Delete(path);
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
