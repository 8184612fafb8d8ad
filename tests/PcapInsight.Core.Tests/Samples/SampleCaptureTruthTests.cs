using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Flows;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Core.Tests.Samples;

/// <summary>
/// The analyzer held to the truth of the sample captures: what tcpdump counted, what the programs sent and the
/// kernel's counters recorded (sample-captures/*.truth.json). Each later capability adds its assertions here.
/// </summary>
public class SampleCaptureTruthTests
{
    [Theory]
    [MemberData(nameof(SampleTruth.ScenarioSides), MemberType = typeof(SampleTruth))]
    public void Analyze_SampleCapture_PacketsAndFlowsMatchTheTruth(string scenario, string side)
    {
        SampleTruth truth = SampleTruth.ForScenario(scenario);

        AnalysisResult r = Captures.Analyze(truth.CapturePath(side));

        Assert.Equal(truth.CapturedPackets(side), r.Packets.Frames);
        Assert.Equal([LinkType.Ethernet], r.LinkTypes);
        Assert.False(r.Truncated);
        Assert.Equal(0, r.Packets.Malformed + r.Packets.Truncated);
        Assert.Equal(truth.ExpectedFlows("tcp"), r.Flows.Count(f => f.Protocol == 6));
        Assert.Equal(truth.ExpectedFlows("udp"), r.Flows.Count(f => f.Protocol == 17));
        Assert.All(truth.Checks(), c => Assert.True(c.Passed, c.Check));
        // Every TCP flow was captured from its handshake: the client is on the client's side (192.0.2.0/24,
        // 2001:db8:1::/64, or its end of an overlay, 203.0.113.1).
        Assert.All(r.Flows.Where(f => f.Protocol == 6), f =>
        {
            Assert.Matches(@"^(192\.0\.2\.|2001:db8:1::|203\.0\.113\.1$)", f.Client.ToString());
            Assert.True(f.Tcp!.SawSyn && f.Tcp.SawSynAck);
            Assert.True(f.Tcp.InitialRttNs >= 0);
        });
    }

    [Theory]
    [InlineData("client")]
    [InlineData("server")]
    public void Analyze_UdpFragmented_EveryFrameIsAFragmentAsTheSenderCounted(string side)
    {
        SampleTruth truth = SampleTruth.ForScenario("udp-fragmented");

        AnalysisResult r = Captures.Analyze(truth.CapturePath(side));

        long created = truth.Counter("client", "Ip.FragCreates") + truth.Counter("client", "Ip6.Ip6FragCreates");
        Assert.Equal(created, r.Packets.Fragments);
        Assert.Equal(truth.Counter("client", "Ip.FragCreates"), r.Packets.Ipv4);
        // One UDP flow per address family, counted from the first fragments (20 datagrams each).
        Assert.All(r.Flows, f => Assert.Equal(20, f.PacketsC2S));
    }

    [Fact]
    public void Analyze_PmtuClientSide_SeesTheRoutersIcmpErrorsWithTheirMtu()
    {
        SampleTruth truth = SampleTruth.ForScenario("pmtu-icmp");
        var fragmentationNeeded = new List<int>();
        var packetTooBig = new List<int>();
        var p = new DecodedPacket();
        using (IPacketSource source = CaptureFile.Open(truth.CapturePath("client")))
        {
            while (source.TryRead(out CaptureInfo info, out ReadOnlySpan<byte> data))
            {
                FrameDecoder.Decode(data, info.LinkType, ref p);
                if (p.Protocol == 1 && p.IcmpType == 3 && p.IcmpCode == 4)
                {
                    fragmentationNeeded.Add(p.IcmpMtu);
                }
                else if (p.Protocol == 58 && p.IcmpType == 2)
                {
                    packetTooBig.Add(p.IcmpMtu);
                }
            }
        }

        Assert.Equal(truth.Counter("router", "Icmp.OutDestUnreachs"), fragmentationNeeded.Count);
        Assert.Equal(truth.Counter("client", "Icmp.InDestUnreachs"), fragmentationNeeded.Count);
        Assert.Equal(truth.Counter("router", "Ip6.Icmp6OutPktTooBigs"), packetTooBig.Count);
        Assert.All(fragmentationNeeded.Concat(packetTooBig), m => Assert.Equal(1280, m));
    }

