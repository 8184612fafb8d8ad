using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Flows;
using PcapInsight.Core.TcpAnalysis;
using PcapInsight.TestKit;
using Xunit;
using static PcapInsight.TestKit.FrameBuilder;

namespace PcapInsight.Core.Tests.Analysis;

/// <summary>
/// A flow's time series recorded by a second read of the capture (<c>analyze --flow N</c> when N had no series slot)
/// holds the points the analysis records for it when it has one: on every sample capture, the public corpus, and
/// crafted captures where the flow's ports were used before, its segment came in fragments, or other flows between
/// the same hosts come in between.
/// </summary>
public class FlowReplayTests
{
    private static readonly AnalysisOptions EverySeries = new() { SeriesFlows = 100_000 };

    public static TheoryData<string> SampleCaptures() => RepoPaths.SampleNames();

    [Theory]
    [MemberData(nameof(SampleCaptures))]
    public void SampleCapture_EveryTcpFlowReplayed_HasTheSeriesTheAnalysisRecorded(string file)
    {
        int replayed = AssertEveryFlowReplaysAlike(RepoPaths.Sample(file), maxFlows: int.MaxValue);
        int together = AssertFlowsReplayedTogetherAlike(RepoPaths.Sample(file), maxFlows: int.MaxValue);

        Assert.True(replayed > 0 || !HasTcp(RepoPaths.Sample(file)), $"{file}: no TCP flow was replayed");
        Assert.Equal(replayed, together);
    }

    [CorpusTheory]
    [MemberData(nameof(CorpusManifest.FileNames), MemberType = typeof(CorpusManifest))]
    public void CorpusFile_TcpFlowsReplayed_HaveTheSeriesTheAnalysisRecorded(string file)
    {
        CorpusEntry entry = CorpusManifest.Get(file);
        if (entry.AnalyzeOrNull() is null)
        {
            return;   // not a capture we read (the corpus' packet-count test holds the reason)
        }
        // One at a time, up to 12 flows a file spread over its ids (a file of thousands of connections would read itself
        // thousands of times); together, in one read, up to 200.
        AssertEveryFlowReplaysAlike(entry.Path, maxFlows: 12);
        AssertFlowsReplayedTogetherAlike(entry.Path, maxFlows: 200);
    }

    [Fact]
    public void PortsUsedBefore_FragmentedSegment_OtherFlowsBetween_OnlyTheFlowsOwnPointsAreReplayed()
    {
        // Two connections on the same ports (the first closed and gone past the linger before the second), another
        // connection between the same hosts in between, and one data segment of the second connection in two fragments.
        var frames = new List<(double, byte[])>();
        void Tcp(double t, bool fromClient, uint seq, uint ack, TcpFlags flags, int len = 0, ushort clientPort = 40000) =>
            frames.Add((t, Segment(fromClient, seq, ack, flags, len, clientPort)));
        void Connection(double t0, uint isn, ushort clientPort = 40000)
        {
            Tcp(t0, true, isn, 0, TcpFlags.Syn, clientPort: clientPort);
            Tcp(t0 + 0.01, false, 5000, isn + 1, TcpFlags.Syn | TcpFlags.Ack, clientPort: clientPort);
            Tcp(t0 + 0.02, true, isn + 1, 5001, TcpFlags.Ack, clientPort: clientPort);
            Tcp(t0 + 0.03, true, isn + 1, 5001, TcpFlags.Ack | TcpFlags.Psh, 100, clientPort);
            Tcp(t0 + 0.04, false, 5001, isn + 101, TcpFlags.Ack, clientPort: clientPort);
        }
        Connection(0, 1000);
        Tcp(0.05, true, 1101, 5001, TcpFlags.Fin | TcpFlags.Ack);
        Tcp(0.06, false, 5001, 1102, TcpFlags.Fin | TcpFlags.Ack);
        Tcp(0.07, true, 1102, 5002, TcpFlags.Ack);
        Connection(100, 7000);
        Connection(100.005, 9000, clientPort: 40001);
        // The second connection's next 400 bytes in two fragments (a 24-byte first: TCP header and 4 data bytes).
        byte[] segment = FrameBuilder.Tcp(40000, 80, 7101, 5001, TcpFlags.Ack | TcpFlags.Psh, payloadLength: 400);
        frames.Add((100.05, Ethernet(0x0800, Ipv4("192.0.2.1", "198.51.100.1", 6, segment[..24], id: 77, moreFragments: true))));
        frames.Add((100.051, Ethernet(0x0800, Ipv4("192.0.2.1", "198.51.100.1", 6, segment[24..], id: 77, fragmentOffsetBytes: 24))));
        Tcp(100.06, false, 5001, 7501, TcpFlags.Ack);
        frames.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        byte[] pcap = Captures.Pcap(LinkType.Ethernet, frames.ToArray());

        AnalysisResult full = Captures.Analyze(pcap, EverySeries);
        Flow second = Assert.Single(full.Flows, f => f.ClientPort == 40000 && f.FirstTimeNs > 50_000_000_000);
        Assert.Equal(3, full.Flows.Count);
        using IPacketSource source = Captures.Open(pcap);
        Flow? replayed = FlowReplay.Record(source, [source.Stats], [FlowSummary.Of(second)], new AnalysisOptions()).SingleOrDefault();

        Assert.NotNull(replayed);
        Assert.Equal(second.Id, replayed.Id);
        AssertSameSeries(second, replayed, "crafted");
        Assert.Contains(replayed.Tcp!.Series!.Value.C2S.Points.ToArray(), p => p.Kind == TcpSeriesKind.Data && p.Length == 400);
    }

