using PcapInsight.Core.Analysis;
using PcapInsight.Core.Events;
using PcapInsight.Core.Tests.Samples;
using PcapInsight.Core.UdpAnalysis;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Core.Tests.UdpAnalysis;

/// <summary>Kernel counter snapshots (/proc/net/snmp and netstat -s) and the receive-buffer drops they prove.</summary>
public class KernelCountersTests
{
    private static string Snapshot(string which) => File.ReadAllText(RepoPaths.Sample($"udp-rcvbuf-overflow.server.snmp-{which}.txt"));

    [Fact]
    public void ProcNetSnmp_TheDeltasEqualTheTruthsCounters()
    {
        SampleTruth truth = SampleTruth.ForScenario("udp-rcvbuf-overflow");

        var deltas = KernelCounters.Deltas(KernelCounters.Parse(Snapshot("before")), KernelCounters.Parse(Snapshot("after"))).ToDictionary();

        Assert.Equal(truth.Counter("server", "Udp.RcvbufErrors"), deltas["Udp.RcvbufErrors"]);
        Assert.Equal(truth.Counter("server", "Udp.InDatagrams"), deltas["Udp.InDatagrams"]);
    }

    [Fact]
    public void NetstatS_TheUdpAndReassemblyLinesAreRead()
    {
        const string text = "Ip:\n    Forwarding: 1\n    58 reassemblies required\n    18 packets reassembled ok\n    2 packet reassemblies failed\n"
            + "Udp:\n    6 packets received\n    0 packets to unknown port received\n    394 packet receive errors\n    1 packets sent\n"
            + "    394 receive buffer errors\n    0 send buffer errors\nUdpLite:\n    5 receive buffer errors\n";

        Dictionary<string, long> counters = KernelCounters.Parse(text);

        Assert.Equal(394, counters["Udp.RcvbufErrors"]);
        Assert.Equal(394, counters["Udp.InErrors"]);
        Assert.Equal(6, counters["Udp.InDatagrams"]);
        Assert.Equal(18, counters["Ip.ReasmOKs"]);
        Assert.Equal(2, counters["Ip.ReasmFails"]);
    }

    [Fact]
    public void NeitherFormat_IsRefused() => Assert.Throws<FormatException>(() => KernelCounters.Parse("hello\nworld\n"));

    [Fact]
    public void Analyze_RcvbufOverflowWithSnapshots_TheDropsBecomeOneEventOnTheFlowThatBroughtThem()
    {
        SampleTruth truth = SampleTruth.ForScenario("udp-rcvbuf-overflow");
        var deltas = KernelCounters.Deltas(KernelCounters.Parse(Snapshot("before")), KernelCounters.Parse(Snapshot("after")));

        AnalysisResult r = Captures.Analyze(truth.CapturePath("server"), new AnalysisOptions { KernelCounterDeltas = deltas });

        AnalysisEvent e = Assert.Single(r.Events.Rows, x => x.Kind == EventKind.UdpRcvbufOverflow);
        Assert.Contains($"rcvbuf_errors={truth.Counter("server", "Udp.RcvbufErrors")} evidence=counter confidence=high", e.Detail);
        Assert.Equal(Assert.Single(r.Flows, f => f.Protocol == 17).Id, e.FlowId);
    }

    [Fact]
    public void Analyze_RcvbufModel_TheBurstDoesNotFit_AndAboutAsManyFitAsTheReaderGot()
    {
        // The reader set SO_RCVBUF 4096 (the kernel made it 8192) and then slept while 400 datagrams of 200 bytes
        // arrived: the model says about 8 fit, the reader got 6.
        SampleTruth truth = SampleTruth.ForScenario("udp-rcvbuf-overflow");
        AnalysisResult r = Captures.Analyze(truth.CapturePath("server"), new AnalysisOptions { ReceiveBuffer = 4096 });

        AnalysisEvent e = Assert.Single(r.Events.Rows, x => x.Kind == EventKind.UdpRcvbufOverflow);
        Assert.Contains($"rcvbuf={truth.Program("server").GetProperty("so_rcvbuf_effective").GetInt64()}", e.Detail);
        Assert.Contains("evidence=model", e.Detail);
        int fits = int.Parse(e.Detail.Split(' ').Single(w => w.StartsWith("fits=", StringComparison.Ordinal))[5..], System.Globalization.CultureInfo.InvariantCulture);
        int received = truth.Program("server").GetProperty("received").GetInt32();
        Assert.InRange(fits, received - 2, received + 4);
    }
}
