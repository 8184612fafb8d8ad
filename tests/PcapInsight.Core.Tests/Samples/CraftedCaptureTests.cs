using PcapInsight.Core.Analysis;
using PcapInsight.Core.Flows;
using PcapInsight.TestKit;
using PcapInsight.TestKit.Crafted;
using Xunit;

namespace PcapInsight.Core.Tests.Samples;

/// <summary>
/// The crafted sample captures are exactly what the test kit builds (set PCAPINSIGHT_UPDATE_SAMPLES=1 to rewrite
/// them after a deliberate change), and the analyzer agrees with their truth.
/// </summary>
public class CraftedCaptureTests
{
    public static IEnumerable<object[]> Names() => CraftedCapture.All().Select(c => new object[] { c.Name });

    [Theory]
    [MemberData(nameof(Names))]
    public void Committed_CraftedCapture_IsWhatTheTestKitBuilds(string name)
    {
        CraftedCapture built = CraftedCapture.All().Single(c => c.Name == name);
        string pcap = RepoPaths.Sample(name + ".pcap");
        string truth = RepoPaths.Sample(name + ".truth.json");
        if (Environment.GetEnvironmentVariable("PCAPINSIGHT_UPDATE_SAMPLES") == "1")
        {
            File.WriteAllBytes(pcap, built.Pcap);
            File.WriteAllText(truth, built.TruthJson());
        }

        Assert.True(File.ReadAllBytes(pcap).AsSpan().SequenceEqual(built.Pcap), $"{pcap} differs from what the test kit builds");
        Assert.Equal(built.TruthJson(), File.ReadAllText(truth));
    }

    [Fact]
    public void Analyze_FragmentOverlap_CountsEveryFragmentAndOneFlowPerFamily()
    {
        SampleTruth truth = SampleTruth.ForScenario("ip-fragments-overlap");

        AnalysisResult r = Captures.Analyze(truth.CapturePath("crafted"));

        int fragments = truth.Root.GetProperty("datagrams").EnumerateArray().Sum(d => d.GetProperty("fragments").GetInt32());
        Assert.Equal(fragments, r.Packets.Fragments);
        Assert.Equal(2, r.Flows.Count);
        // Each family's flow holds the four first fragments (the datagrams' only fragments with ports).
        Assert.All(r.Flows, f => Assert.Equal(4, f.PacketsC2S));
    }

    [Fact]
    public void Analyze_DnsUnanswered_EachQueryIsAFlowAndUnansweredOnesHaveNoReply()
    {
        SampleTruth truth = SampleTruth.ForScenario("dns-unanswered");

        AnalysisResult r = Captures.Analyze(truth.CapturePath("crafted"));

        var unansweredPorts = truth.Root.GetProperty("queries").EnumerateArray()
            .Where(q => !q.GetProperty("answered").GetBoolean()).Select(q => q.GetProperty("client_port").GetInt32()).ToHashSet();
        Assert.Equal(10, r.Flows.Count);
        Assert.All(r.Flows, f => Assert.Equal(unansweredPorts.Contains(f.ClientPort) ? 0 : 1, f.PacketsS2C));
    }

    [Fact]
    public void Analyze_WindowsPeer_HandshakeOptionsOfBothSides()
    {
        AnalysisResult r = Captures.Analyze(SampleTruth.ForScenario("windows-delack-zero-window").CapturePath("crafted"));

        Flow f = Assert.Single(r.Flows);
        Assert.Equal(7, f.Tcp!.WindowScaleC2S);
        Assert.Equal(8, f.Tcp.WindowScaleS2C);
        Assert.Equal(FlowCloseReason.Fin, f.Close);
    }
}
