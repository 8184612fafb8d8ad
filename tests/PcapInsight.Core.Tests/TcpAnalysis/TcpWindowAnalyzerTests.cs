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

/// <summary>Scripted segments in, window events out: zero-window episodes, probes, window full, updates, shrinks.</summary>
public class TcpWindowAnalyzerTests
{
    private const TcpFlags A = TcpFlags.Ack;



    /// <summary>A handshake where the server announces window scale <paramref name="serverShift"/> and the client 0.</summary>
    private static Seg[] Handshake(byte serverShift = 0) =>
    [
        new(0.000, true, 1000, 0, TcpFlags.Syn, Options: WindowScaleOption(0)),
        new(0.010, false, 5000, 1001, TcpFlags.Syn | TcpFlags.Ack, Options: WindowScaleOption(serverShift)),
        new(0.020, true, 1001, 5001, A),
    ];

    private static string[] Events(AnalysisResult r) => r.Events.Rows.OrderBy(e => e.TimestampNs)
        .Where(e => e.Kind is not (EventKind.TcpWindowFull or EventKind.TcpWindowUpdate))
        .Select(e => $"{EventCatalog.Get(e.Kind).Name}@{e.Frame}").ToArray();

    private static AnalysisEvent ZeroWindow(AnalysisResult r) => Assert.Single(r.Events.Rows, e => e.Kind == EventKind.TcpZeroWindow);

    /// <summary>The client sends 1000 bytes; the server's reader stalls and its window closes at 0.050.</summary>
    private static Seg[] ClosedAt50Ms(byte serverShift = 0) =>
    [
        .. Handshake(serverShift),
        new(0.030, true, 1001, 5001, A, 1000),
        new(0.050, false, 5001, 2001, A, Win: 0),
    ];

    [Fact]
    public void WindowReopenedByAnUpdate_IsOneEpisode_WithItsDuration()
    {
        AnalysisResult r = Run([.. ClosedAt50Ms(), new(0.550, false, 5001, 2001, A, Win: 500), new(0.551, true, 2001, 5001, A, 400)]);

        AnalysisEvent e = ZeroWindow(r);
        Assert.Equal(5, e.Frame);
        Assert.Equal(500_000_000, e.DurationNs);
        Assert.Contains("reopened_by=window_update", e.Detail);
        Assert.Contains("sent_on_reopen_bytes=400", e.Detail);
        Assert.Contains("advertiser=server", e.Detail);
        Flow flow = Assert.Single(r.Flows);
        Assert.Equal((1, 500_000_000L), (flow.Tcp!.S2C.ZeroWindowEpisodes, flow.Tcp.S2C.ZeroWindowNs));
        Assert.Equal(1, r.Events.Count(EventKind.TcpWindowUpdate));
    }

    [Fact]
    public void WindowReopenedByData_SaysSo()
    {
        AnalysisResult r = Run([.. ClosedAt50Ms(), new(0.250, false, 5001, 2001, A, 10, Win: 500)]);

        Assert.Contains("reopened_by=data", ZeroWindow(r).Detail);
    }

    [Fact]
    public void WindowNeverReopened_IsReportedStillClosed_UntilTheLastPacket()
    {
        AnalysisResult r = Run([.. ClosedAt50Ms(), new(0.250, true, 2000, 5001, A), new(0.251, false, 5001, 2001, A, Win: 0)]);

        AnalysisEvent e = ZeroWindow(r);
        Assert.Contains("still_closed=1", e.Detail);
        Assert.Equal(201_000_000, e.DurationNs);
    }

    [Fact]
    public void ResetWhileClosed_EndsTheEpisode()
    {
        AnalysisResult r = Run([.. ClosedAt50Ms(), new(0.450, true, 2001, 5001, TcpFlags.Rst | A)]);

        AnalysisEvent e = ZeroWindow(r);
        Assert.Contains("reopened_by=reset", e.Detail);
        Assert.Equal(400_000_000, e.DurationNs);
    }

    [Fact]
    public void OneByteProbesWithBackoff_AreProbesWithTheirGaps_NotRetransmissions()
    {
        // Windows and BSD probe with the next byte; the receiver answers each with its zero window.
        AnalysisResult r = Run([.. ClosedAt50Ms(),
            new(0.550, true, 2001, 5001, A, 1), new(0.551, false, 5001, 2001, A, Win: 0),
            new(1.550, true, 2001, 5001, A, 1), new(1.551, false, 5001, 2001, A, Win: 0),
            new(3.550, true, 2001, 5001, A, 1), new(3.551, false, 5001, 2001, A, Win: 0),
            new(3.800, false, 5001, 2001, A, Win: 800)]);

        Assert.Equal(["tcp.zero_window@5", "tcp.zero_window_probe@6", "tcp.zero_window_probe@8", "tcp.zero_window_probe@10"], Events(r));
        AnalysisEvent e = ZeroWindow(r);
        Assert.Contains("probes=3 probe_bytes=1 probe_gaps_ms=500;1000;2000", e.Detail);
        Flow flow = Assert.Single(r.Flows);
        Assert.Equal((3, 0L, 0L), (flow.Tcp!.C2S.ZeroWindowProbes, flow.Tcp.C2S.ZeroWindowProbesWithoutData, flow.Tcp.C2S.Retransmissions));
        Assert.Equal(4, flow.Tcp.S2C.ZeroWindowAdverts);
    }

