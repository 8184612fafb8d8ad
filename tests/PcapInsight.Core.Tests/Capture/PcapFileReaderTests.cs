using PcapInsight.Core.Capture;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Core.Tests.Capture;

public class PcapFileReaderTests
{
    private static readonly byte[] FrameA = FrameBuilder.Ethernet(0x0800, FrameBuilder.Ipv4("192.0.2.1", "192.0.2.2", 17, FrameBuilder.Udp(1000, 53, 10)));
    private static readonly byte[] FrameB = FrameBuilder.Ethernet(0x0800, FrameBuilder.Ipv4("192.0.2.2", "192.0.2.1", 17, FrameBuilder.Udp(53, 1000, 30)));

    [Theory]
    [InlineData(false, false, "pcap (little-endian, microseconds)", 6)]
    [InlineData(true, false, "pcap (big-endian, microseconds)", 6)]
    [InlineData(false, true, "pcap (little-endian, nanoseconds)", 9)]
    [InlineData(true, true, "pcap (big-endian, nanoseconds)", 9)]
    public void TryRead_EachByteOrderAndResolution_ReadsFramesAndTimes(bool bigEndian, bool nanoseconds, string format, int digits)
    {
        // Given a file with two frames, the second 1.5 s plus 123456789 ns after the epoch second 1700000000
        var stream = new MemoryStream();
        using (var w = new PcapWriter(stream, LinkType.Ethernet, nanoseconds, bigEndian))
        {
            w.Write(1_700_000_000_000_000_000, FrameA);
            w.Write(1_700_000_001_623_456_789, FrameB, originalLength: 1500);
        }

        // When it is read
        var (frames, stats) = Captures.ReadAll(Captures.Open(stream.ToArray()));

        // Then frames, lengths, numbering and the time at the file's resolution come back
        Assert.Equal(format, stats.Format);
        Assert.Equal(digits, stats.TimestampDigits);
        Assert.Equal(2, frames.Count);
        Assert.Equal(FrameA, frames[0].Data);
        Assert.Equal(FrameB, frames[1].Data);
        Assert.Equal(1, frames[0].Info.FrameNumber);
        Assert.Equal(2, frames[1].Info.FrameNumber);
        Assert.Equal(1500, frames[1].Info.OriginalLength);
        Assert.Equal(FrameB.Length, frames[1].Info.CapturedLength);
        Assert.Equal(nanoseconds ? 1_700_000_001_623_456_789 : 1_700_000_001_623_456_000, frames[1].Info.TimestampNs);
        Assert.Equal(LinkType.Ethernet, frames[0].Info.LinkType);
        Assert.False(stats.StoppedEarly);
        Assert.Empty(stats.Warnings);
    }

    [Theory]
    [InlineData(1, "inside record header 2")] // cut inside the second record's header
    [InlineData(20, "inside record 2")]      // cut inside the second record's data
    public void TryRead_FileCutShort_KeepsWholeFramesAndWarnsTruncated(int keepOfSecondRecord, string where)
    {
        var stream = new MemoryStream();
        using (var w = new PcapWriter(stream, LinkType.Ethernet))
        {
            w.Write(1_000_000_000, FrameA);
            w.Write(2_000_000_000, FrameB);
        }
        byte[] cut = stream.ToArray()[..(24 + 16 + FrameA.Length + keepOfSecondRecord)];

        var (frames, stats) = Captures.ReadAll(Captures.Open(cut));

        Assert.Single(frames);
        Assert.True(stats.StoppedEarly);
        CaptureWarning warning = Assert.Single(stats.Warnings);
        Assert.Equal(CaptureWarningKind.Truncated, warning.Kind);
        Assert.Contains(where, warning.Message);
        Assert.Equal(1, warning.AfterFrame);
    }

