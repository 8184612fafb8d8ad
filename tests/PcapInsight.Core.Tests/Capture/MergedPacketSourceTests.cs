using PcapInsight.Core.Capture;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Core.Tests.Capture;

public class MergedPacketSourceTests
{
    [Fact]
    public void TryRead_TwoFiles_InterleavesByTimeAndKeepsEachFilesNumbering()
    {
        byte[] a = FrameBuilder.Ethernet(0x0800, FrameBuilder.Ipv4("192.0.2.1", "192.0.2.2", 17, FrameBuilder.Udp(1, 2, 1)));
        byte[] b = FrameBuilder.Ethernet(0x0800, FrameBuilder.Ipv4("192.0.2.3", "192.0.2.4", 17, FrameBuilder.Udp(3, 4, 2)));
        byte[] first = Captures.Pcap(LinkType.Ethernet, (1.0, a), (3.0, a), (5.0, a));
        byte[] second = Captures.Pcap(LinkType.Ethernet, (2.0, b), (3.0, b), (4.0, b));

        using var merged = new MergedPacketSource([CaptureFile.Open(new MemoryStream(first), "a", 0), CaptureFile.Open(new MemoryStream(second), "b", 1)]);
        var order = new List<(int File, long Frame, double Time, int Length)>();
        while (merged.TryRead(out CaptureInfo info, out ReadOnlySpan<byte> data))
        {
            order.Add((info.FileIndex, info.FrameNumber, info.TimestampNs / 1e9, data.Length));
        }

        Assert.Equal(
            [(0, 1L, 1.0, a.Length), (1, 1L, 2.0, b.Length), (0, 2L, 3.0, a.Length), (1, 2L, 3.0, b.Length), (1, 3L, 4.0, b.Length), (0, 3L, 5.0, a.Length)],
            order);
    }
}
