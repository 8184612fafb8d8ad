using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using Xunit;
using static PcapInsight.TestKit.FrameBuilder;

namespace PcapInsight.Core.Tests.Analysis;

/// <summary>The sharded analysis (--threads) where it could differ from one analyzer: stopping early, failing, hashing.</summary>
public class ShardedAnalysisTests
{
    /// <summary>Many short UDP flows, made on demand; throws at frame <c>failAt</c> when given.</summary>
    private sealed class UdpSource(int frames, int failAt = -1) : IPacketSource
    {
        private int _next;

        public CaptureFileStats Stats { get; } = new() { Path = "generated", Format = "generated" };

        public bool TryRead(out CaptureInfo info, out ReadOnlySpan<byte> data)
        {
            if (_next == failAt)
            {
                throw new IOException("the disk went away");
            }
            if (_next == frames)
            {
                info = default;
                data = default;
                return false;
            }
            byte[] frame = Ethernet(0x0800, Ipv4($"192.0.2.{1 + _next % 200}", "198.51.100.9", 17, Udp((ushort)(1024 + _next % 3000), 53, 20)));
            _next++;
            info = new CaptureInfo(_next, 1_700_000_000_000_000_000 + _next * 100_000L, frame.Length, frame.Length, 0, LinkType.Ethernet);
            data = frame;
            return true;
        }

        public void Dispose()
        {
        }
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
            var source = new UdpSource(300_000);
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
        var source = new UdpSource(100_000, failAt: 50_000);

        IOException e = Assert.Throws<IOException>(() => ShardedAnalysis.Run(source, [source.Stats], new AnalysisOptions(), 3));

        Assert.Equal("the disk went away", e.Message);
    }

    [Fact]
    public void ShardOf_IsTheSameForBothDirections_AndSpreadsFlows()
    {
        IpAddr a = IpAddr.Parse("192.0.2.1"), b = IpAddr.Parse("2001:db8::7");
        var counts = new int[4];
        for (ushort port = 1024; port < 5024; port++)
        {
            int shard = ShardedAnalysis.ShardOf(a, port, b, 443, 6, 4);
            Assert.Equal(shard, ShardedAnalysis.ShardOf(b, 443, a, port, 6, 4));
            counts[shard]++;
        }
        // Shard 0 shares the reading thread: one part in seven, the others two each (4,000 flows: ~571 and ~1,143).
        Assert.InRange(counts[0], 450, 700);
        Assert.All(counts[1..], c => Assert.InRange(c, 1_000, 1_300));
    }
}
