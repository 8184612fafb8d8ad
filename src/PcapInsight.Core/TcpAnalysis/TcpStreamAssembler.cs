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
/// skipped, never filled.
/// </summary>
public sealed class TcpStreamAssembler
{
    private readonly Stream _output;
    private readonly long _maxHeldBytes;
    private readonly SortedDictionary<long, Held> _held = new();   // stream offset -> bytes, waiting for a gap to fill

    /// <summary>Out-of-order bytes in a buffer rented from the shared pool (returned when written or dropped).</summary>
    private readonly record struct Held(byte[] Buffer, int Length)
    {
        public ReadOnlySpan<byte> Bytes => Buffer.AsSpan(0, Length);
    }
    private readonly List<StreamGap> _gaps = new();
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
    /// <paramref name="recentBytes"/> written are kept to compare resent copies with.
    /// </summary>
    public TcpStreamAssembler(Stream output, long maxHeldBytes = 64L << 20, int recentBytes = 1 << 20)
    {
        _output = output;
        _maxHeldBytes = maxHeldBytes;
        _recent = new byte[Math.Max(1, recentBytes)];
    }

    /// <summary>Bytes written so far.</summary>
    public long BytesWritten => _written - _gaps.Sum(g => g.Length);

    /// <summary>Stream offset just past the last byte written or skipped as a gap.</summary>
    public long Length => _written;

    /// <summary>Stretches never captured, in stream order.</summary>
    public IReadOnlyList<StreamGap> Gaps => _gaps;

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
        int missing = statedLength - data.Length;   // cut by the snaplen
        if (offset < _written)
        {
            int resent = (int)Math.Min(data.Length, _written - offset);
            CompareWithWritten(offset, data[..resent]);
            if (resent == data.Length)
            {
                return; // entirely a resend of written bytes
            }
            data = data[resent..];
            offset = _written;
        }
        if (offset == _written)
        {
            Write(data);
            if (missing > 0)
            {
                // The rest of this segment existed but was not captured: a gap, stepped over.
                _gaps.Add(new StreamGap(_written, missing));
                _written += missing;
                _contiguousFrom = _written;
            }
            Drain();
        }
        else if (!data.IsEmpty)
        {
            Hold(offset, data);
        }
    }

    /// <summary>Writes what is still held, recording the gaps before each piece. Returns the stream's sha256 (hex).</summary>
    public string Finish()
    {
        foreach ((long offset, Held held) in _held.ToList())
        {
            if (offset > _written)
            {
                _gaps.Add(new StreamGap(_written, offset - _written));
                _written = offset;
                _contiguousFrom = _written;
            }
            _held.Remove(offset);
            if (offset + held.Length > _written)
            {
                Write(held.Bytes[(int)(_written - offset)..]);
            }
            ArrayPool<byte>.Shared.Return(held.Buffer);
        }
        _heldBytes = 0;
        _output.Flush();
        return Convert.ToHexString(_sha256.GetHashAndReset()).ToLowerInvariant();
    }

    private void Hold(long offset, ReadOnlySpan<byte> bytes)
    {
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
                return;
            }
            _held[offset] = Rent(bytes);
            ArrayPool<byte>.Shared.Return(existing.Buffer);
            _heldBytes += bytes.Length - existing.Length;
            return;
        }
        if (_heldBytes + PieceCost + bytes.Length > _maxHeldBytes)
        {
            OverflowBytes += bytes.Length;   // never written: a later segment past it turns the stretch into a gap
            return;
        }
        _held[offset] = Rent(bytes);
        _heldBytes += PieceCost + bytes.Length;
    }

    private static Held Rent(ReadOnlySpan<byte> bytes)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(bytes.Length);
        bytes.CopyTo(buffer);
        return new Held(buffer, bytes.Length);
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
            if (offset + held.Length > _written)
            {
                Write(held.Bytes[(int)(_written - offset)..]);
            }
            ArrayPool<byte>.Shared.Return(held.Buffer);
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