    [Fact]
    public void LinuxProbe_NoDataOneBelow_IsAProbeNotAKeepAlive()
    {
        AnalysisResult r = Run([.. ClosedAt50Ms(), new(0.260, true, 2000, 5001, A), new(0.261, false, 5001, 2001, A, Win: 0),
            new(0.300, false, 5001, 2001, A, Win: 800)]);

        Assert.Equal(["tcp.zero_window@5", "tcp.zero_window_probe@6"], Events(r));
        Assert.Equal(0, r.Events.Count(EventKind.TcpKeepAlive));
        Assert.Contains("probes=1 probe_bytes=0 probe_gaps_ms=210", ZeroWindow(r).Detail);
    }

    [Fact]
    public void SegmentReachingTheScaledWindowEdge_IsWindowFull()
    {
        // The server's window field 4 with shift 8 is 1024 bytes: 1001 + 1024 = 2025 is the right edge.
        AnalysisResult r = Run([.. Handshake(serverShift: 8), new(0.025, false, 5001, 1001, A, Win: 4),
            new(0.030, true, 1001, 5001, A, 1000),
            new(0.031, true, 2001, 5001, A, 24)]);   // ends exactly at the edge

        AnalysisEvent full = Assert.Single(r.Events.Rows, e => e.Kind == EventKind.TcpWindowFull);
        Assert.Equal(6, full.Frame);
        Assert.Contains("window=1024 in_flight=1024", full.Detail);
        Assert.Equal(1024, Assert.Single(r.Flows).Tcp!.C2S.MaxBytesInFlight);
    }

    [Fact]
    public void WindowScaleUnknown_NoWindowFull_ButZeroWindowStillCounts()
    {
        // No handshake: the window field 4 could mean 4 bytes or 65,536; only 0 is certain.
        AnalysisResult r = Run(
            new(0.000, false, 5001, 1001, A, Win: 4),
            new(0.010, true, 1001, 5001, A, 1000),
            new(0.020, false, 5001, 2001, A, Win: 0),
            new(0.120, false, 5001, 2001, A, Win: 4));

        Assert.Equal(0, r.Events.Count(EventKind.TcpWindowFull));
        Assert.Equal(100_000_000, ZeroWindow(r).DurationNs);
    }

    [Fact]
    public void RightEdgeMovedLeft_IsAShrink_ButNotWithinOneScaleUnit()
    {
        // Shift 8: a unit is 256 bytes. Edge 1001 + 4096 = 5097; then 1001 + 3840 (one unit less: rounding) and
        // 1001 + 2048 (a real shrink of 1792 bytes).
        AnalysisResult r = Run([.. Handshake(serverShift: 8), new(0.025, false, 5001, 1001, A, Win: 16),
            new(0.030, false, 5001, 1001, A, Win: 15),
            new(0.040, false, 5001, 1001, A, Win: 8)]);

        AnalysisEvent shrink = Assert.Single(r.Events.Rows, e => e.Kind == EventKind.TcpWindowShrink);
        Assert.Equal(6, shrink.Frame);
        Assert.Contains("shrunk_bytes=1792", shrink.Detail);
    }

    [Fact]
    public void SackedBytes_AreNotInFlight()
    {
        // 3000 bytes sent; the server acknowledges 1000 and SACKs 2001-3001 (the middle is missing): 1000 in flight
        // plus the next 1000 the client then sends.
        AnalysisResult r = Run([.. Handshake(), new(0.025, false, 5001, 1001, A, Win: 60000),
            new(0.030, true, 1001, 5001, A, 1000), new(0.031, true, 2001, 5001, A, 1000), new(0.032, true, 3001, 5001, A, 1000),
            new(0.050, false, 5001, 2001, A, Win: 60000, Options: [1, 1, .. SackOption((3001, 4001))]),
            new(0.051, true, 4001, 5001, A, 1000)]);

        // At 0.032: 3000 outstanding; at 0.051: 5001 - 2001 = 3000 outstanding less 1000 SACKed = 2000.
        Assert.Equal(3000, Assert.Single(r.Flows).Tcp!.C2S.MaxBytesInFlight);
        Assert.Equal(0, r.Events.Count(EventKind.TcpZeroWindow));
    }
}
