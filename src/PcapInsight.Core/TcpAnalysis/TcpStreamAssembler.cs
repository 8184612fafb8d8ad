using System.Buffers;
using System.Security.Cryptography;

namespace PcapInsight.Core.TcpAnalysis;

/// <summary>One stretch of a stream the capture does not hold.</summary>
/// <param name="Offset">Offset in the stream (0 = first byte after the SYN, or the first byte seen).</param>
/// <param name="Length">Bytes missing.</param>
public readonly record struct StreamGap(long Offset, long Length);

/// <summary>
/// Rebuilds one direction of a TCP connection byte for byte, in sequence order, writing it to a stream as soon as
/// it is contiguous. Retransmitted bytes are written once (the first copy wins; a second copy is compared with the
/// first, whether it is still waiting out of order or among the last <c>recentBytes</c> written, and differing bytes
/// are counted in <see cref="ConflictingBytes"/>: Suricata's "overlap with different data");
/// out-of-order segments wait in pooled buffers up to a limit; bytes never captured are recorded as <see cref="Gaps"/> and
/// skipped, never filled. Adjacent gaps are one (a header-only capture is one gap, not one a segment), and only the
/// first gaps are listed: the others are counted, so that a long lossy stream cannot grow the list without bound.
/// </summary>
public sealed class TcpStreamAssembler
{
    private readonly Stream _output;
    private readonly long _maxHeldBytes;
    private readonly SortedDictionary<long, Held> _held = new();   // stream offset -> bytes, waiting for a gap to fill

    /// <summary>
    /// Out-of-order bytes in a buffer rented from the shared pool (returned when written or dropped), and the length
    /// the segment's headers stated (more than <c>Length</c> when the snaplen cut it).
    /// </summary>
    private readonly record struct Held(byte[] Buffer, int Length, int StatedLength)
    {
        public ReadOnlySpan<byte> Bytes => Buffer.AsSpan(0, Length);
    }
    private readonly List<StreamGap> _gaps = new();
    private readonly int _maxListedGaps;
    private long _lastGapEnd = -1;     // stream offset just past the last gap, to join the next one when adjacent
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private bool _started;
    private SeqNum _origin;       // sequence number of stream offset 0
    private long _written;        // stream offset of the next byte to write
    private long _heldBytes;      // the held pieces' bytes, each with PieceCost's bookkeeping

    // What one held piece costs beyond its bytes: its node in the sorted tree and its rented buffer's header. Counted
    // against the limit, or a flood of one-byte pieces beyond a hole would hold fifty times the limit in bookkeeping.
    private const int PieceCost = 64;
    private readonly byte[] _recent;   // the last bytes written, by stream offset modulo its length
    private long _contiguousFrom;      // stream offset after the last gap: bytes from here on are all in the stream

