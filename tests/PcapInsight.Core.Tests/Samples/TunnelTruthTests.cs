using PcapInsight.Core.Analysis;
using PcapInsight.Core.Events;
using PcapInsight.Core.Flows;
using PcapInsight.Core.Fragments;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Core.Tests.Samples;

/// <summary>
/// The overlay MTU mistake, reproduced by sample-captures/bulk-vxlan-mtu (a VXLAN interface left at the underlay's
/// 1500): the tunnel endpoints' kernels fragmented the outer datagrams (FragOKs) and reassembled them (ReasmOKs), and
/// the analysis finds each one, on the flow inside, with the MTU that would have fitted. The corpus' real GTP-U and
/// GRE captures with fragmented tunnel datagrams are held to tshark's reassembly counts.
/// </summary>
public class TunnelTruthTests
{
    [Theory]
    [InlineData("client")]
    [InlineData("server")]
    public void Analyze_VxlanMtuTooLarge_EveryReassembledTunnelDatagramIsReported_OnTheFlowInside(string side)
    {
        SampleTruth truth = SampleTruth.ForScenario("bulk-vxlan-mtu");
        AnalysisResult r = Captures.Analyze(truth.CapturePath(side));
        long reassembled = truth.Counter("client", "Ip.ReasmOKs") + truth.Counter("server", "Ip.ReasmOKs");

        Assert.True(reassembled > 0);
        Assert.Equal(truth.Counter("client", "Ip.FragOKs") + truth.Counter("server", "Ip.FragOKs"), reassembled);
        Assert.Equal(reassembled, r.Events.Count(EventKind.IpTunnelFragmented));
        Assert.Equal(reassembled, r.Datagrams.Count(d => d.Status == FragmentStatus.Complete && d.CarriedTunnel));
        // One flow: the connection inside, every frame of it counted once (a reassembled datagram as one packet).
        Flow connection = Assert.Single(r.Flows);
        Assert.Equal(truth.ServerAddress(), connection.Server.ToString());
        Assert.Equal(truth.CapturedPackets(side) - r.Packets.Fragments + reassembled, connection.PacketsC2S + connection.PacketsS2C);
        Assert.All(r.Events.Rows.Where(e => e.Kind == EventKind.IpTunnelFragmented), e =>
        {
            Assert.Equal(connection.Id, e.FlowId);
            Assert.Contains("tunnel=vxlan ", e.Detail);
            Assert.Contains("largest_fragment=1500", e.Detail);
        });
        // Nothing is counted against the datagrams' own size: they were the tunnel's.
        Assert.Equal(0, r.Events.Count(EventKind.IpTcpFragmented));
    }

    [Theory]
    [InlineData("client")]
    [InlineData("server")]
    public void Analyze_VxlanMtuTooLarge_WithTunnelsShut_IsPlainUdpFragmentation(string side)
    {
        SampleTruth truth = SampleTruth.ForScenario("bulk-vxlan-mtu");
        AnalysisResult r = Captures.Analyze(truth.CapturePath(side), new AnalysisOptions { TunnelDepth = 0 });

        Assert.Equal(0, r.Events.Count(EventKind.IpTunnelFragmented));
        Assert.Equal(0, r.Packets.Tunneled);
        Assert.DoesNotContain(r.Flows, f => f.Protocol == 6);
        Assert.All(r.Datagrams, d => Assert.False(d.CarriedTunnel));
        Assert.Equal(truth.Counter("client", "Ip.ReasmOKs") + truth.Counter("server", "Ip.ReasmOKs"), r.Datagrams.Count);
    }

    [CorpusTheory]
    [InlineData("zeek__gtp1-incl-fragmentation.pcap", "gtp_u")]
    [InlineData("zeek__erspan-with-frags.pcap", "gre")]
    public void Analyze_CorpusTunnelInFragments_EveryDatagramTsharkReassembledIsReported(string file, string tunnel)
    {
        // Every fragmented datagram of these captures is a tunnel's: tshark's reassembled count (reasm4) is ours.
        CorpusEntry entry = CorpusManifest.Get(file);
        AnalysisResult r = Captures.Analyze(entry.Path);

        Assert.Equal(entry.FactNumber("ipv4_reassembled"), r.Events.Count(EventKind.IpTunnelFragmented));
        Assert.True(r.Events.Count(EventKind.IpTunnelFragmented) > 0);
        Assert.All(r.Events.Rows.Where(e => e.Kind == EventKind.IpTunnelFragmented), e => Assert.Contains($"tunnel={tunnel} ", e.Detail));
    }
}
