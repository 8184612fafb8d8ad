using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Core.Tests.Capture;

/// <summary>
/// Reading ahead on a second thread must hand out exactly the frames a plain read does: records cut by chunk
/// boundaries, records longer than the headroom, blocks skipped across chunks, offsets in warnings.
/// </summary>
public class ReadAheadTests
{
    private static readonly CaptureReaderOptions Plain = new() { ReadAhead = false, MaxFrameBytes = 1 << 20 };
    private static readonly CaptureReaderOptions Ahead = new() { ReadAhead = true, MaxFrameBytes = 1 << 20 };

    private static List<(CaptureInfo Info, byte[] Data)> Read(byte[] file, CaptureReaderOptions options, out CaptureFileStats stats)
    {
        var (frames, s) = Captures.ReadAll(CaptureFile.Open(new MemoryStream(file), "x", 0, options));
        stats = s;
        return frames;
    }

    [Fact]
    public void TryRead_FramesOfEverySizeAcrossChunks_SameAsAPlainRead()
    {
        var random = new Random(42);
        var stream = new MemoryStream();
        using (var w = new PcapWriter(stream, LinkType.Ethernet, snaplen: 1 << 20))
        {
            for (int i = 0; i < 3_000; i++)
            {
                // Mostly small, some near the headroom, a few far past it (the gathered path).
                int size = i % 500 == 7 ? 600_000 : i % 97 == 3 ? 250_000 : random.Next(40, 1600);
                var frame = new byte[size];
                random.NextBytes(frame);
                w.Write(i * 1_000_000L, frame);
            }
        }
        byte[] file = stream.ToArray();

        var plain = Read(file, Plain, out _);
        var ahead = Read(file, Ahead, out CaptureFileStats stats);

        Assert.Equal(3_000, ahead.Count);
        for (int i = 0; i < plain.Count; i++)
        {
            Assert.Equal(plain[i].Info, ahead[i].Info);
            Assert.True(plain[i].Data.AsSpan().SequenceEqual(ahead[i].Data), $"frame {i + 1} differs");
        }
        Assert.Equal(file.Length, stats.BytesConsumed);
    }

    [Fact]
    public void TryRead_TruncatedFile_WarnsAtTheSameOffset()
    {
        var stream = new MemoryStream();
        using (var w = new PcapWriter(stream, LinkType.Ethernet))
        {
            for (int i = 0; i < 4_000; i++)
            {
                w.Write(i, new byte[1000]);
            }
        }
        byte[] cut = stream.ToArray()[..^300];

        Read(cut, Plain, out CaptureFileStats plain);
        var frames = Read(cut, Ahead, out CaptureFileStats ahead);

        Assert.Equal(3_999, frames.Count);
        Assert.Equal(plain.Warnings.Single().ByteOffset, ahead.Warnings.Single().ByteOffset);
        Assert.Equal(plain.Warnings.Single().Message, ahead.Warnings.Single().Message);
    }

    [Fact]
    public void TryRead_PcapngSkipsBlocksLargerThanAChunk()
    {
        byte[] frame = FrameBuilder.Ethernet(0x0800, FrameBuilder.Ipv4("192.0.2.1", "192.0.2.2", 17, FrameBuilder.Udp(1, 2, 5)));
        var stream = new MemoryStream();
        new PcapNgWriter(stream).Section().Interface(LinkType.Ethernet)
            .Enhanced(0, 1, frame)
            .Block(0x00000BAD, new byte[3_500_000])  // a custom block spanning several chunks
            .Enhanced(0, 2, frame);

        var frames = Read(stream.ToArray(), Ahead, out CaptureFileStats stats);

        Assert.Equal(2, frames.Count);
        Assert.Empty(stats.Warnings);
        Assert.Equal(frame, frames[1].Data);
    }

    [Fact]
    public void Process_WithReadAhead_AllocatesNothingPerPacket()
    {
        var stream = new MemoryStream();
        byte[] frame = FrameBuilder.Ethernet(0x0800, FrameBuilder.Ipv4("192.0.2.1", "192.0.2.2", 17, FrameBuilder.Udp(1, 2, 700)));
        using (var w = new PcapWriter(stream, LinkType.Ethernet))
        {
            for (int i = 0; i < 30_000; i++)
            {
                w.Write(i * 1_000L, frame);
            }
        }
        byte[] file = stream.ToArray();
        var analyzer = new CaptureAnalyzer();
        // Warm-up: one whole file, so this thread has already waited for the reader thread once (the runtime
        // creates a thread's wait object on its first blocking wait) and every path is compiled.
        using (IPacketSource warmUp = CaptureFile.Open(new MemoryStream(file), "x", 0, Ahead))
        {
            Analysis.AllocationTests.ProcessFrames(warmUp, analyzer, long.MaxValue);
        }
        List<long> figures = Analysis.AllocationTests.MeasureUntilNothingAllocated(() =>
        {
            using IPacketSource source = CaptureFile.Open(new MemoryStream(file), "x", 0, Ahead);
            Analysis.AllocationTests.ProcessFrames(source, analyzer, 1); // opening allocates the ring

            long before = GC.GetAllocatedBytesForCurrentThread();
            Analysis.AllocationTests.ProcessFrames(source, analyzer, long.MaxValue);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        });

        Assert.True(figures.Contains(0), $"bytes allocated per pass: {string.Join(", ", figures)}");
    }
}