    /// <summary>
    /// Writes into <paramref name="output"/>; at most <paramref name="maxHeldBytes"/> wait out of order (each piece
    /// counted with 64 bytes of bookkeeping); the last
    /// <paramref name="recentBytes"/> written are kept to compare resent copies with; the first
    /// <paramref name="maxListedGaps"/> gaps are listed in <see cref="Gaps"/>, all of them counted.
    /// </summary>
    public TcpStreamAssembler(Stream output, long maxHeldBytes = 64L << 20, int recentBytes = 1 << 20, int maxListedGaps = 1000)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxListedGaps);
        _output = output;
        _maxHeldBytes = maxHeldBytes;
        _maxListedGaps = maxListedGaps;
        _recent = new byte[Math.Max(1, recentBytes)];
    }

    /// <summary>Bytes written so far.</summary>
    public long BytesWritten => _written - GapBytes;

    /// <summary>Stream offset just past the last byte written or skipped as a gap.</summary>
    public long Length => _written;

    /// <summary>The first stretches never captured (at most the limit given), in stream order.</summary>
    public IReadOnlyList<StreamGap> Gaps => _gaps;

    /// <summary>Stretches never captured, listed or not (adjacent ones counted as one).</summary>
    public long GapCount { get; private set; }

    /// <summary>Bytes of all the stretches never captured, listed or not.</summary>
    public long GapBytes { get; private set; }

    /// <summary>Bytes resent with a content different from the first copy.</summary>
    public long ConflictingBytes { get; private set; }

    /// <summary>Bytes dropped because more than the limit waited out of order (each such stretch is also a gap).</summary>
    public long OverflowBytes { get; private set; }

    /// <summary>
    /// Adds a segment: <paramref name="seq"/> is its sequence number, <paramref name="data"/> the payload bytes the
    /// capture holds, <paramref name="statedLength"/> the payload length its headers state (larger when the snaplen
    /// cut it: the rest is a gap).
    /// </summary>
    public void Add(uint seq, bool syn, ReadOnlySpan<byte> data, int statedLength)
    {
        if (!_started)
        {
            _started = true;
            _origin = new SeqNum(seq) + (syn ? 1 : 0);
        }
        var start = new SeqNum(seq) + (syn ? 1 : 0);
        long offset = _written + new SeqNum(unchecked(_origin.Value + (uint)_written)).DistanceTo(start);
        if (offset <= _written)
        {
            long before = _written;
            Advance(offset, data, statedLength);
            if (_written != before)
            {
                Drain();
            }
        }
        else if (statedLength > 0)
        {
            // Held even when the snaplen left none of its bytes: its stated length is what lets the stream step over
            // it as a gap once the hole before it is filled (a header-only capture is then one gap, not a stop).
            Hold(offset, data, statedLength);
        }
    }

    /// <summary>
    /// Takes a segment that starts at or before the next byte to write: bytes already written are compared with it,
    /// the new captured bytes written, and what its headers state beyond the captured bytes (cut by the snaplen)
    /// stepped over as a gap.
    /// </summary>
    private void Advance(long offset, ReadOnlySpan<byte> captured, long statedLength)
    {
        long end = offset + Math.Max(statedLength, captured.Length);
        long old = Math.Min(_written - offset, captured.Length);
        CompareWithWritten(offset, captured[..(int)old]);
        if (end <= _written)
        {
            return;   // entirely a resend of what is written or stepped over
        }
        Write(captured[(int)old..]);
        if (end > _written)
        {
            StepOverGap(end - _written);   // existed but was not captured: a gap, stepped over
        }
    }

    /// <summary>Writes what is still held, recording the gaps before each piece. Returns the stream's sha256 (hex).</summary>
    public string Finish()
    {
        foreach ((long offset, Held held) in _held.ToList())
        {
            if (offset > _written)
            {
                StepOverGap(offset - _written);
            }
            _held.Remove(offset);
            Advance(offset, held.Bytes, held.StatedLength);
            Release(held);
        }
        _heldBytes = 0;
        _output.Flush();
        return Convert.ToHexString(_sha256.GetHashAndReset()).ToLowerInvariant();
    }

    /// <summary>Skips <paramref name="length"/> bytes the capture does not hold, joining a gap that ends here.</summary>
    private void StepOverGap(long length)
    {
        GapBytes += length;
        if (_lastGapEnd == _written)
        {
            if (_gaps.Count == GapCount)   // the gap it joins is listed: it grows there too
            {
                StreamGap last = _gaps[^1];
                _gaps[^1] = last with { Length = last.Length + length };
            }
        }
        else
        {
            GapCount++;
            if (_gaps.Count < _maxListedGaps)
            {
                _gaps.Add(new StreamGap(_written, length));
            }
        }
        _written += length;
        _lastGapEnd = _written;
        _contiguousFrom = _written;
    }

    private void Hold(long offset, ReadOnlySpan<byte> bytes, int statedLength)
    {
        statedLength = Math.Max(statedLength, bytes.Length);
        if (_held.TryGetValue(offset, out Held existing))
        {
            int overlap = Math.Min(existing.Length, bytes.Length);
            for (int i = 0; i < overlap; i++)
            {
                if (existing.Buffer[i] != bytes[i])
                {
                    ConflictingBytes++;
                }
            }
            if (bytes.Length <= existing.Length)
            {
                if (statedLength > existing.StatedLength)
                {
                    _held[offset] = existing with { StatedLength = statedLength };
                }
                return;
            }
            _held[offset] = Rent(bytes, Math.Max(statedLength, existing.StatedLength));
            Release(existing);
            _heldBytes += bytes.Length - existing.Length;
            return;
        }
        if (_heldBytes + PieceCost + bytes.Length > _maxHeldBytes)
        {
            OverflowBytes += bytes.Length;   // never written: a later segment past it turns the stretch into a gap
            return;
        }
        _held[offset] = Rent(bytes, statedLength);
        _heldBytes += PieceCost + bytes.Length;
    }

    private static Held Rent(ReadOnlySpan<byte> bytes, int statedLength)
    {
        byte[] buffer = bytes.IsEmpty ? [] : ArrayPool<byte>.Shared.Rent(bytes.Length);
        bytes.CopyTo(buffer);
        return new Held(buffer, bytes.Length, statedLength);
    }

    private static void Release(Held held)
    {
        if (held.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(held.Buffer);
        }
    }

    private void Drain()
    {
        while (_held.Count > 0)
        {
            (long offset, Held held) = _held.First();
            if (offset > _written)
            {
                return;
            }
            _held.Remove(offset);
            _heldBytes -= PieceCost + held.Length;
            Advance(offset, held.Bytes, held.StatedLength);
            Release(held);
        }
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        _output.Write(bytes);
        _sha256.AppendData(bytes);
        ReadOnlySpan<byte> kept = bytes.Length > _recent.Length ? bytes[^_recent.Length..] : bytes;
        long keptOffset = _written + bytes.Length - kept.Length;
        for (int i = 0; i < kept.Length; i++)
        {
            _recent[(keptOffset + i) % _recent.Length] = kept[i];
        }
        _written += bytes.Length;
    }

    /// <summary>Counts the bytes of a resent copy that differ from the first copy, where it is still remembered.</summary>
    private void CompareWithWritten(long offset, ReadOnlySpan<byte> copy)
    {
        long from = Math.Max(offset, Math.Max(_contiguousFrom, _written - _recent.Length));
        for (long o = from; o < offset + copy.Length; o++)
        {
            if (_recent[o % _recent.Length] != copy[(int)(o - offset)])
            {
                ConflictingBytes++;
            }
        }
    }
}