    [Fact]
    public void TryRead_RecordClaimsHugeLength_StopsAsDamagedWithoutAllocatingIt()
    {
        var stream = new MemoryStream();
        using (var w = new PcapWriter(stream, LinkType.Ethernet))
        {
            w.Write(1_000_000_000, FrameA);
            w.Write(2_000_000_000, FrameB, capturedLengthOverride: 0x7FFF_0000);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();

        var (frames, stats) = Captures.ReadAll(Captures.Open(stream.ToArray()));

        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "a bogus length must not be allocated");
        Assert.Single(frames);
        Assert.Equal(CaptureWarningKind.Damaged, Assert.Single(stats.Warnings).Kind);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TryRead_FramesLongerThanTheSnaplen_AreReadWithOneWarning(bool bigEndian)
    {
        // Given a file whose header says snaplen 40 and whose frames are longer (a writer that ignored it)
        var stream = new MemoryStream();
        using (var w = new PcapWriter(stream, LinkType.Ethernet, bigEndian: bigEndian, snaplen: 40))
        {
            w.Write(1_000_000_000, FrameA);
            w.Write(2_000_000_000, FrameB);
        }

        // When it is read
        var (frames, stats) = Captures.ReadAll(Captures.Open(stream.ToArray()));

        // Then both frames come back whole, and the first one over the snaplen is named once
        Assert.Equal([FrameA, FrameB], frames.Select(f => f.Data));
        Assert.False(stats.StoppedEarly);
        CaptureWarning warning = Assert.Single(stats.Warnings);
        Assert.Equal(CaptureWarningKind.CapturedLengthOverSnaplen, warning.Kind);
        Assert.Equal($"frame 1 has {FrameA.Length} captured bytes, more than the file's snaplen 40; read anyway", warning.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TryRead_RecordOverTheFrameLimit_NamesTheRecordAndTheLimit(bool bigEndian)
    {
        var stream = new MemoryStream();
        using (var w = new PcapWriter(stream, LinkType.Ethernet, bigEndian: bigEndian))
        {
            w.Write(1_000_000_000, FrameA);
            w.Write(2_000_000_000, FrameB, capturedLengthOverride: 300_000);
        }

        var (frames, stats) = Captures.ReadAll(CaptureFile.Open(new MemoryStream(stream.ToArray()), "test.pcap", 0, new CaptureReaderOptions { MaxFrameBytes = 262_144 }));

        Assert.Single(frames);
        CaptureWarning warning = Assert.Single(stats.Warnings);
        Assert.Equal(CaptureWarningKind.Damaged, warning.Kind);
        Assert.Equal("record 2 claims 300000 captured bytes, more than the limit of 262144 (--max-frame-bytes): the file is damaged from here", warning.Message);
    }

    [Fact]
    public void Open_ModifiedKuznetzovFormat_ReadsItsLongerRecordHeaders()
    {
        // a1b2cd34: each record header has 8 more bytes (ifindex, protocol, pkt_type, pad).
        var bytes = new List<byte>();
        bytes.AddRange(BitConverter.GetBytes(0xA1B2CD34u));
        bytes.AddRange(BitConverter.GetBytes((ushort)2));
        bytes.AddRange(BitConverter.GetBytes((ushort)4));
        bytes.AddRange(new byte[8]);
        bytes.AddRange(BitConverter.GetBytes(65535u));
        bytes.AddRange(BitConverter.GetBytes(1u));
        bytes.AddRange(BitConverter.GetBytes(10u));
        bytes.AddRange(BitConverter.GetBytes(5u));
        bytes.AddRange(BitConverter.GetBytes((uint)FrameA.Length));
        bytes.AddRange(BitConverter.GetBytes((uint)FrameA.Length));
        bytes.AddRange(new byte[8]);
        bytes.AddRange(FrameA);

        var (frames, stats) = Captures.ReadAll(Captures.Open(bytes.ToArray()));

        Assert.StartsWith("pcap modified/Kuznetzov", stats.Format);
        Assert.Equal(FrameA, Assert.Single(frames).Data);
        Assert.Equal(10_000_005_000, frames[0].Info.TimestampNs);
    }

    [Theory]
    [InlineData(new byte[0], "empty")]
    [InlineData(new byte[] { 1, 2 }, "only 2 bytes")]
    [InlineData(new byte[] { (byte)'h', (byte)'e', (byte)'l', (byte)'l', (byte)'o', (byte)' ', (byte)'w', (byte)'o', (byte)'r', (byte)'l', (byte)'d', (byte)'\n' }, "looks like text")]
    [InlineData(new byte[] { 0x06, 0, 0, 0, 0xFF, 0xEE, 0xDD, 0xCC }, "unknown magic bytes 06000000ffeeddcc")]
    [InlineData(new byte[] { 0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0 }, "pcap file header is cut short")]
    public void Open_NotACapture_ThrowsWithWhatWasFound(byte[] bytes, string expected)
    {
        var ex = Assert.Throws<CaptureFormatException>(() => Captures.Open(bytes));
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Open_VersionOne_IsRefused()
    {
        var stream = new MemoryStream();
        using (new PcapWriter(stream, LinkType.Ethernet, majorVersion: 1))
        {
        }
        var ex = Assert.Throws<CaptureFormatException>(() => Captures.Open(stream.ToArray()));
        Assert.Contains("version 1.4", ex.Message);
    }

    [Theory]
    [InlineData(0x0030_0000u, true)]   // reserved bits 16-25 set: refused, as libpcap does
    [InlineData(0x4000_0001u, false)]  // FCS-length bits 26-31: allowed, link type is the low 16 bits
    public void Open_LinkTypeFieldUpperBits_ReservedRefusedFcsAllowed(uint field, bool refused)
    {
        var stream = new MemoryStream();
        using (var w = new PcapWriter(stream, LinkType.Ethernet, linkTypeField: field))
        {
            w.Write(1_000_000_000, FrameA);
        }
        if (refused)
        {
            Assert.Throws<CaptureFormatException>(() => Captures.Open(stream.ToArray()));
        }
        else
        {
            var (frames, _) = Captures.ReadAll(Captures.Open(stream.ToArray()));
            Assert.Equal(LinkType.Ethernet, Assert.Single(frames).Info.LinkType);
        }
    }

    /// <summary>A pcap of FrameA and FrameB, gzip-compressed (one member).</summary>
    private static MemoryStream GzippedTwoFrames()
    {
        var raw = new MemoryStream();
        using (var w = new PcapWriter(raw, LinkType.Ethernet))
        {
            w.Write(1_000_000_000, FrameA);
            w.Write(2_000_000_000, FrameB);
        }
        var gz = new MemoryStream();
        using (var z = new System.IO.Compression.GZipStream(gz, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            z.Write(raw.ToArray());
        }
        return gz;
    }

    [Fact]
    public void Open_GzipCompressedPcap_ReadsThrough()
    {
        var (frames, stats) = Captures.ReadAll(Captures.Open(GzippedTwoFrames().ToArray()));

        Assert.Equal(2, frames.Count);
        Assert.EndsWith("gzip", stats.Format);
    }

    [Fact]
    public void Open_GzipDamagedAfterSomeFrames_ReadsThemAndWarnsWhereTheDataBroke()
    {
        // A whole gzip member holding two frames, then a second member whose deflate data is garbage: the
        // decompressor throws there (found by the fuzz harness; it used to escape as an internal error).
        MemoryStream gz = GzippedTwoFrames();
        gz.Write([0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0, 0x03, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);

        var (frames, stats) = Captures.ReadAll(Captures.Open(gz.ToArray()));

        Assert.Equal(2, frames.Count);
        CaptureWarning warning = Assert.Single(stats.Warnings);
        Assert.Equal(CaptureWarningKind.Damaged, warning.Kind);
        Assert.Contains("gzip-compressed data is damaged", warning.Message);
        Assert.Equal(2, warning.AfterFrame);
    }

    [Fact]
    public void Open_GzipDamagedBeforeTheFirstByte_IsRefusedAsNotACapture()
    {
        byte[] file = [0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0, 0x03, .. "garbage, not deflate data"u8];

        var ex = Assert.Throws<CaptureFormatException>(() => Captures.Open(file));

        Assert.Contains("gzip-compressed, but the compressed data is damaged", ex.Message);
    }

    [Fact]
    public void TryRead_FrameLargerThanTheInitialBuffer_GrowsOnceAndReadsIt()
    {
        byte[] big = new byte[200_000];
        new Random(7).NextBytes(big);
        var stream = new MemoryStream();
        using (var w = new PcapWriter(stream, LinkType.Ethernet))
        {
            for (int i = 0; i < 12; i++)
            {
                w.Write(i * 1_000_000_000L, big);
            }
        }

        var (frames, _) = Captures.ReadAll(Captures.Open(stream.ToArray()));

        Assert.Equal(12, frames.Count);
        Assert.All(frames, f => Assert.Equal(big, f.Data));
    }
}
