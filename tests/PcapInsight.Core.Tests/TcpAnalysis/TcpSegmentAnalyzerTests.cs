using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Events;
using PcapInsight.Core.Flows;
using PcapInsight.TestKit;
using Xunit;
using static PcapInsight.TestKit.FrameBuilder;
using static PcapInsight.TestKit.TcpScript;

namespace PcapInsight.Core.Tests.TcpAnalysis;

/// <summary>Scripted segments in, classified events out (gopacket's reassembly tests are the model).</summary>
public class TcpSegmentAnalyzerTests
{



    private static Seg[] Handshake(uint isn = 1000, uint peerIsn = 5000) =>
    [
        new(0.000, true, isn, 0, TcpFlags.Syn),
        new(0.010, false, peerIsn, isn + 1, TcpFlags.Syn | TcpFlags.Ack),
        new(0.020, true, isn + 1, peerIsn + 1, TcpFlags.Ack),
    ];

    private const TcpFlags A = TcpFlags.Ack;

    private static string[] Events(AnalysisResult r) =>
        r.Events.Rows.Select(e => $"{EventCatalog.Get(e.Kind).Name}@{e.Frame}").ToArray();

    [Theory]
    [InlineData(1000u)]
    [InlineData(0xFFFFFF00u)]   // the stream crosses the 2^32 wrap
    public void InOrderTransfer_NoEvents(uint isn)
    {
        AnalysisResult r = Run([.. Handshake(isn),
            new(0.030, true, isn + 1, 5001, A, 100), new(0.031, true, isn + 101, 5001, A, 100), new(0.032, true, isn + 201, 5001, A, 100),
            new(0.040, false, 5001, isn + 301, A)]);

        Assert.Empty(Events(r));
        Assert.Equal(0, Assert.Single(r.Flows).Tcp!.C2S.Retransmissions);
    }

    [Fact]
    public void ResentBytes_AreARetransmission()
    {
        AnalysisResult r = Run([.. Handshake(), new(0.030, true, 1001, 5001, A, 100), new(0.300, true, 1001, 5001, A, 100)]);

        Assert.Equal(["tcp.retransmission@5"], Events(r));
        Assert.Equal(1, Assert.Single(r.Flows).Tcp!.C2S.Retransmissions);
    }

    [Fact]
    public void ResendOfAcknowledgedBytes_IsSpurious_AndStillARetransmissionForTheKernel()
    {
        // The server acknowledged 1001-1101 at 0.040; the client's timer fires anyway at 0.300.
        AnalysisResult r = Run([.. Handshake(), new(0.030, true, 1001, 5001, A, 100), new(0.040, false, 5001, 1101, A),
            new(0.300, true, 1001, 5001, A, 100)]);

        Assert.Equal(["tcp.spurious_retransmission@6"], Events(r));
        PcapInsight.Core.TcpAnalysis.TcpDirection c2s = Assert.Single(r.Flows).Tcp!.C2S;
        Assert.Equal((1, 1), (c2s.Retransmissions, c2s.SpuriousRetransmissions));
    }

    [Fact]
    public void AcknowledgedHoleFilledQuickly_IsSpurious_NotOutOfOrder()
    {
        // 1101-1201 was never captured but the server acknowledged it: a copy of it 1 ms later cannot be the
        // reordered original (that one reached the receiver already), so it is a resend.
        AnalysisResult r = Run([.. Handshake(),
            new(0.030, true, 1001, 5001, A, 100),
            new(0.031, true, 1201, 5001, A, 100),   // 1101 missing
            new(0.032, false, 5001, 1301, A),       // acknowledges it anyway
            new(0.033, true, 1101, 5001, A, 100)]);

        Assert.Equal(["tcp.lost_segment@5", "tcp.ack_unseen_segment@6", "tcp.spurious_retransmission@7"], Events(r));
    }

    [Fact]
    public void AcksOfUnseenBytes_AreReportedOncePerRun_UntilTheSenderSendsAgain()
    {
        AnalysisResult r = Run([.. Handshake(),
            new(0.030, true, 1001, 5001, A, 100),
            new(0.040, false, 5001, 1301, A),       // acknowledges 1101-1301, never captured
            new(0.041, false, 5001, 1301, A, 10),   // the same unseen bytes again: quiet
            new(0.050, true, 1301, 5011, A, 100),   // the client sends again, past the gap
            new(0.060, false, 5011, 1401, A),       // 1401 is past what the capture saw in order: reported again
            new(0.070, true, 1401, 5011, A, 100),   // continues the stream exactly from the mark
            new(0.080, false, 5011, 1501, A)]);     // nothing unseen

        Assert.Equal(["tcp.ack_unseen_segment@5", "tcp.lost_segment@7", "tcp.ack_unseen_segment@8"], Events(r));
        Assert.Equal(2, Assert.Single(r.Flows).Tcp!.C2S.AckedUnseen);
    }

