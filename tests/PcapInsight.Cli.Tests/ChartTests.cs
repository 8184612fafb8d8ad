using System.Text.Json;
using PcapInsight.Charts;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Flows;
using PcapInsight.Core.TcpAnalysis;
using PcapInsight.Reporting;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Cli.Tests;

/// <summary>
/// What the charts show, checked on the numbers fed to them (the sample captures' truth: reader pauses, slow requests,
/// lost RTP numbers), and that each is a PNG of the stated size with a stable name.
/// </summary>
public class ChartTests
{
    private static readonly AnalysisOptions WithSeries = new() { SeriesFlows = 4 };

    private static (AnalysisResult Result, FlowChartData Data) FlowData(string capture, AnalysisOptions? options = null)
    {
        AnalysisResult r = Captures.Analyze(RepoPaths.Sample(capture), options ?? WithSeries);
        Flow flow = r.Flows.Where(f => f.Tcp is not null).OrderByDescending(f => f.PayloadBytesC2S + f.PayloadBytesS2C).First();
        return (r, ChartSet.DataOf(r, flow)!);
    }

    [Theory]
    [InlineData("client")]
    [InlineData("server")]
    public void ZeroWindowSample_TheChartsShadeEachReaderPause_AndTheWindowIsZeroThere(string side)
    {
        SampleTruth truth = SampleTruth.ForScenario("zero-window");
        (AnalysisResult r, FlowChartData d) = FlowData($"zero-window.{side}.pcap");
        JsonElement[] pauses = truth.Program("server").GetProperty("pauses").EnumerateArray().ToArray();
        double origin = r.FirstTimeNs / 1e9;

        Assert.True(d.FromClient);   // the stalled sender is drawn: the client, whose data the server read too slowly
        Assert.Equal(pauses.Length, d.ZeroWindow.Count);
        Assert.Empty(d.NagleStalls);
        for (int i = 0; i < pauses.Length; i++)
        {
            double start = pauses[i].GetProperty("start").GetDouble() - origin, end = pauses[i].GetProperty("end").GetDouble() - origin;
            ShadedPeriod span = d.ZeroWindow[i];
            Assert.InRange(span.Start, start, end);
            Assert.InRange(span.End, end - 0.002, end + 0.060);
            // The window line drops to 0 in the shaded period, no new data is sent in it, and nothing is acknowledged.
            Assert.Contains(d.Window, p => p.T >= span.Start && p.T < span.End && p.Bytes == 0);
            Assert.DoesNotContain(d.Data, p => p.T > span.Start + 0.001 && p.T < span.End - 0.001);
            Assert.All(d.Throughput.Where(b => b.T > span.Start && b.T + (r.LastTimeNs - r.FirstTimeNs) / 1e9 / 100 < span.End), b => Assert.Equal(0, b.BitsPerSecond));
        }
        // Everything sent was acknowledged: the ACK line ends where the data does, plus the FIN's sequence number.
        Assert.Equal(d.Data.Max(p => p.Seq) + 1, d.Acks.Max(p => p.Seq));
    }

    [Theory]
    [InlineData("client")]
    [InlineData("server")]
    public void NagleSample_EachSlowRequestIsAShadedStallOfTheWriter(string side)
    {
        SampleTruth truth = SampleTruth.ForScenario("nagle-delack");
        (_, FlowChartData d) = FlowData($"nagle-delack.{side}.pcap");
        double[] slow = truth.Program("client").GetProperty("latency_ms").EnumerateArray().Select(l => l.GetDouble()).Where(l => l > 20).ToArray();

        Assert.True(d.FromClient);   // the writer whose body waited
        Assert.Equal(slow.Length, d.NagleStalls.Count);
        for (int i = 0; i < slow.Length; i++)
        {
            Assert.InRange((d.NagleStalls[i].End - d.NagleStalls[i].Start) * 1000, slow[i] - 4, slow[i]);
        }
        Assert.Empty(d.ZeroWindow);
    }

    [Fact]
    public void RtpSample_UdpLossIsDatedWhenEachGapShowed()
    {
        SampleTruth truth = SampleTruth.ForScenario("rtp-gaps-jitter");
        AnalysisResult r = Captures.Analyze(RepoPaths.Sample("rtp-gaps-jitter.pcap"));
        (Flow flow, _, var stream) = Assert.Single(LossyUdpStreams.MostLostFirst(r));
        int first = truth.Root.GetProperty("first_seq").GetInt32();
        int[] lost = truth.Root.GetProperty("lost_seq").EnumerateArray().Select(e => e.GetInt32()).ToArray();

        Assert.Equal(lost.Length, stream.Sequence!.Lost);
        foreach ((long from, long to, long detectedNs) in stream.Sequence.Missing)
        {
            // A gap shows when the next number arrives: 20 ms per packet after the first, give or take the 6 ms jitter.
            double expected = (to + 1 - first) * 0.020;
            Assert.InRange((detectedNs - flow.FirstTimeNs) / 1e9, expected - 0.010, expected + 0.010);
            Assert.All(Enumerable.Range((int)from, (int)(to - from + 1)), n => Assert.Contains(n, lost));
        }
        Assert.Contains(ChartSet.Draw(r, new ChartOptions()), c => c.FileName == "udp-loss.png");
    }

