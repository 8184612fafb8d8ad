using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Flows;
using PcapInsight.TestKit;
using Xunit;
using static PcapInsight.TestKit.FrameBuilder;

namespace PcapInsight.Core.Tests.Analysis;

/// <summary>The sharded analysis (--threads) where it could differ from one analyzer: stopping early, failing, hashing.</summary>
public class ShardedAnalysisTests
{
    /// <summary>Many short UDP flows, made on demand; the disk fails at frame <paramref name="failAt"/> when given.</summary>
    private static GeneratedSource ManyUdpFlows(int frames, int failAt = -1)
    {
        int length = Ethernet(0x0800, Ipv4("192.0.2.1", "198.51.100.9", 17, Udp(1024, 53, 20))).Length;
        return new GeneratedSource(frames, (i, frame) =>
        {
            if (i == failAt)
            {
                throw new IOException("the disk went away");
            }
            Ethernet(0x0800, Ipv4($"192.0.2.{1 + i % 200}", "198.51.100.9", 17, Udp((ushort)(1024 + i % 3000), 53, 20))).CopyTo(frame, 0);
        }, length);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Cancelled_StopsAtTheSameFrameAsOneAnalyzer_WithTheSameFigures(int threads)
    {
        // Ctrl-C: both stop at the first progress call after it (every 65,536 frames) and report what was read.
        AnalysisResult Run(int n)
        {
            using var cancel = new CancellationTokenSource();
            GeneratedSource source = ManyUdpFlows(300_000);
            return ShardedAnalysis.Run(source, [source.Stats], new AnalysisOptions(), n, progress: cancel.Cancel, cancellation: cancel.Token);
        }

        AnalysisResult one = Run(1), sharded = Run(threads);

        Assert.Equal(65_536, one.Packets.Frames);
        Assert.Equal(one.Packets.Frames, sharded.Packets.Frames);
        Assert.Equal(one.Flows.Select(f => (f.Id, f.Client, f.ClientPort, f.PacketsC2S)), sharded.Flows.Select(f => (f.Id, f.Client, f.ClientPort, f.PacketsC2S)));
        Assert.Equal(one.FlowTable, sharded.FlowTable);
        Assert.Equal(one.Events.Rows, sharded.Events.Rows);
    }

    [Fact]
    public void ReadingFails_TheSourcesExceptionLeavesAsItCame()
    {
        GeneratedSource source = ManyUdpFlows(100_000, failAt: 50_000);

        IOException e = Assert.Throws<IOException>(() => ShardedAnalysis.Run(source, [source.Stats], new AnalysisOptions(), 3));

        Assert.Equal("the disk went away", e.Message);
    }

    [Fact]
    public void ShardOf_IsTheSameForBothDirections_AndSpreadsFlows()
    {
        IpAddr a = IpAddr.Parse("192.0.2.1"), b = IpAddr.Parse("198.51.100.7");
        var shards = new ShardedAnalysis.Shards(FlowPartitions.For(1_000_000), 4);
        var counts = new int[4];
        for (ushort port = 1024; port < 5024; port++)
        {
            var there = new DecodedPacket { IpVersion = 4, Src = a, SrcPort = port, Dst = b, DstPort = 443, Protocol = 6, HasPorts = true };
            var back = new DecodedPacket { IpVersion = 4, Src = b, SrcPort = 443, Dst = a, DstPort = port, Protocol = 6, HasPorts = true };
            int shard = shards.Of(there);
            Assert.Equal(shard, shards.Of(back));
            counts[shard]++;
        }
        // Shard 0 shares the reading thread: about one part in seven, the others two each; by whole partitions
        // (64: 10 for shard 0, 18 for each other), 4,000 flows: ~625 and ~1,125.
        Assert.InRange(counts[0], 500, 750);
        Assert.All(counts[1..], c => Assert.InRange(c, 1_000, 1_300));
    }
}