    /// <summary>
    /// The check at fixed offsets reads each common link's IPv4 header where it is: another flow's frames (other ports,
    /// other hosts, UDP between the chosen hosts) are dropped undecoded, the chosen flow's and its fragments pass (a
    /// header read at the wrong offset would leave every frame to the decode: mutation-checked for SLL and SLL2).
    /// </summary>
    [Theory]
    [InlineData(LinkType.Ethernet)]
    [InlineData(LinkType.LinuxSll)]
    [InlineData(LinkType.LinuxSll2)]
    [InlineData(LinkType.Raw)]
    [InlineData(LinkType.Ipv4)]
    public void CommonLinks_OtherFlowsFramesAreDroppedUndecoded(LinkType link)
    {
        byte[] Frame(byte[] ip) => link switch
        {
            LinkType.Ethernet => Ethernet(0x0800, ip),
            // SLL: packet type, ARPHRD, address length, address (8), protocol.
            LinkType.LinuxSll => [0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00, .. ip],
            // SLL2: protocol, reserved, interface index, ARPHRD, packet type, address length, address (8).
            LinkType.LinuxSll2 => [0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, .. ip],
            _ => ip,
        };
        var frames = new List<(double, byte[])>();
        for (int i = 0; i < 10; i++)
        {
            frames.Add((i, Frame(Ipv4("192.0.2.1", "198.51.100.1", 6, FrameBuilder.Tcp(40000, 80, (uint)(1000 + i), 1, TcpFlags.Ack)))));   // chosen
            frames.Add((i + 0.1, Frame(Ipv4("192.0.2.1", "198.51.100.1", 6, FrameBuilder.Tcp(40001, 80, (uint)(1000 + i), 1, TcpFlags.Ack)))));   // other ports
            frames.Add((i + 0.2, Frame(Ipv4("192.0.2.7", "198.51.100.1", 6, FrameBuilder.Tcp(40000, 80, (uint)(1000 + i), 1, TcpFlags.Ack)))));   // other hosts
            frames.Add((i + 0.3, Frame(Ipv4("198.51.100.1", "192.0.2.1", 17, FrameBuilder.Udp(53, 40000, 20)))));   // UDP between them
        }
        byte[] segment = FrameBuilder.Tcp(40000, 80, 2000, 1, TcpFlags.Ack | TcpFlags.Psh, payloadLength: 100);
        frames.Add((5.5, Frame(Ipv4("192.0.2.1", "198.51.100.1", 6, segment[..24], id: 9, moreFragments: true))));
        frames.Add((5.6, Frame(Ipv4("192.0.2.1", "198.51.100.1", 6, segment[24..], id: 9, fragmentOffsetBytes: 24))));
        frames.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        byte[] pcap = Captures.Pcap(link, frames.ToArray());
        Flow chosen = Assert.Single(Captures.Analyze(pcap).Flows, f => f.ClientPort == 40000 && f.Client.ToString() == "192.0.2.1" && f.Protocol == 6);

        using IPacketSource source = Captures.Open(pcap);
        using var read = new FlowReplay.ChosenFlowFrames(source, [FlowSummary.Of(chosen)]);
        int passed = 0;
        while (read.TryRead(out _, out _))
        {
            passed++;
        }

        Assert.Equal(10 + 2, passed);   // the flow's frames and the two fragments between its hosts
        Assert.Equal(30, read.Undecoded);   // the other ports', the other hosts' and the UDP frames, up to the flow's last
    }

