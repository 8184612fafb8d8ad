using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace PcapInsight.Core.Capture;

/// <summary>
/// A forward-only window over a stream: the readers ask for the next N bytes and get a span into one reused
/// buffer, so reading a record costs no allocation and no copy in the common case.
/// </summary>
/// <remarks>
/// A span from <see cref="Peek"/> is valid until the next <see cref="Ensure"/>, <see cref="Skip"/> or
/// <see cref="Dispose"/>: those may move or replace the buffer. The buffer grows to the largest record asked
/// for, never past the limit the caller passes to <see cref="Ensure"/>.
/// </remarks>
internal sealed class StreamWindow : IDisposable
{
    private const int InitialBufferBytes = 1 << 20;

    /// <summary>Files at least this large are read ahead on a second thread (<see cref="ReadAhead"/>).</summary>
    public const long ReadAheadMinimumBytes = 32L << 20;

    private readonly Stream _stream;
    private readonly ReadAhead? _readAhead;
    private byte[] _buffer;
    private int _start;          // first unconsumed byte in _buffer
    private int _end;            // one past the last valid byte in _buffer
    private long _bufferOrigin;  // stream offset of _buffer[0]
    private bool _endOfStream;

    public StreamWindow(Stream stream, int initialBufferBytes = InitialBufferBytes, bool? readAhead = null)
    {
        _stream = stream;
        Length = stream.CanSeek ? stream.Length : -1;
        if (readAhead ?? (Length >= ReadAheadMinimumBytes && Environment.ProcessorCount > 1))
        {
            _readAhead = new ReadAhead(stream);
            _buffer = [];
            _bufferOrigin = -ReadAhead.Headroom;
            _start = _end = ReadAhead.Headroom;
        }
        else
        {
            _buffer = new byte[Math.Max(64, initialBufferBytes)];
        }
    }

    /// <summary>Offset in the stream of the next unconsumed byte.</summary>
    public long Position => _bufferOrigin + _start;

    /// <summary>Bytes buffered and not yet consumed.</summary>
    public int Available => _end - _start;

    /// <summary>The stream's length when opened, or -1 where it has none (a pipe).</summary>
    public long Length { get; }

    /// <summary>
    /// Makes at least <paramref name="count"/> bytes available. Returns false at the end of the stream, when fewer
    /// are left; <see cref="Available"/> then tells how many there are.
    /// </summary>
    public bool Ensure(int count)
    {
        if (_end - _start >= count)
        {
            return true;
        }
        return Fill(count);
    }

    /// <summary>The next <paramref name="count"/> bytes; call <see cref="Ensure"/> first.</summary>
    public ReadOnlySpan<byte> Peek(int count) => new(_buffer, _start, count);

    /// <summary>Index in the internal buffer of the next unconsumed byte (see <see cref="BufferSlice"/>).</summary>
    public int BufferIndex => _start;

    /// <summary>Bytes already consumed but still buffered: valid until the next Ensure, Skip or Dispose.</summary>
    public ReadOnlySpan<byte> BufferSlice(int index, int count) => new(_buffer, index, count);

    /// <summary>Consumes <paramref name="count"/> buffered bytes.</summary>
    public void Advance(int count) => _start += count;