    [Fact]
    public void Analyze_UdpRcvbufOverflow_TheSendersCaptureHoldsEveryDatagram()
    {
        SampleTruth truth = SampleTruth.ForScenario("udp-rcvbuf-overflow");

        AnalysisResult r = Captures.Analyze(truth.CapturePath("server"));

        // The datagrams reached the server's wire; the kernel dropped them above it (RcvbufErrors), which is
        // why a capture alone cannot see this loss.
        Flow udp = Assert.Single(r.Flows);
        Assert.Equal(truth.Program("client").GetProperty("sent").GetInt64(), udp.PacketsC2S);
        Assert.True(truth.Counter("server", "Udp.RcvbufErrors") > 0);
    }

    [Fact]
    public void Analyze_KeepaliveRst_TheConnectionEndsWithAReset()
    {
        AnalysisResult r = Captures.Analyze(SampleTruth.ForScenario("keepalive-rst").CapturePath("server"));

        Assert.Equal(FlowCloseReason.Reset, Assert.Single(r.Flows).Close);
    }

    [Fact]
    public void Analyze_BulkWindowScaling_HandshakeOptionsAreRead()
    {
        AnalysisResult r = Captures.Analyze(SampleTruth.ForScenario("bulk-window-scaling").CapturePath("client"));

        Flow f = Assert.Single(r.Flows);
        Assert.Equal(1460, f.Tcp!.MssC2S);
        Assert.Equal(1460, f.Tcp.MssS2C);
        Assert.True(f.Tcp.WindowScaleC2S > 0);
        Assert.True(f.Tcp.WindowScaleS2C > 0);
        Assert.Equal(FlowCloseReason.Fin, f.Close);
        Assert.Equal(1_000_000, f.PayloadBytesC2S);
    }

    [Fact]
    public void Analyze_OffloadSupersegments_TheSendersCaptureHoldsFramesLargerThanTheMtu()
    {
        SampleTruth truth = SampleTruth.ForScenario("offload-supersegments");
        long largest = 0;
        using (IPacketSource source = CaptureFile.Open(truth.CapturePath("client")))
        {
            while (source.TryRead(out CaptureInfo info, out _))
            {
                largest = Math.Max(largest, info.OriginalLength);
            }
        }

        Assert.True(largest > 1514, $"largest frame {largest}");
        AnalysisResult r = Captures.Analyze(truth.CapturePath("client"));
        Assert.Equal(300_000, Assert.Single(r.Flows).PayloadBytesC2S);
        // Reported once for the flow, and the retransmission count is still the kernel's.
        Assert.Equal(1, r.Events.Count(PcapInsight.Core.Events.EventKind.CaptureOffloadSupersegment));
        Assert.Equal(truth.Counter("client", "Tcp.RetransSegs"), r.Flows[0].Tcp!.C2S.Retransmissions);
    }

    [Theory]
    [MemberData(nameof(SampleTruth.ScenarioSides), MemberType = typeof(SampleTruth))]
    public void Analyze_CapturesWithOffloadsOff_ReportNoSupersegment(string scenario, string side)
    {
        if (scenario == "offload-supersegments")
        {
            return; // the one scenario with offloads on (above)
        }

        AnalysisResult r = Captures.Analyze(SampleTruth.ForScenario(scenario).CapturePath(side));

        Assert.Equal(0, r.Events.Count(PcapInsight.Core.Events.EventKind.CaptureOffloadSupersegment));
    }

    [Fact]
    public void Analyze_UdpFragmentLoss_TheReceiversCaptureLacksTheDroppedFragments()
    {
        SampleTruth truth = SampleTruth.ForScenario("udp-fragment-loss");
        int dropped = truth.Root.GetProperty("path_decisions").EnumerateArray().Count(d => d.GetProperty("action").GetString() == "drop");

        AnalysisResult client = Captures.Analyze(truth.CapturePath("client"));
        AnalysisResult server = Captures.Analyze(truth.CapturePath("server"));

        Assert.Equal(truth.Counter("client", "Ip.FragCreates") + truth.Counter("client", "Ip6.Ip6FragCreates"), client.Packets.Fragments);
        Assert.Equal(client.Packets.Fragments - dropped, server.Packets.Fragments);
        // The first fragments all arrived, so each family's flow counts every datagram although two never completed.
        Assert.Equal(2, server.Flows.Count);
        Assert.All(server.Flows, f => Assert.Equal(20, f.PacketsC2S));
    }

