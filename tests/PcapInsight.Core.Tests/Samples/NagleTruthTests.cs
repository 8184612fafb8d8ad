using System.Text.Json;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Events;
using PcapInsight.Core.Flows;
using PcapInsight.Core.TcpAnalysis;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Core.Tests.Samples;

/// <summary>
/// Nagle stalls held to what the programs measured: the client timed every request, and the server's kernel
/// counted its delayed ACKs; the crafted Windows-like capture states its stalls and timer.
/// </summary>
public class NagleTruthTests
{
    private static List<AnalysisEvent> Stalls(AnalysisResult r) =>
        r.Events.Rows.Where(e => e.Kind == EventKind.TcpNagleStall).OrderBy(e => e.TimestampNs).ToList();

    [Theory]
    [InlineData("nagle-delack", "client")]
    [InlineData("nagle-delack", "server")]
    [InlineData("nagle-delack-vxlan", "client")]
    [InlineData("nagle-delack-vxlan", "server")]
    public void Analyze_NagleDelack_EverySlowRequestIsOneStall_OfItsMeasuredLatency(string scenario, string side)
    {
        // A request is slow (latency over 20 ms) exactly when its body waited for the delayed ACK of its header;
        // the latency is that wait plus the reply's round trip (well under a millisecond here), so each stall
        // matches its request's latency within a few ms, at either capture point; through a VXLAN tunnel too,
        // captured on the underlay, where every segment is inside a UDP datagram between the tunnel's endpoints.
        SampleTruth truth = SampleTruth.ForScenario(scenario);
        AnalysisResult r = Captures.Analyze(truth.CapturePath(side));
        double[] slow = truth.Program("client").GetProperty("latency_ms").EnumerateArray().Select(l => l.GetDouble()).Where(l => l > 20).ToArray();

        List<AnalysisEvent> stalls = Stalls(r);
        Assert.Equal(truth.Program("client").GetProperty("slow_requests_over_20ms").GetInt32(), stalls.Count);
        for (int i = 0; i < stalls.Count; i++)
        {
            Assert.InRange(stalls[i].DurationNs / 1e6, slow[i] - 4, slow[i]);
            Assert.Contains("pattern=write-write-read writer=client", stalls[i].Detail);
        }
        Flow flow = Assert.Single(r.Flows);
        Assert.Equal(stalls.Count, flow.Tcp!.C2S.NagleStalls);
        Assert.Equal(stalls.Sum(s => s.DurationNs), flow.Tcp.C2S.NagleStallNs);
        Assert.Equal(truth.Counter("server", "TcpExt.DelayedACKs"), flow.Tcp.S2C.DelayedAcks);
        DelayedAckProfile server = Assert.Single(r.DelayedAckProfiles, h => h.Host.ToString() == truth.ServerAddress());
        Assert.Equal("40", server.TimerClass);
    }

    [Theory]
    [InlineData("client")]
    [InlineData("server")]
    public void Analyze_NoHostProfiled_DelayedAcksStillCountedAndReported(string side)
    {
        // --max-ack-profile-hosts bounds the per-host histograms only: the kernel's count of delayed ACKs is met
        // whether or not the host has a profile.
        SampleTruth truth = SampleTruth.ForScenario("nagle-delack");
        AnalysisResult profiled = Captures.Analyze(truth.CapturePath(side));
        AnalysisResult unprofiled = Captures.Analyze(truth.CapturePath(side),
            new AnalysisOptions { Nagle = new NagleOptions { MaxProfiledHosts = 0 } });

        Assert.Empty(unprofiled.DelayedAckProfiles);
        Assert.NotEmpty(profiled.DelayedAckProfiles);
        // Every host the limit left out is counted: those the default profiled, none left out there.
        Assert.Equal(profiled.DelayedAckProfiles.Count, unprofiled.DelayedAckHostsNotProfiled);
        Assert.Equal(0, profiled.DelayedAckHostsNotProfiled);
        Assert.Equal(truth.Counter("server", "TcpExt.DelayedACKs"), Assert.Single(unprofiled.Flows).Tcp!.S2C.DelayedAcks);
        Assert.Equal(profiled.Events.Count(EventKind.TcpDelayedAck), unprofiled.Events.Count(EventKind.TcpDelayedAck));
        Assert.True(unprofiled.Events.Count(EventKind.TcpDelayedAck) > 0);
    }