    /// <summary>
    /// Asks the processor to bring the next unconsumed bytes (a record's header and the frame's first headers) into
    /// its cache while the caller works on the record just read. The read-ahead thread's copy put them in the other
    /// core's cache or none: on bulk.pcap the first load of each record header was two thirds of the reader's time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe void PrefetchNext()
    {
        if (Sse.IsSupported && _end - _start >= 2 * 64)
        {
            // No pinning: a prefetch never faults, so an address made stale by the collector moving the buffer costs
            // nothing but the wasted hint.
            byte* next = (byte*)Unsafe.AsPointer(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_buffer), _start));
            Sse.Prefetch0(next);
            Sse.Prefetch0(next + 64);
        }
    }

    /// <summary>Consumes <paramref name="count"/> bytes, buffered or not. Returns false if the stream ends first.</summary>
    public bool Skip(long count)
    {
        long buffered = _end - _start;
        if (count <= buffered)
        {
            _start += (int)count;
            return true;
        }
        if (_readAhead is not null)
        {
            // Chunks arrive in order from the other thread: consume them, there is nothing to seek.
            while (count > 0)
            {
                int step = (int)Math.Min(count, Math.Max(1, _end - _start));
                if (!Ensure(step))
                {
                    _start = _end;
                    return false;
                }
                _start += step;
                count -= step;
            }
            return true;
        }
        count -= buffered;
        _bufferOrigin += _end;
        _start = _end = 0;
        if (_stream.CanSeek)
        {
            long remaining = _stream.Length - _stream.Position;
            long step = Math.Min(count, remaining);
            _stream.Seek(step, SeekOrigin.Current);
            _bufferOrigin += step;
            return step == count;
        }
        while (count > 0)
        {
            int read = _stream.Read(_buffer, 0, (int)Math.Min(count, _buffer.Length));
            if (read <= 0)
            {
                _endOfStream = true;
                return false;
            }
            count -= read;
            _bufferOrigin += read;
        }
        return true;
    }

    private bool Fill(int count)
    {
        if (_readAhead is not null)
        {
            return FillFromReadAhead(count);
        }
        if (count > _buffer.Length - _start)
        {
            // Move the unconsumed tail to the front, into a bigger buffer if the record needs one.
            int live = _end - _start;
            byte[] target = count > _buffer.Length ? new byte[Math.Max(count, _buffer.Length * 2)] : _buffer;
            Buffer.BlockCopy(_buffer, _start, target, 0, live);
            _bufferOrigin += _start;
            _buffer = target;
            _start = 0;
            _end = live;
        }
        while (_end - _start < count && !_endOfStream)
        {
            int read = _stream.Read(_buffer, _end, _buffer.Length - _end);
            if (read <= 0)
            {
                _endOfStream = true;
                break;
            }
            _end += read;
        }
        return _end - _start >= count;
    }

    /// <summary>
    /// Moves on to the next read-ahead chunk(s) until <paramref name="count"/> bytes are available: the unconsumed
    /// tail goes into the new chunk's headroom, or, for a record longer than the headroom, everything is gathered
    /// into one buffer of its own (rare: only huge frames or blocks).
    /// </summary>
    private bool FillFromReadAhead(int count)
    {
        while (_end - _start < count && !_endOfStream)
        {
            ReadAhead.Chunk next = _readAhead!.Take();
            if (next.Error is not null)
            {
                _endOfStream = true;
                throw new IOException("reading the capture failed: " + next.Error.Message, next.Error);
            }
            if (next.Count < ReadAhead.ChunkBytes)
            {
                _endOfStream = true;
            }
            int tail = _end - _start;
            long nextOrigin = _bufferOrigin + _end - ReadAhead.Headroom;  // file offset of next.Buffer[0]
            if (tail <= ReadAhead.Headroom)
            {
                if (tail > 0)
                {
                    Buffer.BlockCopy(_buffer, _start, next.Buffer, ReadAhead.Headroom - tail, tail);
                }
                _readAhead.Recycle(_buffer);
                _buffer = next.Buffer;
                _bufferOrigin = nextOrigin;
                _start = ReadAhead.Headroom - tail;
                _end = ReadAhead.Headroom + next.Count;
            }
            else
            {
                var gathered = new byte[tail + next.Count];
                Buffer.BlockCopy(_buffer, _start, gathered, 0, tail);
                Buffer.BlockCopy(next.Buffer, ReadAhead.Headroom, gathered, tail, next.Count);
                _readAhead.Recycle(_buffer);
                _readAhead.Recycle(next.Buffer);
                _bufferOrigin += _start;
                _buffer = gathered;
                _start = 0;
                _end = gathered.Length;
            }
        }
        return _end - _start >= count;
    }

    public void Dispose()
    {
        _readAhead?.Dispose();
        _stream.Dispose();
    }
}
