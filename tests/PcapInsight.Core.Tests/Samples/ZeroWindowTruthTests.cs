using System.Text.Json;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Events;
using PcapInsight.Core.Flows;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Core.Tests.Samples;

/// <summary>
/// Zero-window episodes held to what the kernels and the reading program recorded: the receiver's
/// TCPToZeroWindowAdv, the sender's TCPWinProbe, and the times the reader stopped reading.
/// </summary>
public class ZeroWindowTruthTests
{
    private static List<AnalysisEvent> Episodes(AnalysisResult r) =>
        r.Events.Rows.Where(e => e.Kind == EventKind.TcpZeroWindow).OrderBy(e => e.TimestampNs).ToList();

    [Theory]
    [InlineData("client")]
    [InlineData("server")]
    public void Analyze_ZeroWindow_EpisodesAndProbesEqualTheKernelsCounts(string side)
    {
        SampleTruth truth = SampleTruth.ForScenario("zero-window");
        AnalysisResult r = Captures.Analyze(truth.CapturePath(side));

        Flow flow = Assert.Single(r.Flows);
        Assert.Equal(truth.Counter("server", "TcpExt.TCPToZeroWindowAdv"), flow.Tcp!.S2C.ZeroWindowEpisodes);
        Assert.Equal(truth.Counter("server", "TcpExt.TCPToZeroWindowAdv"), Episodes(r).Count);
        Assert.Equal(truth.Counter("client", "TcpExt.TCPWinProbe"), flow.Tcp.C2S.ZeroWindowProbes);
        Assert.Equal(0, flow.Tcp.C2S.ZeroWindowEpisodes);
        Assert.All(Episodes(r), e => Assert.Contains("advertiser=server", e.Detail));
    }

    [Theory]
    [InlineData("client")]
    [InlineData("server")]
    public void Analyze_ZeroWindow_EachReaderPauseIsOneEpisodeEndingWhenReadingResumed(string side)
    {
        // The window closes once the buffer has filled after the reader stopped (so the episode is shorter than the
        // pause by that filling time) and reopens when the reader's first reads free enough space for the kernel to
        // send a window update (a few 10 ms reads at most). Both capture points see the same, give or take the
        // 1 ms path delay.
        SampleTruth truth = SampleTruth.ForScenario("zero-window");
        AnalysisResult r = Captures.Analyze(truth.CapturePath(side));
        JsonElement[] pauses = truth.Program("server").GetProperty("pauses").EnumerateArray().ToArray();
        List<AnalysisEvent> episodes = Episodes(r);

        Assert.Equal(pauses.Length, episodes.Count);
        for (int i = 0; i < pauses.Length; i++)
        {
            double start = pauses[i].GetProperty("start").GetDouble(), end = pauses[i].GetProperty("end").GetDouble();
            double closed = episodes[i].TimestampNs / 1e9, reopened = (episodes[i].TimestampNs + episodes[i].DurationNs) / 1e9;
            Assert.InRange(closed, start, end);
            Assert.InRange(reopened, end - 0.002, end + 0.060);
            Assert.Contains("reopened_by=window_update", episodes[i].Detail);
        }
        Assert.Equal(r.Events.Rows.Where(e => e.Kind == EventKind.TcpZeroWindow).Sum(e => e.DurationNs),
            Assert.Single(r.Flows).Tcp!.S2C.ZeroWindowNs);
    }

    [Fact]
    public void Analyze_WindowsPeer_OneByteProbesWithBackoff_AndTheEpisodeOfTheTruth()
    {
        SampleTruth truth = SampleTruth.ForScenario("windows-delack-zero-window");
        AnalysisResult r = Captures.Analyze(truth.CapturePath("crafted"));
        JsonElement zw = truth.Root.GetProperty("zero_window");

        AnalysisEvent episode = Assert.Single(Episodes(r));
        Assert.Equal(zw.GetProperty("start_time").GetDouble(), episode.TimestampNs / 1e9, 3);
        Assert.Equal(zw.GetProperty("duration_ms").GetDouble(), episode.DurationNs / 1e6, 0);
        Assert.Contains("advertiser=client", episode.Detail);
        Assert.Contains("probes=3 probe_bytes=1 probe_gaps_ms=500;1000;2000", episode.Detail);
        Assert.Contains("reopened_by=window_update", episode.Detail);
        Flow flow = Assert.Single(r.Flows);
        Assert.Equal(zw.GetProperty("probe_times").GetArrayLength(), flow.Tcp!.S2C.ZeroWindowProbes);
        Assert.Equal(0, flow.Tcp.S2C.Retransmissions);
    }
}