    [Theory]
    [InlineData("bulk-loss-reorder")]
    [InlineData("rto-outage")]
    public void Analyze_ImpairedTransfer_TheSendersCaptureHoldsTheRetransmittedBytesToo(string scenario)
    {
        SampleTruth truth = SampleTruth.ForScenario(scenario);
        long sent = truth.Program("client").GetProperty("bytes_sent").GetInt64();

        Flow atSender = Assert.Single(Captures.Analyze(truth.CapturePath("client")).Flows);
        Flow atReceiver = Assert.Single(Captures.Analyze(truth.CapturePath("server")).Flows);

        // Payload counted on the wire includes every retransmission: more than the application sent.
        Assert.True(atSender.PayloadBytesC2S > sent, $"{atSender.PayloadBytesC2S} <= {sent}");
        Assert.Equal(truth.CapturedPackets("client") - truth.CapturedPackets("server"), atSender.PacketsC2S - atReceiver.PacketsC2S);
        // The connection ends (FIN, or a reset when a late retransmission meets the closed socket).
        Assert.Contains(atReceiver.Close, new[] { FlowCloseReason.Fin, FlowCloseReason.Reset });
    }

    [Theory]
    [InlineData("bulk-loss-reorder")]
    [InlineData("rto-outage")]
    [InlineData("pmtu-icmp")]
    [InlineData("zero-window")]
    public void Analyze_SendersCapture_RetransmissionsEqualTheSenderKernelsRetransSegs(string scenario)
    {
        // The issue's yardstick: on a sender-side capture every resend is a retransmission, as the kernel counts
        // it (Tcp RetransSegs: fast, timeout, tail-loss-probe and SYN retransmissions alike).
        SampleTruth truth = SampleTruth.ForScenario(scenario);

        AnalysisResult r = Captures.Analyze(truth.CapturePath("client"));

        Assert.Equal(truth.Counter("client", "Tcp.RetransSegs"), r.Flows.Where(f => f.Tcp is not null).Sum(f => f.Tcp!.C2S.Retransmissions));
        Assert.Equal(truth.Counter("server", "Tcp.RetransSegs"), r.Flows.Where(f => f.Tcp is not null).Sum(f => f.Tcp!.S2C.Retransmissions));
    }

    [Fact]
    public void Analyze_KeepaliveRst_SeesTheKeepAliveProbes()
    {
        SampleTruth truth = SampleTruth.ForScenario("keepalive-rst");

        AnalysisResult r = Captures.Analyze(truth.CapturePath("server"));

        Assert.True(Assert.Single(r.Flows).Tcp!.C2S.KeepAlives >= truth.Program("client").GetProperty("expected_probes_at_least").GetInt64());
        Assert.Equal(0, r.Flows[0].Tcp!.C2S.Retransmissions);
    }

    [Fact]
    public void Analyze_NagleDelack_TheRequestHeadersWaitForTheServersDelayedAck()
    {
        // At the server, each 20-byte header is acknowledged only by the server's delayed ACK (~40 ms on Linux),
        // so the client-to-server RTT samples reach the delayed-ACK timer; with TCP_NODELAY the reply comes at once.
        SampleTruth delack = SampleTruth.ForScenario("nagle-delack");
        SampleTruth nodelay = SampleTruth.ForScenario("nagle-nodelay");

        var slow = Assert.Single(Captures.Analyze(delack.CapturePath("client")).Flows).Tcp!.C2S;
        var fast = Assert.Single(Captures.Analyze(nodelay.CapturePath("client")).Flows).Tcp!.C2S;

        Assert.True(slow.RttSamples >= 10, $"{slow.RttSamples} samples");
        Assert.InRange(slow.RttMaxNs / 1e6, 30, 250);
        Assert.True(fast.RttMaxNs / 1e6 < 10, $"{fast.RttMaxNs / 1e6} ms");
    }
}
