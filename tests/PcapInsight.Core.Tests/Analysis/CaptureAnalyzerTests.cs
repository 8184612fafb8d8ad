using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Events;
using PcapInsight.Core.Flows;
using PcapInsight.TestKit;
using Xunit;
using static PcapInsight.TestKit.FrameBuilder;

namespace PcapInsight.Core.Tests.Analysis;

public class CaptureAnalyzerTests
{
    // Not to port 53: a datagram there would be taken for a DNS query and reported unanswered.
    private static readonly byte[] Udp1 = Ethernet(0x0800, Ipv4("192.0.2.1", "192.0.2.2", 17, Udp(1000, 5000, 20)));

    [Fact]
    public void ReadReleasedFlows_OfAResultWithoutASpool_HandsOutCopies()
    {
        // A writer gives every summary back to its pool, which decodes later flows into it: a summary the caller's
        // own result holds must never be one of them.
        AnalysisResult analysed = Captures.Analyze(RepoPaths.Sample("tcp-basic.pcap"));
        FlowSummary[] own = analysed.Flows.Select(FlowSummary.Of).ToArray();
        var byHand = new AnalysisResult
        {
            Files = analysed.Files, Packets = analysed.Packets, LinkTypes = analysed.LinkTypes, Flows = [],
            FlowTable = analysed.FlowTable, Events = analysed.Events, ReleasedFlows = own,
        };

        FlowSummary[] handedOut = byHand.ReadReleasedFlows(new FlowSummaryPool()).ToArray();

        Assert.Equal(own, handedOut);
        Assert.All(handedOut.Zip(own), pair => Assert.NotSame(pair.Second, pair.First));
        // Nor a TCP or UDP part: a handed-out summary filled again with another flow writes into its own.
        Assert.All(handedOut.Zip(own).Where(p => p.Second.Tcp is not null), pair => Assert.NotSame(pair.Second.Tcp, pair.First.Tcp));
        Assert.All(handedOut.Zip(own).Where(p => p.Second.Udp is not null), pair => Assert.NotSame(pair.Second.Udp, pair.First.Udp));
        Assert.Contains(own, f => f.Tcp is not null);
        Assert.Contains(own, f => f.Udp is not null);
    }

    [Fact]
    public void Run_TimeGoesBackwards_ReportsEachStepBack()
    {
        byte[] file = Captures.Pcap(LinkType.Ethernet, (10.0, Udp1), (9.5, Udp1), (11.0, Udp1), (10.9, Udp1));

        AnalysisResult r = Captures.Analyze(file);

        Assert.Equal(2, r.Events.Count(EventKind.CaptureTimeBackwards));
        Assert.Equal([2L, 4], r.Events.Rows.Where(e => e.Kind == EventKind.CaptureTimeBackwards).Select(e => e.Frame));
        Assert.Equal("back_ms=500", r.Events.Rows[0].Detail);
        Assert.Equal(11_000_000_000, r.LastTimeNs);
    }

    [Fact]
    public void Run_SnaplenCutFrames_OneEventPerFileWithTheCount()
    {
        var stream = new MemoryStream();
        using (var w = new PcapWriter(stream, LinkType.Ethernet, snaplen: 60))
        {
            w.Write(1_000_000_000, Udp1);
            w.Write(2_000_000_000, Udp1[..50], originalLength: Udp1.Length);
            w.Write(3_000_000_000, Udp1[..50], originalLength: Udp1.Length);
        }

        AnalysisResult r = Captures.Analyze(stream.ToArray());

        AnalysisEvent e = Assert.Single(r.Events.Rows);
        Assert.Equal(EventKind.CaptureSnaplenCut, e.Kind);
        Assert.Equal(2, e.Frame);
        Assert.Contains("frames=2", e.Detail);
        Assert.Equal(2, r.Packets.SnaplenCut);
    }

    [Fact]
    public void Run_TwoFilesMergedInTime_EachFileCountsItsOwnCutFrames()
    {
        // Merged by time, the files' frames alternate: each file's count, first frame and time stay its own.
        static byte[] Cut(params long[] seconds)
        {
            var stream = new MemoryStream();
            using (var w = new PcapWriter(stream, LinkType.Ethernet, snaplen: 60))
            {
                foreach (long s in seconds)
                {
                    w.Write(s * 1_000_000_000, Udp1[..50], originalLength: Udp1.Length);
                }
            }
            return stream.ToArray();
        }
        IPacketSource[] files = [CaptureFile.Open(new MemoryStream(Cut(1, 3, 5)), "a", 0), CaptureFile.Open(new MemoryStream(Cut(2, 4)), "b", 1)];
        using var merged = new MergedPacketSource(files);

        AnalysisResult r = CaptureAnalyzer.Run(merged, files.Select(f => f.Stats).ToList());

        Assert.Equal(["0:frames=3:1:1", "1:frames=2:1:2"], r.Events.Rows.Where(e => e.Kind == EventKind.CaptureSnaplenCut)
            .Select(e => $"{e.FileIndex}:{e.Detail.Split(' ')[1]}:{e.Frame}:{e.TimestampNs / 1_000_000_000}").Order());
        Assert.Equal(5, r.Packets.SnaplenCut);
    }