    [Theory]
    [InlineData(false, 10)]       // a flow never found in a tunnel: no tunnel's datagram holds its packets
    [InlineData(true, 10 + 2)]    // one found in a tunnel: UDP fragments may be a tunnel's datagram, reassembled to see
    public void UdpFragmentsOfOtherHosts_PassedOnOnlyWhenAChosenFlowWasFoundInATunnel(bool tunneled, int expected)
    {
        var frames = new List<(double, byte[])>();
        for (int i = 0; i < 10; i++)
        {
            frames.Add((i, Ethernet(0x0800, Ipv4("192.0.2.1", "198.51.100.1", 6, FrameBuilder.Tcp(40000, 80, (uint)(1000 + i), 1, TcpFlags.Ack)))));
        }
        // A UDP datagram to the VXLAN port in two fragments, between other hosts: only the first fragment has ports.
        byte[] datagram = FrameBuilder.Udp(50000, 4789, 100);
        frames.Add((4.5, Ethernet(0x0800, Ipv4("203.0.113.1", "203.0.113.2", 17, datagram[..48], id: 7, moreFragments: true))));
        frames.Add((4.6, Ethernet(0x0800, Ipv4("203.0.113.1", "203.0.113.2", 17, datagram[48..], id: 7, fragmentOffsetBytes: 48))));
        frames.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        byte[] pcap = Captures.Pcap(LinkType.Ethernet, frames.ToArray());
        FlowSummary chosen = FlowSummary.Of(Assert.Single(Captures.Analyze(pcap).Flows, f => f.Protocol == 6));
        Assert.Equal(TunnelKinds.None, chosen.Tunnels);
        if (tunneled)
        {
            chosen.Tunnels = TunnelKinds.Vxlan;
        }

        foreach (bool precheck in (ReadOnlySpan<bool>)[true, false])
        {
            using IPacketSource source = Captures.Open(pcap);
            using var read = new FlowReplay.ChosenFlowFrames(source, [chosen]) { Precheck = precheck };
            int passed = 0;
            while (read.TryRead(out _, out _))
            {
                passed++;
            }
            Assert.Equal(expected, passed);
        }
    }

    [Fact]
    public void ClockSteppedBack_TheFlowsLaterPacketsStillReplayed_AndReadingStopsAfterItsLast()
    {
        // Another connection's frame stamped 10 s later sits between the flow's packets (the clock stepped back after
        // it): the flow's packets after it are still its own. After the flow's last packet, 1,000 frames of other
        // traffic are not read.
        var frames = new List<(double, byte[])>();
        void Tcp(double t, bool fromClient, uint seq, uint ack, TcpFlags flags, int len = 0, ushort clientPort = 40000) =>
            frames.Add((t, Segment(fromClient, seq, ack, flags, len, clientPort)));
        Tcp(1.00, true, 1000, 0, TcpFlags.Syn);
        Tcp(1.01, false, 5000, 1001, TcpFlags.Syn | TcpFlags.Ack);
        Tcp(11.0, true, 300, 0, TcpFlags.Syn, clientPort: 40001);
        Tcp(1.02, true, 1001, 5001, TcpFlags.Ack);
        Tcp(1.03, true, 1001, 5001, TcpFlags.Ack | TcpFlags.Psh, 100);
        Tcp(1.04, false, 5001, 1101, TcpFlags.Ack);
        for (int i = 0; i < 1000; i++)
        {
            Tcp(12 + i * 0.001, true, 301, 0, TcpFlags.Ack, clientPort: 40001);
        }
        byte[] pcap = Captures.Pcap(LinkType.Ethernet, frames.ToArray());   // in this order: the capture's clock stepped back
        AnalysisResult full = Captures.Analyze(pcap, EverySeries);
        Flow flow = Assert.Single(full.Flows, f => f.ClientPort == 40000);
        Assert.Equal(5, flow.PacketsC2S + flow.PacketsS2C);

        using var source = new CountingSource(Captures.Open(pcap));
        Flow? replayed = FlowReplay.Record(source, [source.Stats], [FlowSummary.Of(flow)], new AnalysisOptions()).SingleOrDefault();

        Assert.NotNull(replayed);
        AssertSameSeries(flow, replayed, "stepped clock");
        Assert.Equal(7, source.Frames);   // the flow's six frames and the other's between them, and the next, stamped after its last
    }

