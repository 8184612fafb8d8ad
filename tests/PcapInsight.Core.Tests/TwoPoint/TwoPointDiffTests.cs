using System.Text.Json;
using PcapInsight.Core.Capture;
using PcapInsight.TestKit;
using PcapInsight.Core.TwoPoint;
using Xunit;

namespace PcapInsight.Core.Tests.TwoPoint;

/// <summary>Two captures of the same traffic: what the path between them lost, as the path's own drop log records it.</summary>
public class TwoPointDiffTests
{
    private static TwoPointResult Compare(string scenario)
    {
        SampleTruth truth = SampleTruth.ForScenario(scenario);
        using IPacketSource client = CaptureFile.Open(truth.CapturePath("client"));
        using IPacketSource server = CaptureFile.Open(truth.CapturePath("server"));
        return TwoPointDiff.Compare(client, server);
    }

    private static JsonElement[] Drops(string scenario) => SampleTruth.ForScenario(scenario).Root.GetProperty("path_decisions").EnumerateArray()
        .Where(d => d.GetProperty("action").GetString() == "drop").ToArray();

    [Fact]
    public void FragmentLoss_TheLostPacketsAreExactlyTheFragmentsThePathDropped()
    {
        TwoPointResult r = Compare("udp-fragment-loss");

        string[] expected = Drops("udp-fragment-loss").Select(d => $"ip_id={d.GetProperty("ip_id").GetUInt32()} frag_offset={d.GetProperty("offset").GetInt32()}").Order().ToArray();
        string[] ours = r.Lost.Select(l => l.Packet.Describe[l.Packet.Describe.IndexOf("ip_id=", StringComparison.Ordinal)..].Replace(" mf=1", "")).Order().ToArray();
        Assert.Equal(expected, ours);
        Assert.All(r.Lost, l => Assert.True(l.Forward));
        Assert.Empty(r.Duplicated);
    }

    [Theory]
    [InlineData("bulk-loss-reorder")]
    [InlineData("rto-outage")]
    public void TcpLossAndReordering_TheLostSegmentsAreExactlyThoseThePathDropped(string scenario)
    {
        TwoPointResult r = Compare(scenario);

        string[] expected = Drops(scenario).Select(d => $"seq={d.GetProperty("seq").GetUInt32()} len={d.GetProperty("len").GetInt32()}").Order().ToArray();
        string[] ours = r.Lost.Where(l => l.Forward).Select(l => string.Join(' ', l.Packet.Describe.Split(' ').Where(w => w.StartsWith("seq=") || w.StartsWith("len=")))).Order().ToArray();
        Assert.Equal(expected, ours);
        int delayed = SampleTruth.ForScenario(scenario).Root.GetProperty("path_decisions").EnumerateArray().Count(d => d.GetProperty("action").GetString() == "reorder");
        Assert.Equal(delayed, r.Reordered);
        Assert.True(r.Delay.Min >= 0 && r.Delay.Max >= r.Delay.Median);
    }
}
