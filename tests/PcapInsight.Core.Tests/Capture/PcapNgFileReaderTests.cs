using PcapInsight.Core.Capture;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Core.Tests.Capture;

public class PcapNgFileReaderTests
{
    private static readonly byte[] EthFrame = FrameBuilder.Ethernet(0x0800, FrameBuilder.Ipv4("192.0.2.1", "192.0.2.2", 17, FrameBuilder.Udp(1000, 53, 3)));
    private static readonly byte[] RawFrame = FrameBuilder.Ipv4("198.51.100.1", "198.51.100.2", 17, FrameBuilder.Udp(5, 6, 1));

    private static byte[] Build(Action<PcapNgWriter> write)
    {
        var stream = new MemoryStream();
        write(new PcapNgWriter(stream));
        return stream.ToArray();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TryRead_EnhancedSimpleAndObsoletePackets_AllRead(bool bigEndian)
    {
        byte[] file = Build(w => w.Section(bigEndian)
            .Interface(LinkType.Ethernet, snaplen: 0, name: "eth0")
            .Enhanced(0, 1_700_000_000_000_001, EthFrame)
            .Simple(EthFrame)
            .Obsolete(0, 1_700_000_000_000_003, EthFrame)
            .Block(0x00000BAD, new byte[] { 1, 2, 3, 4, 5 })  // a custom block: skipped
            .Block(4, new byte[16]));                          // a name resolution block: skipped

        var (frames, stats) = Captures.ReadAll(Captures.Open(file, "x.pcapng"));

        Assert.Equal(3, frames.Count);
        Assert.All(frames, f => Assert.Equal(EthFrame, f.Data));
        Assert.Equal([1L, 2, 3], frames.Select(f => f.Info.FrameNumber));
        Assert.Equal(1_700_000_000_000_001_000, frames[0].Info.TimestampNs);
        Assert.Equal("eth0", Assert.Single(stats.Interfaces).Name);
        Assert.Empty(stats.Warnings);
    }

    [Theory]
    [InlineData((byte)6, 1_234_567UL, 1_234_567_000L, 6)]            // microseconds (the default)
    [InlineData((byte)9, 1_234_567UL, 1_234_567L, 9)]                // nanoseconds
    [InlineData((byte)3, 1_234UL, 1_234_000_000L, 3)]                // milliseconds
    [InlineData((byte)12, 1_234_567_000UL, 1_234_567L, 9)]           // picoseconds, divided down
    [InlineData((byte)0x8A, 1024UL * 3, 3_000_000_000L, 4)]          // 2^-10 s: 3072 ticks = 3 s
    public void TryRead_IfTsresol_ConvertsToNanoseconds(byte tsresol, ulong raw, long expectedNs, int digits)
    {
        byte[] file = Build(w => w.Section().Interface(LinkType.Ethernet, tsresol: tsresol).Enhanced(0, raw, EthFrame));

        var (frames, stats) = Captures.ReadAll(Captures.Open(file));

        Assert.Equal(expectedNs, Assert.Single(frames).Info.TimestampNs);
        Assert.Equal(digits, stats.TimestampDigits);
    }

    [Fact]
    public void TryRead_IfTsoffset_AddsSeconds()
    {
        byte[] file = Build(w => w.Section().Interface(LinkType.Ethernet, tsoffset: 1_000).Enhanced(0, 5, EthFrame));

        var (frames, _) = Captures.ReadAll(Captures.Open(file));

        Assert.Equal(1_000_000_005_000L, Assert.Single(frames).Info.TimestampNs);
    }

    [Fact]
    public void TryRead_SeveralSectionsOfEachByteOrderAndLinkType_NumbersInterfacesGlobally()
    {
        byte[] file = Build(w => w
            .Section(bigEndian: false).Interface(LinkType.Ethernet).Enhanced(0, 1, EthFrame)
            .Section(bigEndian: true).Interface(LinkType.Raw).Interface(LinkType.Ethernet).Enhanced(0, 2, RawFrame).Enhanced(1, 3, EthFrame));

        var (frames, stats) = Captures.ReadAll(Captures.Open(file));

        Assert.Equal(3, frames.Count);
        Assert.Equal([LinkType.Ethernet, LinkType.Raw, LinkType.Ethernet], frames.Select(f => f.Info.LinkType));
        Assert.Equal([0, 1, 2], frames.Select(f => f.Info.InterfaceId));
        Assert.Equal(RawFrame, frames[1].Data);
        Assert.Equal(3, stats.Interfaces.Count);
    }

    [Fact]
    public void TryRead_InterfaceStatistics_KeepsTheLastDropCounters()
    {
        byte[] file = Build(w => w.Section().Interface(LinkType.Ethernet).Enhanced(0, 1, EthFrame)
            .Statistics(0, interfaceDrops: 3, osDrops: 1).Statistics(0, interfaceDrops: 11, osDrops: 2));

        var (_, stats) = Captures.ReadAll(Captures.Open(file));

        Assert.Equal(11, stats.Interfaces[0].InterfaceDrops);
        Assert.Equal(2, stats.Interfaces[0].OsDrops);
    }

    [Fact]
    public void TryRead_SimplePacket_IsCutToTheInterfaceSnaplen()
    {
        byte[] file = Build(w => w.Section().Interface(LinkType.Ethernet, snaplen: 20).Simple(EthFrame));

        var (frames, _) = Captures.ReadAll(Captures.Open(file));

        Assert.Equal(20, frames[0].Info.CapturedLength);
        Assert.Equal(EthFrame.Length, frames[0].Info.OriginalLength);
    }

    [Fact]
    public void TryRead_TrailingLengthDiffers_StopsAsDamaged()
    {
        byte[] file = Build(w => w.Section().Interface(LinkType.Ethernet).Enhanced(0, 1, EthFrame).Block(6, new byte[40], trailingLengthOverride: 8));

        var (frames, stats) = Captures.ReadAll(Captures.Open(file));

        Assert.Single(frames);
        Assert.Equal(CaptureWarningKind.Damaged, Assert.Single(stats.Warnings).Kind);
    }

    [Fact]
    public void TryRead_PacketOfUndescribedInterface_StopsWithWarning()
    {
        byte[] file = Build(w => w.Section().Interface(LinkType.Ethernet).Enhanced(3, 1, EthFrame));

        var (frames, stats) = Captures.ReadAll(Captures.Open(file));

        Assert.Empty(frames);
        Assert.Equal(CaptureWarningKind.UnknownInterface, Assert.Single(stats.Warnings).Kind);
    }

    [Fact]
    public void TryRead_EnhancedCapturedLengthPastItsBlock_StopsAsDamaged()
    {
        byte[] file = Build(w => w.Section().Interface(LinkType.Ethernet).Enhanced(0, 1, EthFrame, capturedLengthOverride: 5000));

        var (frames, stats) = Captures.ReadAll(Captures.Open(file));

        Assert.Empty(frames);
        Assert.Equal(CaptureWarningKind.Damaged, Assert.Single(stats.Warnings).Kind);
    }

    [Fact]
    public void TryRead_FileCutInsideABlock_KeepsEarlierFramesAndWarnsTruncated()
    {
        byte[] whole = Build(w => w.Section().Interface(LinkType.Ethernet).Enhanced(0, 1, EthFrame).Enhanced(0, 2, EthFrame));

        var (frames, stats) = Captures.ReadAll(Captures.Open(whole[..^10]));

        Assert.Single(frames);
        Assert.Equal(CaptureWarningKind.Truncated, Assert.Single(stats.Warnings).Kind);
    }

    [Fact]
    public void TryRead_LaterSectionOfUnknownVersion_StopsThereKeepingTheFirst()
    {
        byte[] file = Build(w => w.Section().Interface(LinkType.Ethernet).Enhanced(0, 1, EthFrame).Section(major: 2).Interface(LinkType.Ethernet).Enhanced(0, 1, EthFrame));

        var (frames, stats) = Captures.ReadAll(Captures.Open(file));

        Assert.Single(frames);
        Assert.Equal(CaptureWarningKind.UnsupportedSection, Assert.Single(stats.Warnings).Kind);
    }

    [Theory]
    [InlineData(0, 1, "version 0.1")]
    [InlineData(2, 0, "version 2.0")]
    public void Open_FirstSectionOfUnknownVersion_IsRefused(ushort major, ushort minor, string expected)
    {
        byte[] file = Build(w => w.Section(major: major, minor: minor));

        var ex = Assert.Throws<CaptureFormatException>(() => Captures.Open(file));
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Open_SectionOptionRunsPastTheBlock_IsRefused()
    {
        // An option claiming 200 bytes in a block that has 4 left.
        byte[] file = Build(w => w.Section(rawOptions: [1, 0, 200, 0]));

        var ex = Assert.Throws<CaptureFormatException>(() => Captures.Open(file));
        Assert.Contains("option", ex.Message);
    }

    [Fact]
    public void TryRead_TooManyInterfaces_StopsAsDamaged()
    {
        byte[] file = Build(w =>
        {
            w.Section();
            for (int i = 0; i < 5; i++)
            {
                w.Interface(LinkType.Ethernet);
            }
        });
        using IPacketSource source = CaptureFile.Open(new MemoryStream(file), "x", 0, new CaptureReaderOptions { MaxInterfaces = 3 });

        while (source.TryRead(out _, out _))
        {
        }

        Assert.Equal(3, source.Stats.Interfaces.Count);
        Assert.Equal(CaptureWarningKind.Damaged, Assert.Single(source.Stats.Warnings).Kind);
    }
}