    /// <summary>A source that counts the frames read from it.</summary>
    private sealed class CountingSource(IPacketSource inner) : IPacketSource
    {
        public int Frames { get; private set; }

        public CaptureFileStats Stats => inner.Stats;

        public bool TryRead(out CaptureInfo info, out ReadOnlySpan<byte> data)
        {
            bool read = inner.TryRead(out info, out data);
            Frames += read ? 1 : 0;
            return read;
        }

        public void Dispose() => inner.Dispose();
    }

    [Fact]
    public void NotTcp_OrFirstFrameGone_Null()
    {
        string path = RepoPaths.Sample("dns-unanswered.pcap");
        AnalysisResult full = Captures.Analyze(path);
        Flow udp = full.Flows.First(f => f.Protocol == 17);
        using (IPacketSource source = CaptureFile.Open(path, 0))
        {
            Assert.Null(FlowReplay.Record(source, [source.Stats], [FlowSummary.Of(udp)], new AnalysisOptions()).SingleOrDefault());
        }

        string tcpPath = RepoPaths.Sample("tcp-basic.pcap");
        Flow tcp = Captures.Analyze(tcpPath).Flows.First(f => f.Protocol == 6);
        FlowSummary elsewhere = FlowSummary.Of(tcp) with { FirstFrame = tcp.FirstFrame + 1_000_000 };
        using (IPacketSource source = CaptureFile.Open(tcpPath, 0))
        {
            Assert.Null(FlowReplay.Record(source, [source.Stats], [elsewhere], new AnalysisOptions()).SingleOrDefault());
        }
    }

    [Fact]
    public void WithReplayed_TakesTheFlowsPlaceInTheSeries_NotInTheTables()
    {
        string path = RepoPaths.Sample("tcp-basic.pcap");
        AnalysisResult noSeries = Captures.Analyze(path);
        AnalysisResult withSeries = Captures.Analyze(path, EverySeries);
        Flow target = withSeries.Flows.Last(f => f.Protocol == 6);
        using IPacketSource source = CaptureFile.Open(path, 0);
        Flow replayed = FlowReplay.Record(source, [source.Stats], [FlowSummary.Of(target)], new AnalysisOptions()).SingleOrDefault()!;

        AnalysisResult result = noSeries.WithReplayed([replayed]);

        Assert.Empty(noSeries.FlowsWithSeries());
        Assert.Empty(noSeries.Replayed);
        Assert.Same(replayed, Assert.Single(result.FlowsWithSeries()));
        Assert.Same(noSeries.Flows, result.Flows);
        // Among recorded flows, in id order, in place of the analysis' own flow of that id.
        AnalysisResult both = withSeries.WithReplayed([replayed]);
        Assert.Equal(withSeries.Flows.Where(f => f.Tcp?.Series is not null).Select(f => f.Id), both.FlowsWithSeries().Select(f => f.Id));
        Assert.Contains(replayed, both.FlowsWithSeries());
        Assert.DoesNotContain(target, both.FlowsWithSeries());
    }

    /// <summary>A TCP segment between 192.0.2.1 (the client, on <paramref name="clientPort"/>) and 198.51.100.1:80, as an Ethernet frame.</summary>
    private static byte[] Segment(bool fromClient, uint seq, uint ack, TcpFlags flags, int len, ushort clientPort) =>
        Ethernet(0x0800, fromClient
            ? Ipv4("192.0.2.1", "198.51.100.1", 6, FrameBuilder.Tcp(clientPort, 80, seq, ack, flags, payloadLength: len))
            : Ipv4("198.51.100.1", "192.0.2.1", 6, FrameBuilder.Tcp(80, clientPort, seq, ack, flags, payloadLength: len)));

    private static bool HasTcp(string path) => Captures.Analyze(path).Flows.Any(f => f.Protocol == 6);

