using System.Security.Cryptography;
using PcapInsight.Core.TcpAnalysis;
using Xunit;

namespace PcapInsight.Core.Tests.TcpAnalysis;

/// <summary>Segments in, stream bytes and gaps out.</summary>
public class TcpStreamAssemblerTests
{
    private static readonly byte[] Data = Enumerable.Range(0, 1000).Select(i => (byte)(i * 31 + 7)).ToArray();

    private static (byte[] Bytes, TcpStreamAssembler Assembler, string Sha) Assemble(uint isn, long maxHeld, params (int Offset, int Length, int Stated)[] segments)
    {
        var output = new MemoryStream();
        var assembler = new TcpStreamAssembler(output, maxHeld);
        assembler.Add(isn, syn: true, [], 0);
        foreach ((int offset, int length, int stated) in segments)
        {
            assembler.Add(unchecked(isn + 1 + (uint)offset), syn: false, Data.AsSpan(offset, length), stated);
        }
        string sha = assembler.Finish();
        return (output.ToArray(), assembler, sha);
    }

    [Theory]
    [InlineData(1000u)]
    [InlineData(0xFFFFFE00u)] // the stream crosses the 2^32 wrap
    public void InOrderReorderedAndResent_GiveTheStreamOnce(uint isn)
    {
        var (bytes, assembler, sha) = Assemble(isn, 1 << 20,
            (0, 100, 100), (200, 100, 100), (100, 100, 100),   // reordered
            (150, 100, 100),                                    // overlapping resend
            (300, 700, 700), (300, 700, 700));                  // whole resend

        Assert.Equal(Data, bytes);
        Assert.Empty(assembler.Gaps);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(Data)).ToLowerInvariant(), sha);
    }

    [Fact]
    public void MissingBytes_AreAGapNeverFilled()
    {
        var (bytes, assembler, _) = Assemble(1, 1 << 20, (0, 100, 100), (300, 700, 700));

        Assert.Equal([.. Data[..100], .. Data[300..]], bytes);
        Assert.Equal([new StreamGap(100, 200)], assembler.Gaps);
        Assert.Equal(800, assembler.BytesWritten);
    }

    [Fact]
    public void SnaplenCutPayload_TheUncapturedRestIsAGap()
    {
        var (bytes, assembler, _) = Assemble(1, 1 << 20, (0, 40, 500), (500, 500, 500));

        Assert.Equal([.. Data[..40], .. Data[500..]], bytes);
        Assert.Equal([new StreamGap(40, 460)], assembler.Gaps);
    }

    /// <summary>
    /// Segments cut by the snaplen, in and out of order: what each states beyond its captured bytes is a gap, held
    /// pieces included (a header-only piece waiting beyond a hole once stopped the stream there), and adjacent gaps
    /// are one. Segments are (offset, captured, stated).
    /// </summary>
    public static TheoryData<string, (int, int, int)[], (long, long)[], long> CutSegments => new()
    {
        { "header-only, in order: one gap", [(0, 0, 100), (100, 0, 100), (200, 0, 800)], [(0, 1000)], 0 },
        { "header-only, reordered", [(100, 0, 100), (300, 0, 700), (0, 0, 100), (200, 0, 100)], [(0, 1000)], 0 },
        { "header-only, the first segment never seen", [(100, 0, 100), (300, 0, 700), (200, 0, 100)], [(0, 1000)], 0 },
        { "header-only, resent", [(0, 0, 500), (0, 0, 500), (500, 0, 500), (200, 0, 300)], [(0, 1000)], 0 },
        { "cut to 40 bytes, reordered", [(0, 40, 100), (200, 40, 100), (100, 40, 100), (300, 40, 700)],
            [(40, 60), (140, 60), (240, 60), (340, 660)], 160 },
        { "cut, its captured part resent but not the rest", [(0, 100, 100), (50, 50, 300)], [(100, 250)], 100 },
        { "cut after a full segment", [(0, 100, 100), (100, 0, 200), (300, 700, 700)], [(100, 200)], 800 },
    };

    [Theory]
    [MemberData(nameof(CutSegments))]
    public void SegmentsCutByTheSnaplen_TheirUncapturedRestIsAGap_InOrderOrNot(string shape, (int, int, int)[] segments,
        (long, long)[] gaps, long written)
    {
        var (bytes, assembler, _) = Assemble(77, 1 << 20, segments);

        Assert.True(gaps.Select(g => new StreamGap(g.Item1, g.Item2)).SequenceEqual(assembler.Gaps),
            $"{shape}: {string.Join(" ", assembler.Gaps)}");
        Assert.Equal(gaps.Length, assembler.GapCount);
        Assert.Equal(gaps.Sum(g => g.Item2), assembler.GapBytes);
        Assert.Equal(written, assembler.BytesWritten);
        Assert.Equal(written, bytes.Length);
        Assert.Equal(segments.Max(s => s.Item1 + s.Item3), assembler.Length);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(10)]
    [InlineData(1000)]
    public void Gaps_PastTheListingLimit_AreCountedNotListed(int limit)
    {
        // Ten holes of 10 bytes, each followed by 90 bytes captured.
        var output = new MemoryStream();
        var assembler = new TcpStreamAssembler(output, maxListedGaps: limit);
        assembler.Add(1, syn: true, [], 0);
        for (int i = 0; i < 10; i++)
        {
            assembler.Add((uint)(2 + 100 * i + 10), syn: false, Data.AsSpan(100 * i + 10, 90), 90);
        }
        assembler.Finish();

        Assert.Equal(Enumerable.Range(0, Math.Min(limit, 10)).Select(i => new StreamGap(100 * i, 10)), assembler.Gaps);
        Assert.Equal(10, assembler.GapCount);
        Assert.Equal(100, assembler.GapBytes);
        Assert.Equal(900, assembler.BytesWritten);
    }

    [Fact]
    public void AGapJoinedPastTheListingLimit_LeavesTheListedOnesAsTheyWere()
    {
        // Two gaps listed at most; the third grows by the adjacent cut segment after it without touching the second.
        var assembler = new TcpStreamAssembler(new MemoryStream(), maxListedGaps: 2);
        assembler.Add(1, syn: true, [], 0);
        foreach ((int offset, int captured, int stated) in new[] { (10, 10, 10), (30, 10, 10), (50, 0, 10), (60, 0, 10) })
        {
            assembler.Add((uint)(2 + offset), syn: false, Data.AsSpan(offset, captured), stated);
        }
        assembler.Finish();

        Assert.Equal([new StreamGap(0, 10), new StreamGap(20, 10)], assembler.Gaps);
        Assert.Equal(3, assembler.GapCount);      // 0-10, 20-30, 40-70 (the two header-only segments join the hole before them)
        Assert.Equal(50, assembler.GapBytes);
    }

    [Fact]
    public void MoreOutOfOrderThanTheLimit_IsCountedAndBecomesAGap()
    {
        // Each piece counts its bytes and 64 of bookkeeping: one held piece (164) fits in 300, a second does not.
        var (bytes, assembler, _) = Assemble(1, maxHeld: 300, (0, 100, 100), (200, 100, 100), (300, 100, 100), (100, 100, 100));

        Assert.Equal(100, assembler.OverflowBytes);            // 300-400 did not fit
        Assert.Equal([.. Data[..300]], bytes);
        Assert.Equal(300, assembler.Length);
    }

    [Fact]
    public void AFloodOfOneBytePiecesBeyondAHole_IsHeldWithinTheLimit_BookkeepingIncluded()
    {
        // 100,000 one-byte segments, each a byte apart, after a hole never filled: counted by their bytes alone they
        // would all fit in 64 KiB and hold some 8 MB of tree nodes and buffers.
        var output = new MemoryStream();
        var assembler = new TcpStreamAssembler(output, maxHeldBytes: 64 << 10);
        assembler.Add(1, syn: true, [], 0);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100_000; i++)
        {
            assembler.Add((uint)(2 + 10 + 2 * i), syn: false, Data.AsSpan(i % 1000, 1), 1);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        assembler.Finish();

        int held = (64 << 10) / 65;   // what fits: a byte and 64 of bookkeeping each
        Assert.Equal(100_000 - held, assembler.OverflowBytes);
        Assert.True(allocated < 2 << 20, $"{allocated} bytes allocated");
    }

    [Fact]
    public void ResendWithDifferentBytes_IsCounted_TheFirstCopyIsKept()
    {
        var output = new MemoryStream();
        var assembler = new TcpStreamAssembler(output);
        assembler.Add(1, syn: true, [], 0);
        assembler.Add(2, syn: false, Data.AsSpan(0, 300), 300);
        byte[] altered = Data[100..200];
        altered[10] ^= 0xFF;
        altered[20] ^= 0xFF;
        assembler.Add(2 + 100, syn: false, altered, 100);         // resends 100-200 with two bytes changed
        assembler.Add(2 + 250, syn: false, Data.AsSpan(250, 100), 100); // overlaps the end with the same bytes
        assembler.Finish();

        Assert.Equal(2, assembler.ConflictingBytes);
        Assert.Equal(Data[..350], output.ToArray());
    }

    [Fact]
    public void ResendOverAGap_IsNotComparedWithBytesThatWereNeverThere()
    {
        var output = new MemoryStream();
        var assembler = new TcpStreamAssembler(output);
        assembler.Add(1, syn: true, [], 0);
        assembler.Add(2, syn: false, Data.AsSpan(0, 40), 100);    // 40-100 cut by the snaplen: a gap
        assembler.Add(2 + 100, syn: false, Data.AsSpan(100, 100), 100);
        assembler.Add(2, syn: false, Data.AsSpan(0, 100), 100);   // the whole first segment again, now complete
        assembler.Finish();

        Assert.Equal(0, assembler.ConflictingBytes);
    }
}
