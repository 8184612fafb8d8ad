using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Events;
using PcapInsight.TestKit;
using Xunit;
using static PcapInsight.TestKit.FrameBuilder;
using static PcapInsight.TestKit.TcpScript;

namespace PcapInsight.Core.Tests.TcpAnalysis;

/// <summary>
/// Scripted request/response exchanges in, Nagle stalls out: each rule of <c>TcpTimingAnalyzer</c> and each case
/// that must not be a stall. The client writes a 20-byte header and a 200-byte body; the server answers 100 bytes.
/// </summary>
public class TcpTimingAnalyzerTests
{
    private const TcpFlags A = TcpFlags.Ack;
    private const TcpFlags PA = TcpFlags.Psh | TcpFlags.Ack;



    /// <summary>A handshake seen <paramref name="toServer"/> s from the server and <paramref name="toClient"/> s from the client.</summary>
    private static Seg[] Handshake(double toServer, double toClient) =>
    [
        new(0, true, 1000, 0, TcpFlags.Syn),
        new(toServer, false, 5000, 1001, TcpFlags.Syn | A),
        new(toServer + toClient, true, 1001, 5001, A),
    ];

    private static AnalysisEvent[] Stalls(AnalysisResult r) => r.Events.Rows.Where(e => e.Kind == EventKind.TcpNagleStall).ToArray();

    [Fact]
    public void HeaderAckDelayed_BodyReleasedByIt_ServerAnswers_IsAWriteWriteReadStall()
    {
        // Captured at the client: the server is 1 ms away.
        AnalysisResult r = Run([.. Handshake(0.001, 0),
            new(0.100, true, 1001, 5001, PA, 20),     // header: small, nothing outstanding
            new(0.141, false, 5001, 1021, A),         // the server's delayed ACK (40 ms hold + 1 ms trip)
            new(0.14105, true, 1021, 5001, PA, 200),  // the body leaves at once
            new(0.1425, false, 5001, 1221, PA, 100)]);// the answer

        AnalysisEvent stall = Assert.Single(Stalls(r));
        Assert.Equal(4, stall.Frame);
        Assert.Equal(40_000_000, stall.DurationNs);
        Assert.Contains("pattern=write-write-read writer=client", stall.Detail);
        Assert.Equal(1, r.Events.Count(EventKind.TcpDelayedAck));
    }

    [Fact]
    public void CapturedAtTheServer_TheRoundTripToTheClientIsTakenOff()
    {
        // At the server the ACK leaves after the 40 ms hold, and the body arrives one client round trip (30 ms)
        // later: still released at once, and the hold is 40 ms, not 70.
        AnalysisResult r = Run([.. Handshake(0, 0.030),
            new(0.100, true, 1001, 5001, PA, 20),
            new(0.140, false, 5001, 1021, A),
            new(0.1701, true, 1021, 5001, PA, 200),
            new(0.1702, false, 5001, 1221, PA, 100)]);

        AnalysisEvent stall = Assert.Single(Stalls(r));
        Assert.Equal(40_000_000, stall.DurationNs);
    }

    public static TheoryData<string, Seg[]> NoStall => new()
    {
        { "TCP_NODELAY: the body leaves before the ACK", [.. Handshake(0.001, 0),
            new(0.100, true, 1001, 5001, PA, 20), new(0.10005, true, 1021, 5001, PA, 200),
            new(0.101, false, 5001, 1221, PA, 100)] },
        { "TCP_CORK: one segment per request, answered with data", [.. Handshake(0.001, 0),
            new(0.100, true, 1001, 5001, PA, 220), new(0.101, false, 5001, 1221, PA, 100),
            new(0.141, true, 1221, 5101, A)] },
        { "piggybacked: the ACK rides on the answer", [.. Handshake(0.001, 0),
            new(0.100, true, 1001, 5001, PA, 20), new(0.141, false, 5001, 1021, PA, 100), new(0.14105, true, 1021, 5101, PA, 200)] },
        { "slow application: the pure ACK came by timer but the next write waited for the late answer", [.. Handshake(0.001, 0),
            new(0.100, true, 1001, 5001, PA, 220), new(0.141, false, 5001, 1221, A), new(0.160, false, 5001, 1221, PA, 100),
            new(0.16005, true, 1221, 5101, PA, 20)] },
        { "nothing was held: the next write came long after the ACK", [.. Handshake(0.001, 0),
            new(0.100, true, 1001, 5001, PA, 20), new(0.141, false, 5001, 1021, A), new(0.500, true, 1021, 5001, PA, 200)] },
        { "loss recovery: the small segment was retransmitted", [.. Handshake(0.001, 0),
            new(0.100, true, 1001, 5001, PA, 20), new(0.300, true, 1001, 5001, PA, 20), new(0.301, false, 5001, 1021, A),
            new(0.30105, true, 1021, 5001, PA, 200)] },
        { "bulk: full-size segments", [.. Handshake(0.001, 0),
            new(0.100, true, 1001, 5001, A, 1460), new(0.141, false, 5001, 2461, A), new(0.14105, true, 2461, 5001, A, 1460)] },
        { "an immediate ACK: nothing was delayed", [.. Handshake(0.001, 0),
            new(0.100, true, 1001, 5001, PA, 20), new(0.1011, false, 5001, 1021, A), new(0.10115, true, 1021, 5001, PA, 200)] },
    };