    /// <summary>Replays up to <paramref name="maxFlows"/> TCP flows of the capture and compares each with the analysis' series; returns how many.</summary>
    private static int AssertEveryFlowReplaysAlike(string path, int maxFlows)
    {
        AnalysisResult full = Captures.Analyze(path, EverySeries);
        List<Flow> recorded = full.Flows.Where(f => f.Tcp?.Series is not null).ToList();
        int step = Math.Max(1, (recorded.Count + maxFlows - 1) / maxFlows);
        int replayed = 0;
        for (int i = 0; i < recorded.Count; i += step)
        {
            Flow flow = recorded[i];
            using IPacketSource source = CaptureFile.Open(path, 0);
            Flow? again = FlowReplay.Record(source, [source.Stats], [FlowSummary.Of(flow)], new AnalysisOptions()).SingleOrDefault();
            Assert.True(again is not null, $"{Path.GetFileName(path)}: flow {flow.Id} was not found again");
            Assert.Equal(flow.Id, again.Id);
            AssertSameSeries(flow, again, $"{Path.GetFileName(path)} flow {flow.Id}");
            replayed++;
        }
        return replayed;
    }

    /// <summary>Replays up to <paramref name="maxFlows"/> TCP flows in one read and compares each with the analysis' series; returns how many.</summary>
    private static int AssertFlowsReplayedTogetherAlike(string path, int maxFlows)
    {
        AnalysisResult full = Captures.Analyze(path, EverySeries);
        List<Flow> recorded = full.Flows.Where(f => f.Tcp?.Series is not null).ToList();
        int step = Math.Max(1, (recorded.Count + maxFlows - 1) / maxFlows);
        List<Flow> chosen = recorded.Where((_, i) => i % step == 0).ToList();
        AssertPrecheckPassesTheSameFrames(path, chosen.Select(FlowSummary.Of).ToList());
        if (chosen.Count > 0)
        {
            AssertPrecheckPassesTheSameFrames(path, [FlowSummary.Of(chosen[^1])]);
        }
        using IPacketSource source = CaptureFile.Open(path, 0);
        IReadOnlyList<Flow> again = FlowReplay.Record(source, [source.Stats], chosen.Select(FlowSummary.Of).ToList(), new AnalysisOptions());
        Assert.Equal(chosen.Select(f => f.Id), again.Select(f => f.Id));
        for (int i = 0; i < chosen.Count; i++)
        {
            AssertSameSeries(chosen[i], again[i], $"{Path.GetFileName(path)} flow {chosen[i].Id} (together)");
        }
        return chosen.Count;
    }

    /// <summary>
    /// The replay's check at fixed offsets (hosts, protocol, ports of an untagged Ethernet IPv4 frame) skips only frames
    /// the decode would not pass on: the frames passed, with it and without, are the same.
    /// </summary>
    private static void AssertPrecheckPassesTheSameFrames(string path, List<FlowSummary> chosen)
    {
        List<long> Passed(bool precheck)
        {
            using IPacketSource source = CaptureFile.Open(path, 0);
            using var frames = new FlowReplay.ChosenFlowFrames(source, chosen) { Precheck = precheck };
            var passed = new List<long>();
            while (frames.TryRead(out CaptureInfo info, out _))
            {
                passed.Add(info.FrameNumber);
            }
            return passed;
        }
        List<long> reference = Passed(precheck: false);
        Assert.Equal(reference, Passed(precheck: true));
        Assert.True(chosen.Count == 0 || reference.Count > 0, $"{Path.GetFileName(path)}: no frame passed");
    }

    private static void AssertSameSeries(Flow expected, Flow actual, string what)
    {
        (TcpSeries c2s, TcpSeries s2c) = expected.Tcp!.Series!.Value;
        (TcpSeries c2sAgain, TcpSeries s2cAgain) = actual.Tcp!.Series!.Value;
        Assert.True(c2s.Points.SequenceEqual(c2sAgain.Points), $"{what}: c2s points differ ({c2s.Points.Length} against {c2sAgain.Points.Length})");
        Assert.True(s2c.Points.SequenceEqual(s2cAgain.Points), $"{what}: s2c points differ ({s2c.Points.Length} against {s2cAgain.Points.Length})");
        Assert.Equal((c2s.Stride, s2c.Stride, c2s.BaseSeq, s2c.BaseSeq), (c2sAgain.Stride, s2cAgain.Stride, c2sAgain.BaseSeq, s2cAgain.BaseSeq));
        Assert.Equal((expected.PacketsC2S, expected.PacketsS2C, expected.BytesC2S, expected.BytesS2C),
            (actual.PacketsC2S, actual.PacketsS2C, actual.BytesC2S, actual.BytesS2C));
    }
}