    [Theory]
    [MemberData(nameof(SampleTruth.ScenarioSides), MemberType = typeof(SampleTruth))]
    public void Analyze_SampleCapture_StallsOnlyWhereNagleMetADelayedAck(string scenario, string side)
    {
        // TCP_NODELAY, TCP_CORK, bulk transfers, loss and outage recovery, zero windows, keep-alives, UDP: none.
        AnalysisResult r = Captures.Analyze(SampleTruth.ForScenario(scenario).CapturePath(side));

        int expected = scenario switch
        {
            "nagle-delack" or "nagle-delack-vxlan" => SampleTruth.ForScenario(scenario).Program("client").GetProperty("slow_requests_over_20ms").GetInt32(),
            "windows-delack-zero-window" => SampleTruth.ForScenario(scenario).Root.GetProperty("nagle_stalls").GetArrayLength(),
            _ => 0,
        };
        Assert.Equal(expected, r.Events.Count(EventKind.TcpNagleStall));
    }

    [Fact]
    public void Analyze_WindowsPeer_200MillisecondStalls_AndA200MillisecondTimer()
    {
        SampleTruth truth = SampleTruth.ForScenario("windows-delack-zero-window");
        AnalysisResult r = Captures.Analyze(truth.CapturePath("crafted"));
        JsonElement[] expected = truth.Root.GetProperty("nagle_stalls").EnumerateArray().ToArray();

        List<AnalysisEvent> stalls = Stalls(r);
        Assert.Equal(expected.Length, stalls.Count);
        for (int i = 0; i < stalls.Count; i++)
        {
            Assert.Equal(expected[i].GetProperty("header_time").GetDouble(), stalls[i].TimestampNs / 1e9, 3);
            Assert.InRange(stalls[i].DurationNs / 1e6, expected[i].GetProperty("stall_ms").GetDouble() - 3, expected[i].GetProperty("stall_ms").GetDouble());
        }
        DelayedAckProfile server = Assert.Single(r.DelayedAckProfiles, h => h.Host.ToString() == "198.51.100.20");
        Assert.Equal("200", server.TimerClass);
        Assert.InRange(server.TimerMs, 190, 210);
        Assert.Equal("40", Assert.Single(r.DelayedAckProfiles, h => h.Host.ToString() == "192.0.2.10").TimerClass);
    }

    [Theory]
    [InlineData("client")]
    [InlineData("server")]
    public void Analyze_NagleDelackThroughVxlan_InsideIsTheConnection_OutsideOnlyTheTunnel(string side)
    {
        // Inside: every frame is the connection's, its MSS the tunnel's (the overlay's MTU 1450, VXLAN's 50 bytes
        // below the underlay's 1500). Outside (--tunnel-depth 0): UDP between the tunnel's endpoints only, no
        // TCP analysis at all, which is what a tool that does not open tunnels reports. Each endpoint picks its UDP
        // source port from a hash of the inner flow, so the tunnel is one UDP flow each way.
        SampleTruth truth = SampleTruth.ForScenario("nagle-delack-vxlan");
        AnalysisResult inside = Captures.Analyze(truth.CapturePath(side));
        AnalysisResult outside = Captures.Analyze(truth.CapturePath(side), new AnalysisOptions { TunnelDepth = 0 });

        Assert.Equal(truth.CapturedPackets(side), inside.Packets.Tunneled);
        Assert.Equal(truth.CapturedPackets(side), inside.Packets.TunneledIn(PcapInsight.Core.Decoding.TunnelKinds.Vxlan));
        Flow connection = Assert.Single(inside.Flows);
        Assert.Equal(truth.ServerAddress(), connection.Server.ToString());
        Assert.Equal(1410, connection.Tcp!.MssC2S);
        Assert.Equal(1410, connection.Tcp.MssS2C);
        Assert.Equal(truth.CapturedPackets(side), connection.PacketsC2S + connection.PacketsS2C);

        Assert.Equal(0, outside.Packets.Tunneled);
        Assert.Equal(2, outside.Flows.Count);
        Assert.All(outside.Flows, f => Assert.True(f.Protocol == 17 && f.ServerPort == 4789 && f.PacketsS2C == 0));
        Assert.Equal(truth.CapturedPackets(side), outside.Flows.Sum(f => f.PacketsC2S));
        Assert.Equal(0, outside.Events.Count(EventKind.TcpNagleStall));
    }
}
