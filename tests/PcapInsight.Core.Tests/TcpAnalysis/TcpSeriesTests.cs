using PcapInsight.Core.Analysis;
using PcapInsight.Core.Flows;
using PcapInsight.Core.TcpAnalysis;
using PcapInsight.Core.Tests.Samples;
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
    public void CleanSmallFlows_GiveTheirSlotsBack_TroubledOnesKeepThem()
    {
        AnalysisResult clean = Captures.Analyze(RepoPaths.Sample("tcp-basic.pcap"), new AnalysisOptions { SeriesFlows = 10 });
        AnalysisResult troubled = Analyze("zero-window", "server", flows: 10);

        Assert.All(clean.Flows, f => Assert.Null(f.Tcp?.Series));
        Assert.NotNull(Assert.Single(troubled.Flows).Tcp!.Series);
    }

    [Fact]
    public void SeriesOff_ByDefault()
    {
        AnalysisResult r = Captures.Analyze(SampleTruth.ForScenario("zero-window").CapturePath("server"));

        Assert.Null(Assert.Single(r.Flows).Tcp!.Series);
    }
}