    [Fact]
    public void Run_TruncatedFile_AnalysesUpToTheCutAndReportsIt()
    {
        byte[] whole = Captures.Pcap(LinkType.Ethernet, (1.0, Udp1), (2.0, Udp1), (3.0, Udp1));

        AnalysisResult r = Captures.Analyze(whole[..^5]);

        Assert.Equal(2, r.Packets.Frames);
        Assert.True(r.Truncated);
        Assert.Equal(1, r.Events.Count(EventKind.CaptureTruncated));
        Assert.Equal(2, Assert.Single(r.Flows).PacketsC2S);
    }

    [Fact]
    public void Run_UnsupportedLinkType_ReportedOnceAndFramesCounted()
    {
        byte[] file = Captures.Pcap((LinkType)147, (1.0, new byte[30]), (2.0, new byte[30]));

        AnalysisResult r = Captures.Analyze(file);

        Assert.Equal(2, r.Packets.UnsupportedLinkType);
        AnalysisEvent e = Assert.Single(r.Events.Rows);
        Assert.Equal(EventKind.CaptureUnsupportedLinkType, e.Kind);
        Assert.Equal("linktype=147:LINKTYPE_147", e.Detail);
    }

    [Fact]
    public void Run_MalformedPacket_CountedWithItsReason()
    {
        byte[] bad = Ethernet(0x0800, Ipv4("192.0.2.1", "192.0.2.2", 6, Tcp(1, 2, dataOffsetWordsOverride: 2)));
        byte[] file = Captures.Pcap(LinkType.Ethernet, (1.0, bad), (2.0, Udp1));

        AnalysisResult r = Captures.Analyze(file);

        Assert.Equal(1, r.Packets.Malformed);
        AnalysisEvent e = Assert.Single(r.Events.Rows);
        Assert.Equal(EventKind.CaptureMalformedPacket, e.Kind);
        Assert.Contains("issue=tcp_bad_data_offset", e.Detail);
        Assert.Equal(IpAddr.Parse("192.0.2.1"), e.Src);
    }

    [Fact]
    public void Run_InterfaceDropsInPcapng_BecomeAnEvent()
    {
        var stream = new MemoryStream();
        new PcapNgWriter(stream).Section().Interface(LinkType.Ethernet, name: "eth1").Enhanced(0, 1, Udp1).Statistics(0, interfaceDrops: 42);

        AnalysisResult r = Captures.Analyze(stream.ToArray());

        AnalysisEvent e = Assert.Single(r.Events.Rows);
        Assert.Equal(EventKind.CaptureInterfaceDrops, e.Kind);
        Assert.Contains("ifdrop=42", e.Detail);
        Assert.Contains("name=eth1", e.Detail);
    }

    [Fact]
    public void Run_FlowTableFull_ReportedOnceWithEvictionsCounted()
    {
        var frames = Enumerable.Range(0, 10).Select(i => (i * 1.0, Ethernet(0x0800, Ipv4("192.0.2.1", "192.0.2.2", 17, Udp((ushort)(1000 + i), 53))))).ToArray();

        AnalysisResult r = Captures.Analyze(Captures.Pcap(LinkType.Ethernet, frames), new AnalysisOptions { Flows = new() { MaxFlows = 4 } });

        Assert.Equal(1, r.Events.Count(EventKind.CaptureFlowTableFull));
        Assert.Equal(6, r.FlowTable.Evicted);
        Assert.Equal(10, r.Flows.Count);
        Assert.Equal(4, r.FlowTable.PeakActive);
    }

    [Fact]
    public void Run_CountsPacketsByKind()
    {
        byte[] tcp = Ethernet(0x0800, Ipv4("192.0.2.1", "192.0.2.2", 6, Tcp(1, 2)));
        byte[] v6 = Ethernet(0x86DD, Ipv6("2001:db8::1", "2001:db8::2", 58, Icmp(128, 0)));
        byte[] arp = Ethernet(0x0806, new byte[28]);
        byte[] frag = Ethernet(0x0800, Ipv4("192.0.2.1", "192.0.2.2", 17, new byte[16], fragmentOffsetBytes: 1480));
        byte[] file = Captures.Pcap(LinkType.Ethernet, (1, tcp), (2, v6), (3, arp), (4, frag), (5, Udp1));

        AnalysisResult r = Captures.Analyze(file);

        Assert.Equal(5, r.Packets.Frames);
        Assert.Equal(3, r.Packets.Ipv4);
        Assert.Equal(1, r.Packets.Ipv6);
        Assert.Equal(1, r.Packets.Tcp);
        Assert.Equal(1, r.Packets.Udp);
        Assert.Equal(1, r.Packets.Icmp);
        Assert.Equal(1, r.Packets.NotIp);
        Assert.Equal(1, r.Packets.Fragments);
        Assert.Equal(3, r.Flows.Count); // tcp, icmpv6, udp; the later fragment waits for reassembly
    }
}
