using PcapInsight.Core.Analysis;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Flows;
using PcapInsight.Core.TcpAnalysis;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Core.Tests.TcpAnalysis;

/// <summary>The per-direction time series kept for charts and tcp_series.csv.</summary>
public class TcpSeriesTests
{
    [Fact]
    public void FullSeries_IsThinnedEvenly_AndStillSpansTheWholeFlow()
    {
        var series = new TcpSeries(16);
        for (int i = 0; i < 100; i++)
        {
            series.Add(new TcpSeriesPoint(i, TcpSeriesKind.Data, (uint)i, 1, 0));
        }

        ReadOnlySpan<TcpSeriesPoint> points = series.Points;
        Assert.InRange(points.Length, 8, 16);
        Assert.Equal(8, series.Stride);
        for (int i = 0; i < points.Length; i++)
        {
            Assert.Equal(i * series.Stride, points[i].TimeNs);   // every eighth point, from the first
        }
        Assert.True(points[^1].TimeNs >= 100 - series.Stride);
    }

    private static AnalysisResult Analyze(string scenario, string side, int flows, int points = 100_000) =>
        Captures.Analyze(SampleTruth.ForScenario(scenario).CapturePath(side), new AnalysisOptions { SeriesFlows = flows, SeriesPoints = points });

    [Fact]
    public void LossyTransfer_SeriesHoldEverySegmentResendAckAndRttSample()
    {
        AnalysisResult r = Analyze("bulk-loss-reorder", "client", flows: 4);

        Flow flow = Assert.Single(r.Flows);
        (TcpSeries c2s, TcpSeries s2c) = flow.Tcp!.Series!.Value;
        TcpSeriesPoint[] up = c2s.Points.ToArray();
        Assert.Equal(flow.Tcp.C2S.Retransmissions + flow.Tcp.C2S.OutOfOrder, up.Count(p => p.Kind == TcpSeriesKind.Resend));
        Assert.Equal(flow.Tcp.C2S.RttSamples, up.Count(p => p.Kind == TcpSeriesKind.Rtt));
        Assert.Equal(500_000, up.Where(p => p.Kind == TcpSeriesKind.Data).Sum(p => (long)p.Length));
        Assert.Equal(flow.Tcp.C2S.MaxBytesInFlight, up.Where(p => p.Kind == TcpSeriesKind.Data).Max(p => p.Value));
        Assert.True(up.Zip(up.Skip(1)).All(pair => pair.First.TimeNs <= pair.Second.TimeNs));
        Assert.Contains(s2c.Points.ToArray(), p => p.Kind == TcpSeriesKind.Ack);
    }

    [Fact]
    public void CleanSmallFlows_KeepTheirSeriesOnlyUntilANewFlowNeedsTheSlot_TroubledOnesKeepThem()
    {
        // tcp-basic: four short clean TCP connections one after another.
        AnalysisResult roomy = Captures.Analyze(RepoPaths.Sample("tcp-basic.pcap"), new AnalysisOptions { SeriesFlows = 10 });
        AnalysisResult troubled = Analyze("zero-window", "server", flows: 10);
        // Three short clean connections 5 s apart with a 1 s idle timeout and one slot: each ends (expires) before
        // the next starts, so the slot passes on and the last one holds it.
        byte[] Frame(ushort port, TcpFlags flags, uint seq, uint ack, bool fromClient) => fromClient
            ? FrameBuilder.Ethernet(0x0800, FrameBuilder.Ipv4("192.0.2.1", "198.51.100.1", 6, FrameBuilder.Tcp(port, 80, seq, ack, flags, payloadLength: flags == TcpFlags.Ack ? 10 : 0)))
            : FrameBuilder.Ethernet(0x0800, FrameBuilder.Ipv4("198.51.100.1", "192.0.2.1", 6, FrameBuilder.Tcp(80, port, seq, ack, flags)));
        var frames = new List<(double, byte[])>();
        foreach (int i in (int[])[0, 1, 2])
        {
            ushort port = (ushort)(40000 + i);
            frames.Add((5 * i, Frame(port, TcpFlags.Syn, 100, 0, true)));
            frames.Add((5 * i + 0.001, Frame(port, TcpFlags.Syn | TcpFlags.Ack, 500, 101, false)));
            frames.Add((5 * i + 0.002, Frame(port, TcpFlags.Ack, 101, 501, true)));
            frames.Add((5 * i + 0.003, Frame(port, TcpFlags.Ack, 501, 111, false)));
        }
        AnalysisResult tight = Captures.Analyze(Captures.Pcap(PcapInsight.Core.Capture.LinkType.Ethernet, frames.ToArray()),
            new AnalysisOptions { SeriesFlows = 1, Flows = new FlowTableOptions { IdleTimeout = TimeSpan.FromSeconds(1) } });

        Assert.All(roomy.Flows.Where(f => f.Tcp is not null), f => Assert.NotNull(f.Tcp!.Series));   // free slots: every flow drawn
        Assert.Equal([false, false, true], tight.Flows.OrderBy(f => f.Id).Select(f => f.Tcp!.Series is not null));
        Assert.NotNull(Assert.Single(troubled.Flows).Tcp!.Series);
    }

