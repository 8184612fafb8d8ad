using System.Text.Json;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Events;
using PcapInsight.Core.Flows;
using PcapInsight.Core.UdpAnalysis;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Core.Tests.Samples;

/// <summary>UDP sequence evidence and DNS answers held to the truth of the sample captures.</summary>
public class UdpTruthTests
{
    private static readonly UdpSequenceSpec SampleCounter = UdpSequenceSpec.Parse("4:8:ascii", out _)!;   // 'seq=NNNNNNNN '

    [Fact]
    public void Analyze_CraftedRtp_LossDuplicatesReorderingAndJitterAsTheTruthSays()
    {
        // tshark's RTP stream table (tshark -d udp.port==50000,rtp -z rtp,streams) says 4 lost: it counts the
        // duplicate as a received packet, so one loss is hidden; we count what never arrived. Its jitter columns are
        // the minimum, mean (2.173 ms) and maximum of the running RFC 3550 estimate; ours is the estimate at the end
        // of the stream, as RTCP receiver reports carry it, and equals the truth's.
        SampleTruth truth = SampleTruth.ForScenario("rtp-gaps-jitter");
        AnalysisResult r = Captures.Analyze(truth.CapturePath("crafted"));

        UdpStream udp = Assert.Single(r.Flows).Udp!.C2S;
        Assert.Null(Assert.Single(r.Flows).Udp!.S2C.Sequence);   // nothing came back
        Assert.Equal("rtp", udp.SeqKind);
        Assert.Equal(truth.Root.GetProperty("ssrc").GetUInt32(), udp.Ssrc);
        Assert.Equal(truth.Root.GetProperty("lost_seq").GetArrayLength(), udp.Sequence!.Lost);
        Assert.Equal(truth.Root.GetProperty("duplicated_seq").GetArrayLength(), udp.Sequence.Duplicates);
        Assert.Equal(truth.Root.GetProperty("reordered_seq").GetArrayLength(), udp.Sequence.Reordered);
        Assert.Equal(truth.Root.GetProperty("rfc3550_jitter_ms").GetDouble(), udp.JitterMs!.Value, 2);
        // the gaps, one event per missing range
        string[] gaps = r.Events.Rows.Where(e => e.Kind == EventKind.UdpSeqGap).Select(e => e.Detail.Split(' ')[0]).ToArray();
        Assert.Equal(["missing=1010-1010", "missing=1050-1052", "missing=1200-1200"], gaps);
    }

    [Fact]
    public void Analyze_CraftedDns_TheUnansweredQueriesOfTheTruth()
    {
        SampleTruth truth = SampleTruth.ForScenario("dns-unanswered");
        AnalysisResult r = Captures.Analyze(truth.CapturePath("crafted"));

        int[] expected = truth.Root.GetProperty("queries").EnumerateArray()
            .Where(q => !q.GetProperty("answered").GetBoolean()).Select(q => q.GetProperty("id").GetInt32()).Order().ToArray();
        int[] ours = r.Events.Rows.Where(e => e.Kind == EventKind.DnsUnanswered)
            .Select(e => int.Parse(e.Detail.Split(' ')[0]["id=".Length..], System.Globalization.CultureInfo.InvariantCulture)).Order().ToArray();
        Assert.Equal(expected, ours);
    }

    [Fact]
    public void Analyze_FragmentLossAtTheReceiver_SequenceGapsAreTheDatagramsLost_AllWithAFragment()
    {
        // A datagram lost with a fragment never delivers its number, so the sequence gaps count every lost
        // datagram, and lost_with_fragment says which of them a fragment loss explains (here all: the path
        // dropped single fragments).
        SampleTruth truth = SampleTruth.ForScenario("udp-fragment-loss");
        AnalysisResult r = Captures.Analyze(truth.CapturePath("server"), new AnalysisOptions { UdpSequence = SampleCounter });

        foreach ((string family, int version) in new[] { ("ipv4", 4), ("ipv6", 6) })
        {
            int sent = truth.Program("client_" + family).GetProperty("sent").GetInt32();
            int received = truth.Program("server_" + family).GetProperty("received").GetInt32();
            Flow flow = Assert.Single(r.Flows, f => f.Protocol == 17 && f.Client.Version == version && f.Udp?.C2S.SeqKind == "custom");
            Assert.Equal(sent - received, flow.Udp!.C2S.Sequence!.Lost);
            Assert.Equal(sent - received, flow.Udp.LostWithFragment);
            Assert.Equal(sent - received, r.Events.Rows.Count(e => e.Kind == EventKind.UdpFragmentLoss && e.FlowId == flow.Id));
            Assert.Equal(sent, flow.Udp.FragmentedDatagrams);
            AnalysisEvent oversized = Assert.Single(r.Events.Rows, e => e.Kind == EventKind.UdpOversized && e.FlowId == flow.Id);
            Assert.Contains("datagram_bytes=3008", oversized.Detail);   // 3000 bytes of data and the UDP header
        }
    }

    [Fact]
    public void Analyze_RcvbufOverflow_EveryDatagramReachedTheHost_TheSocketDroppedThem()
    {
        SampleTruth truth = SampleTruth.ForScenario("udp-rcvbuf-overflow");
        AnalysisResult r = Captures.Analyze(truth.CapturePath("server"), new AnalysisOptions { UdpSequence = SampleCounter });

        Flow flow = Assert.Single(r.Flows, f => f.Protocol == 17 && f.Udp?.C2S.SeqKind == "custom");
        Assert.Equal(0, flow.Udp!.C2S.Sequence!.Lost);
        Assert.Equal(truth.Program("client").GetProperty("sent").GetInt64(), flow.Udp.C2S.Sequence.Received);
        Assert.True(truth.Counter("server", "Udp.RcvbufErrors") > 0);   // yet the application missed some
    }
}
