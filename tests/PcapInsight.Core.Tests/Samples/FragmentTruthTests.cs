using System.Text.Json;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Events;
using PcapInsight.Core.Fragments;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Core.Tests.Samples;

/// <summary>
/// IP reassembly held to the receiving kernel's counters (ReasmOKs) and the receiving program's record of which
/// datagrams arrived, and to the crafted overlap capture's truth.
/// </summary>
public class FragmentTruthTests
{
    [Theory]
    [InlineData("udp-fragmented", "client")]
    [InlineData("udp-fragmented", "server")]
    [InlineData("udp-fragment-loss", "server")]
    public void Analyze_FragmentedUdp_CompleteDatagramsEqualTheReceiversReasmOKs(string scenario, string side)
    {
        SampleTruth truth = SampleTruth.ForScenario(scenario);
        AnalysisResult r = Captures.Analyze(truth.CapturePath(side));

        foreach ((int version, string counter, string program) in new[] { (4, "Ip.ReasmOKs", "ipv4"), (6, "Ip6.Ip6ReasmOKs", "ipv6") })
        {
            DatagramRecord[] datagrams = r.Datagrams.Where(d => d.IpVersion == version).OrderBy(d => d.FirstTimeNs).ToArray();
            Assert.Equal(truth.Program("client_" + program).GetProperty("sent").GetInt32(), datagrams.Length);
            Assert.Equal(truth.Counter("server", counter), datagrams.Count(d => d.Status == FragmentStatus.Complete));
            // The incomplete ones are exactly the datagrams the receiving program never got (sent in order).
            int[] received = truth.Program("server_" + program).GetProperty("received_seq").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            int[] incomplete = datagrams.Select((d, i) => (d, i)).Where(x => x.d.Status == FragmentStatus.Incomplete).Select(x => x.i).ToArray();
            Assert.Equal(Enumerable.Range(0, datagrams.Length).Except(received), incomplete);
            Assert.All(datagrams, d => Assert.Equal(17, d.Protocol));
        }
        Assert.Equal(r.Datagrams.Count, r.Events.Count(EventKind.IpFragmented));
        Assert.Equal(r.Datagrams.Count(d => d.Status == FragmentStatus.Incomplete), r.Events.Count(EventKind.IpFragIncomplete));
    }

    [Theory]
    [InlineData("client")]
    [InlineData("server")]
    public void Analyze_FragmentedUdp_FlowsCarryTheWholeDatagrams(string side)
    {
        // 20 datagrams of 3000 bytes per family, each in three fragments: the flows' payload is the whole
        // datagrams, as if they had arrived in one piece.
        SampleTruth truth = SampleTruth.ForScenario("udp-fragmented");
        AnalysisResult r = Captures.Analyze(truth.CapturePath(side));

        foreach (string family in new[] { "ipv4", "ipv6" })
        {
            JsonElement client = truth.Program("client_" + family);
            var flow = Assert.Single(r.Flows, f => f.Protocol == 17 && f.Client.Version == (family == "ipv4" ? 4 : 6) && f.PacketsC2S > 1);
            Assert.Equal(client.GetProperty("sent").GetInt64() * client.GetProperty("size").GetInt64(), flow.PayloadBytesC2S);
        }
    }

    [Fact]
    public void Analyze_FragmentLoss_TheSendersCaptureHasEveryDatagramComplete()
    {
        // The path lost the fragments after the sender's capture point: there every datagram is whole.
        AnalysisResult r = Captures.Analyze(SampleTruth.ForScenario("udp-fragment-loss").CapturePath("client"));

        Assert.All(r.Datagrams, d => Assert.Equal(FragmentStatus.Complete, d.Status));
        Assert.Equal(40, r.Datagrams.Count);
    }

    [Fact]
    public void Analyze_CraftedOverlaps_StatusBytesAndOverlapOfEachDatagramAsTheTruthSays()
    {
        SampleTruth truth = SampleTruth.ForScenario("ip-fragments-overlap");
        AnalysisResult r = Captures.Analyze(truth.CapturePath("crafted"));
        JsonElement[] expected = truth.Root.GetProperty("datagrams").EnumerateArray().ToArray();

        DatagramRecord[] ours = r.Datagrams.OrderBy(d => d.FirstTimeNs).ToArray();
        Assert.Equal(expected.Length, ours.Length);
        for (int i = 0; i < ours.Length; i++)
        {
            Assert.Equal(expected[i].GetProperty("ip_id").GetUInt32(), ours[i].IpId);
            Assert.Equal(expected[i].GetProperty("status").GetString(), ours[i].Status.ToString().ToLowerInvariant());
            Assert.Equal(expected[i].GetProperty("fragments").GetInt32(), ours[i].Fragments);
            Assert.Equal(expected[i].GetProperty("bytes").GetInt32(), ours[i].Bytes);
            Assert.Equal(expected[i].GetProperty("overlap_bytes").GetInt32(), ours[i].OverlapBytes);
            // The truth knows where a datagram ended; a capture that lacks its last fragment does not, so ours
            // says the missing range runs to an unknown end.
            string missing = expected[i].GetProperty("missing").GetString()!;
            Assert.Equal(missing.Length == 0 ? "" : missing[..missing.IndexOf('-')] + "-?", ours[i].Missing);
        }
        Assert.Equal(2, r.Events.Count(EventKind.IpFragOverlap));
        Assert.Equal(2, r.Events.Count(EventKind.IpFragOverlapConflict));
        // The conflicting second fragment starts inside the first: only the "last" policy lets it win.
        Assert.All(ours.Where(d => d.Status == FragmentStatus.Conflict), d => Assert.Equal("first+bsd+linux+windows+solaris/last", d.PolicyGroups));
        Assert.All(ours.Where(d => d.Status == FragmentStatus.Overlap), d => Assert.Equal("first+last+bsd+linux+windows+solaris", d.PolicyGroups));
    }
}

/// <summary>Path MTU discovery held to the router's ICMP counters.</summary>
public class PathMtuTruthTests
{
    [Fact]
    public void Analyze_PmtuClient_EveryIcmpMessageIsLinkedToItsFlowWithTheMtu()
    {
        SampleTruth truth = SampleTruth.ForScenario("pmtu-icmp");
        AnalysisResult r = Captures.Analyze(truth.CapturePath("client"));

        var v4 = Assert.Single(r.Flows, f => f.Protocol == 6 && f.Client.Version == 4);
        var v6 = Assert.Single(r.Flows, f => f.Protocol == 6 && f.Client.Version == 6);
        Assert.Equal(truth.Counter("router", "Icmp.OutDestUnreachs"), v4.PmtuMessages);
        Assert.Equal(truth.Counter("router", "Ip6.Icmp6OutPktTooBigs"), v6.PmtuMessages);
        Assert.Equal((1280, 1280), (v4.LowestPmtu, v6.LowestPmtu));
        var rows = r.Events.Rows.Where(e => e.Kind == EventKind.IpPmtuIcmp).ToList();
        Assert.Equal(v4.PmtuMessages + v6.PmtuMessages, rows.Count);
        Assert.All(rows, e => Assert.Contains("mtu=1280 quoted=tcp", e.Detail));
        Assert.All(rows, e => Assert.True(e.FlowId == v4.Id || e.FlowId == v6.Id));
    }
}
