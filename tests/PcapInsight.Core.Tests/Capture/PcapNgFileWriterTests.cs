using PcapInsight.Core.Capture;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Core.Tests.Capture;

/// <summary>The pcapng that live -w writes, read back by our reader: frames, nanosecond times, names and drop counters.</summary>
public class PcapNgFileWriterTests
{
    [Fact]
    public void Written_ReadsBackFrameForFrame_WithNanosecondTimesAndTheDropCounters()
    {
        var stream = new MemoryStream();
        using (var writer = new PcapNgFileWriter(stream, "pcapinsight test", ownsStream: false))
        {
            int id = writer.AddInterface(LinkType.Ethernet, 65535, "eth<0>");
            writer.Write(id, 1_700_000_000_123_456_789, [1, 2, 3], 3);
            writer.Write(id, 1_700_000_000_223_456_789, new byte[61], 1514);   // cut by a snaplen: 61 of 1,514 bytes
            writer.WriteStatistics(id, 1_700_000_001_000_000_000, received: 1000, interfaceDrops: 3, osDrops: 9, comment: "queue 4");
        }

        using IPacketSource source = Captures.Open(stream.ToArray(), "live.pcapng");
        (var frames, CaptureFileStats stats) = Captures.ReadAll(source);

        Assert.Equal(2, frames.Count);
        Assert.Equal(1_700_000_000_123_456_789, frames[0].Info.TimestampNs);
        Assert.Equal([1, 2, 3], frames[0].Data);
        Assert.Equal((61, 1514), (frames[1].Info.CapturedLength, frames[1].Info.OriginalLength));
        CaptureInterface iface = Assert.Single(stats.Interfaces);
        Assert.Equal(("eth<0>", 9, 65535), (iface.Name, iface.TimestampDigits, iface.Snaplen));
        Assert.Equal((3, 9), (iface.InterfaceDrops, iface.OsDrops));
        Assert.Empty(stats.Warnings);
    }

    [Fact]
    public void CutMidBlock_AsAKilledCaptureLeavesIt_ReadsUpToTheCutWithAWarning()
    {
        var stream = new MemoryStream();
        using (var writer = new PcapNgFileWriter(stream, "pcapinsight test", ownsStream: false))
        {
            int id = writer.AddInterface(LinkType.Ethernet, 262144, "lo");
            for (int i = 0; i < 10; i++)
            {
                writer.Write(id, 1_700_000_000_000_000_000 + i, new byte[100], 100);
            }
        }
        byte[] cut = stream.ToArray()[..^50];

        using IPacketSource source = Captures.Open(cut, "killed.pcapng");
        (var frames, CaptureFileStats stats) = Captures.ReadAll(source);

        Assert.Equal(9, frames.Count);
        Assert.Contains(stats.Warnings, w => w.Kind == CaptureWarningKind.Truncated);
    }
}