    [Theory]
    [InlineData("tcp-basic.pcap", 1, 3)]                    // four connections, the first holds the slot to the end
    [InlineData("tcp-basic.pcap", 2, 2)]
    [InlineData("tcp-basic.pcap", 4, 0)]
    [InlineData("bulk-loss-reorder.client.pcap", 1, 0)]     // one connection
    [InlineData("tcp-basic.pcap", 0, 0)]                    // no series: nothing refused
    public void FlowsRefusedASlot_AreCounted_EveryTcpFlowEitherHasASeriesOrIsCounted(string sample, int slots, int refused)
    {
        // The count summary.json, the console and report.html give for flows that cannot be drawn.
        AnalysisResult r = Captures.Analyze(RepoPaths.Sample(sample), new AnalysisOptions { SeriesFlows = slots });

        Assert.Equal(refused, r.SeriesFlowsRefused);
        if (slots > 0)
        {
            Assert.Equal(r.Flows.Count(f => f.Tcp is not null), r.Flows.Count(f => f.Tcp?.Series is not null) + r.SeriesFlowsRefused);
        }
    }

    [Fact]
    public void SeriesOff_ByDefault()
    {
        AnalysisResult r = Captures.Analyze(SampleTruth.ForScenario("zero-window").CapturePath("server"));

        Assert.Null(Assert.Single(r.Flows).Tcp!.Series);
    }

    /// <summary>
    /// A shard reissues a refused claim to a later flow once a pass of Settle has seen the refusal (a scan would
    /// otherwise make a claim object for every flow): the later flow's claim starts as new, with its own sequence
    /// base, and an entry of the earlier flow replayed after the reissue (its end, logged before the answer came)
    /// does nothing to it.
    /// </summary>
    [Fact]
    public void ShardsRefusedClaim_IsReissuedToALaterFlow_AsANewClaim()
    {
        var policy = new Admissions(maxSeriesFlows: 1, maxProfiledHosts: 0, maxListedFlows: 0);
        AdmissionLog log = AdmissionLog.Queued(policy, shard: 0);
        AdmissionLog[] logs = [log];
        var recorder = new TcpSeriesRecorder(16, log);
        Flow a = NewTcpFlow(), b = NewTcpFlow(), c = NewTcpFlow();

        Segment(recorder, log, a, place: 0, seq: 100);   // a claims the one slot
        Segment(recorder, log, b, place: 4, seq: 200);   // b claims, and is refused
        SeriesTicket refused = b.Tcp!.SeriesTicket!;
        log.Place = 5;
        recorder.Release(b, worthDrawing: false);         // b ends before its answer: an entry naming its claim
        log.CompleteBelow(5);
        AdmissionLog.ReplayBelow(logs, long.MaxValue);     // the answers: a held, b refused; b's end waits
        recorder.Settle();
        Assert.Equal(SeriesClaim.Refused, refused.Claim);
        Assert.True(b.Tcp.SeriesOff);
        Assert.Null(b.Tcp.SeriesTicket);

        log.Place = 6;
        recorder.Release(a, worthDrawing: false);         // a ends plain: its slot may go to a later flow
        Segment(recorder, log, c, place: 8, seq: 300);   // c claims: b's claim object, pending again
        Assert.Same(refused, c.Tcp!.SeriesTicket);
        Assert.Equal(SeriesClaim.Pending, refused.Claim);
        Assert.Equal(8, refused.Order);
        Assert.Equal(301u, refused.BaseC2S);               // c's own base (after its SYN), not b's
        AdmissionLog.ReplayAll(logs);                      // b's end (nothing), a's end, c's claim: a's slot
        recorder.Settle();

        Assert.Equal(SeriesClaim.Held, refused.Claim);
        Assert.NotNull(c.Tcp.Series);
        Assert.Null(a.Tcp!.Series);
        Assert.Equal(1, policy.SeriesRefused);
        Assert.Equal(0, recorder.Waiting);
    }

    private static Flow NewTcpFlow() => new() { Tcp = new TcpFlowFacts() };

    private static void Segment(TcpSeriesRecorder recorder, AdmissionLog log, Flow flow, long place, uint seq)
    {
        log.Place = place;
        var packet = new DecodedPacket { Seq = seq, Flags = TcpFlags.Syn };
        var info = new PcapInsight.Core.Capture.CaptureInfo(place, place * 1000, 60, 60, 0, PcapInsight.Core.Capture.LinkType.Ethernet);
        recorder.OnSegment(flow, fromClient: true, packet, info, place);
        log.CompleteBelow(place + 1);
    }
}
