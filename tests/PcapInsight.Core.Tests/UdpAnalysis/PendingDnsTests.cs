using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Events;
using PcapInsight.TestKit;
using Xunit;
using static PcapInsight.TestKit.FrameBuilder;

namespace PcapInsight.Core.Tests.UdpAnalysis;

/// <summary>
/// DNS queries wait in a table on their flow until answered. A flow whose queries were all answered gives its table
/// back (a resolver's capture of a million exchanges kept a million empty tables, about 260 MB), and the next flow that
/// asks takes it: the unanswered ones are still found, in order, however the tables pass between flows.
/// </summary>
public class PendingDnsTests
{
    private static byte[] Dns(string src, string dst, ushort srcPort, ushort dstPort, ushort id, bool response) =>
        Ethernet(0x0800, Ipv4(src, dst, 17, FrameBuilder.Dns(srcPort, dstPort, id, response)));

    [Fact]
    public void AnsweredFlows_HoldNoTable_AndTheUnansweredAreStillReported()
    {
        // 300 resolver flows, one to three queries each; every tenth flow leaves its last query unanswered.
        var frames = new List<(double, byte[])>();
        double t = 0;
        int unanswered = 0;
        for (int f = 0; f < 300; f++)
        {
            ushort port = (ushort)(20_000 + f);
            int queries = 1 + f % 3;
            for (int q = 0; q < queries; q++)
            {
                ushort id = (ushort)(f * 4 + q);
                frames.Add((t += 0.001, Dns("192.0.2.1", "198.51.100.53", port, 53, id, response: false)));
                if (f % 10 == 0 && q == queries - 1)
                {
                    unanswered++;
                    continue;
                }
                frames.Add((t += 0.001, Dns("198.51.100.53", "192.0.2.1", 53, port, id, response: true)));
            }
        }

        var analyzer = new CaptureAnalyzer();
        foreach ((double seconds, byte[] frame) in frames)
        {
            analyzer.Process(new CaptureInfo(1, (long)(seconds * 1e9), frame.Length, frame.Length, 0, LinkType.Ethernet), frame);
        }
        // While the flows live: a table only on those still waiting for an answer, with that one query.
        var live = analyzer.LiveFlows.Where(f => f.Udp is not null).ToList();
        Assert.Equal(300, live.Count);
        Assert.Equal(unanswered, live.Count(f => f.Udp!.PendingDns is { Count: 1 }));
        Assert.Equal(300 - unanswered, live.Count(f => f.Udp!.PendingDns is null));

        AnalysisResult r = Captures.Analyze(Captures.Pcap(LinkType.Ethernet, [.. frames]));

        Assert.Equal(30, unanswered);
        Assert.Equal(unanswered, r.Events.Count(EventKind.DnsUnanswered));
        IReadOnlyList<AnalysisEvent> rows = r.Events.Rows.Where(e => e.Kind == EventKind.DnsUnanswered).ToList();
        Assert.Equal(rows.OrderBy(e => e.TimestampNs).Select(e => e.FlowId), rows.Select(e => e.FlowId));
        Assert.All(r.Flows, flow => Assert.Null(flow.Udp?.PendingDns));   // every table given back, answered or closed
    }
}