    [Fact]
    public void GapFilledQuickly_IsOutOfOrder_FilledLate_IsRetransmission()
    {
        // Handshake RTT 20 ms is the threshold: 1101-1201 fills its gap 2 ms after, 1301-1401 300 ms after.
        AnalysisResult r = Run([.. Handshake(),
            new(0.030, true, 1001, 5001, A, 100),
            new(0.031, true, 1201, 5001, A, 100),   // 1101 missing
            new(0.033, true, 1101, 5001, A, 100),   // fills it 2 ms later: reordered
            new(0.034, true, 1401, 5001, A, 100),   // 1301 missing
            new(0.334, true, 1301, 5001, A, 100)]); // fills it 300 ms later: resent after a loss upstream

        Assert.Equal(["tcp.lost_segment@5", "tcp.out_of_order@6", "tcp.lost_segment@7", "tcp.retransmission@8"], Events(r));
    }

    [Fact]
    public void ThreeDuplicateAcks_ThenTheResend_IsAFastRetransmission()
    {
        AnalysisResult r = Run([.. Handshake(),
            new(0.030, true, 1001, 5001, A, 100),
            new(0.031, true, 1101, 5001, A, 100),
            new(0.032, true, 1201, 5001, A, 100),
            new(0.033, true, 1301, 5001, A, 100),
            new(0.040, false, 5001, 1101, A),       // acks the first segment only
            new(0.041, false, 5001, 1101, A),       // dup 1
            new(0.042, false, 5001, 1101, A),       // dup 2
            new(0.043, false, 5001, 1101, A),       // dup 3
            new(0.044, true, 1101, 5001, A, 100)]);

        Assert.Equal(["tcp.dup_ack@9", "tcp.dup_ack@10", "tcp.dup_ack@11", "tcp.fast_retransmission@12"], Events(r));
        TcpFlowFacts tcp = Assert.Single(r.Flows).Tcp!;
        Assert.Equal(3, tcp.S2C.DupAcks);
        Assert.Equal(1, tcp.C2S.FastRetransmissions);
        Assert.Equal(1, tcp.C2S.Retransmissions);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void KeepAlive_ZeroOrOneByteBelowNext_IsNotARetransmission(int length)
    {
        AnalysisResult r = Run([.. Handshake(), new(0.030, true, 1001, 5001, A, 100), new(0.040, false, 5001, 1101, A),
            new(10.0, true, 1100, 5001, A, length), new(10.001, false, 5001, 1101, A)]);

        Assert.Equal(["tcp.keep_alive@6"], Events(r));
    }

    [Fact]
    public void ProbeIntoAZeroWindow_IsNotAKeepAlive()
    {
        AnalysisResult r = Run([.. Handshake(), new(0.030, true, 1001, 5001, A, 100), new(0.040, false, 5001, 1101, A, Win: 0),
            new(0.300, true, 1100, 5001, A)]);

        // The window analysis names it (and the episode, still open when the capture ends; and the shrink: the
        // server's window of 1000 from 1001 closed at 1101); nothing else does. Rows are in time order: the episode is
        // dated at its start, frame 5, though reported when it ended.
        Assert.Equal(["tcp.window_shrink@5", "tcp.zero_window@5", "tcp.zero_window_probe@6"], Events(r));
    }

    [Fact]
    public void Reset_IsReported()
    {
        AnalysisResult r = Run([.. Handshake(), new(0.030, true, 1001, 5001, TcpFlags.Rst)]);

        Assert.Equal(["tcp.reset@4"], Events(r));
    }

    [Fact]
    public void RetransmittedSyn_IsARetransmission()
    {
        AnalysisResult r = Run(new Seg(0, true, 1000, 0, TcpFlags.Syn), new Seg(1.0, true, 1000, 0, TcpFlags.Syn));

        Assert.Equal(["tcp.retransmission@2"], Events(r));
    }
}