    [Fact]
    public void WindowsCraftedSample_AckDelayChartIsDrawn_WithTheHostsTimer()
    {
        AnalysisResult r = Captures.Analyze(RepoPaths.Sample("windows-delack-zero-window.pcap"), WithSeries);
        IReadOnlyList<Chart> charts = ChartSet.Draw(r, new ChartOptions());

        Assert.Contains(charts, c => c.FileName == "ack-delay-histogram.png");
        // The Windows host holds its ACKs 200 ms; the peer's few delayed ACKs are Linux's.
        var host = Assert.Single(r.DelayedAckProfiles, h => h.TimerClass == "200");
        int peak = host.DelayedHistogram.ToArray().Select((n, i) => (n, i)).MaxBy(x => x.n).i * DelayedAckProfile.BinMs;
        Assert.InRange(peak, 190, 210);
    }

    [Fact]
    public void EveryChart_IsAPngOfTheStatedSize_WithAStableName()
    {
        AnalysisResult r = Captures.Analyze(RepoPaths.Sample("zero-window.client.pcap"), WithSeries);
        var options = new ChartOptions { Width = 900, Height = 400 };

        IReadOnlyList<Chart> charts = ChartSet.Draw(r, options);

        Assert.Equal(["events-timeline.png", "ack-delay-histogram.png", "ip-sizes.png", "flow-1-time-sequence.png", "flow-1-window.png",
            "flow-1-throughput.png", "flow-1-rtt.png"], charts.Select(c => c.FileName));
        foreach (Chart c in charts)
        {
            (int w, int h) = HtmlReportWriter.PngSize(c.Png);
            Assert.Equal(900, w);
            // The timeline grows with the number of event types so that their labels never overlap.
            Assert.True(c.FileName == "events-timeline.png" ? h >= 400 : h == 400, $"{c.FileName}: {w}x{h}");
            Assert.False(string.IsNullOrWhiteSpace(c.Title));
            Assert.False(string.IsNullOrWhiteSpace(c.Caption));
            Assert.Equal((8, 2), (c.Png[24], c.Png[25]));   // IHDR: 8-bit RGB, no alpha channel (the charts are opaque)
        }
    }

    [Fact]
    public void LongFlow_SeriesIsThinnedEvenly_SoDrawingStaysBounded()
    {
        (_, FlowChartData d) = FlowData("bulk-window-scaling.client.pcap", new AnalysisOptions { SeriesFlows = 4, SeriesPoints = 64 });

        Assert.True(d.Stride > 1);
        Assert.InRange(d.Data.Count + d.Resent.Count + d.Acks.Count + d.Rtt.Count, 1, 64);
        // Thinned evenly: the points still span the flow.
        Assert.True(d.Data.Max(p => p.T) - d.Data.Min(p => p.T) > 0.5 * (d.Flow.LastTimeNs - d.Flow.FirstTimeNs) / 1e9);
        Assert.Equal(4, FlowChartsOf(d).Count);
    }

    private static List<Chart> FlowChartsOf(FlowChartData d) =>
        ChartSet.Draw(Captures.Analyze(RepoPaths.Sample("bulk-window-scaling.client.pcap"), new AnalysisOptions { SeriesFlows = 4, SeriesPoints = 64 }), new ChartOptions())
            .Where(c => c.FlowId == d.Flow.Id).ToList();

    [Fact]
    public void ChooseFlows_FlowsWithWarningsFirst_ThenTheLargest_UpToTheLimit()
    {
        AnalysisResult r = Captures.Analyze(RepoPaths.Sample("tcp-basic.pcap"), new AnalysisOptions { SeriesFlows = 100 });
        IReadOnlyList<Flow> two = ChartSet.ChooseFlows(r, 2);

        Assert.Equal(2, two.Count);
        Assert.True(two[0].Id < two[1].Id);
        Assert.All(two, f => Assert.NotNull(f.Tcp?.Series));
        Assert.Empty(ChartSet.ChooseFlows(r, 0));
    }
}