    [Theory]
    [MemberData(nameof(NoStall))]
    public void NotAStall(string why, Seg[] segments)
    {
        AnalysisResult r = Run(segments);

        Assert.True(Stalls(r).Length == 0, why);
        AssertNoWatchHeld(r);
    }

    [Fact]
    public void AfterAStall_EveryWatchIsGivenBack()
    {
        AnalysisResult r = Run([.. Handshake(0.001, 0),
            new(0.100, true, 1001, 5001, PA, 20), new(0.141, false, 5001, 1021, A),
            new(0.14105, true, 1021, 5001, PA, 200), new(0.1425, false, 5001, 1221, PA, 100)]);

        Assert.Single(Stalls(r));
        AssertNoWatchHeld(r);
    }

    [Fact]
    public void ShortConnections_LendTheirWatchesAgain()
    {
        // 2,000 connections, 64 at a time, each a small request and a small answer: each direction watches once,
        // and the watches out at once are at most those of the 64 connections in progress.
        string path = Path.Combine(Path.GetTempPath(), $"pcapinsight-watches-{Guid.NewGuid():N}.pcap");
        try
        {
            ShortConnections.Write(path, 2_000);
            using IPacketSource source = CaptureFile.Open(path);
            var analyzer = new CaptureAnalyzer(new AnalysisOptions { Flows = new() { MaxListedFlows = 2_000 } });
            AnalysisResult r = analyzer.RunAll(source, [source.Stats]);

            Assert.Equal(2_000, r.Flows.Count);
            Assert.InRange(analyzer.Timing.WatchesMade, 1, 2 * 64);
            AssertNoWatchHeld(r);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Every ended flow gave its Nagle watches back (a direction holds one only while it watches).</summary>
    private static void AssertNoWatchHeld(AnalysisResult r)
    {
        Assert.All(r.Flows, f =>
        {
            Assert.Null(f.Tcp!.C2S.Nagle);
            Assert.Null(f.Tcp.S2C.Nagle);
        });
    }
}

/// <summary>Scripted PMTU black holes: large resends that never pass, and the smaller copy that does.</summary>
public class PmtuBlackHoleTests
{
    private const string C = "192.0.2.1";
    private const string S = "198.51.100.1";
    private const TcpFlags A = TcpFlags.Ack;

    private static byte[] Segment(bool fromClient, uint seq, uint ack, int len, TcpFlags flags = A) => FrameBuilder.Ethernet(0x0800, fromClient
        ? FrameBuilder.Ipv4(C, S, 6, FrameBuilder.Tcp(40000, 80, seq, ack, flags, 1000, options: flags.HasFlag(TcpFlags.Syn) ? FrameBuilder.MssOption(1460) : null, payloadLength: len))
        : FrameBuilder.Ipv4(S, C, 6, FrameBuilder.Tcp(80, 40000, seq, ack, flags, 1000, options: flags.HasFlag(TcpFlags.Syn) ? FrameBuilder.MssOption(1460) : null, payloadLength: len)));

    private static (double, byte[])[] Handshake =>
    [
        (0.000, Segment(true, 1000, 0, 0, TcpFlags.Syn)),
        (0.010, Segment(false, 5000, 1001, 0, TcpFlags.Syn | A)),
        (0.020, Segment(true, 1001, 5001, 0)),
    ];

    [Fact]
    public void LargeSegmentNeverAcked_SmallerCopyPasses_IsABlackHole()
    {
        AnalysisResult r = Captures.Analyze(Captures.Pcap(LinkType.Ethernet,
        [
            .. Handshake,
            (0.100, Segment(true, 1001, 5001, 1448)),
            (0.400, Segment(true, 1001, 5001, 1448)),   // RTO
            (1.000, Segment(true, 1001, 5001, 1448)),   // RTO, backed off
            (2.200, Segment(true, 1001, 5001, 536)),    // the MTU probing fallback
            (2.210, Segment(false, 5001, 1537, 0)),     // ... gets through
        ]));

        AnalysisEvent hole = Assert.Single(r.Events.Rows, e => e.Kind == EventKind.IpPmtuBlackHole);
        Assert.Equal(5, hole.Frame);   // dated at the first resend: the capture only then knows the segment is stuck
        Assert.Contains("segment_bytes=1448 sends=3 smaller_passed=1 icmp_seen=0", hole.Detail);
    }

    [Fact]
    public void OrdinaryLossOfALargeSegment_IsNoBlackHole()
    {
        AnalysisResult r = Captures.Analyze(Captures.Pcap(LinkType.Ethernet,
        [
            .. Handshake,
            (0.100, Segment(true, 1001, 5001, 1448)),
            (0.400, Segment(true, 1001, 5001, 1448)),   // one RTO, and the resend passes
            (0.410, Segment(false, 5001, 2449, 0)),
        ]));

        Assert.Equal(0, r.Events.Count(EventKind.IpPmtuBlackHole));
    }
}
