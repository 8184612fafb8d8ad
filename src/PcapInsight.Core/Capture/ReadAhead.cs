using PcapInsight.Core.Collections;

namespace PcapInsight.Core.Capture;

/// <summary>
/// Reads a file ahead of its parser on a second thread, into a small ring of buffers, so the kernel's copy from
/// the page cache runs on one core while the records are decoded on the other. Each buffer keeps
/// <see cref="Headroom"/> bytes free in front of its data, where <see cref="StreamWindow"/> moves the unconsumed
/// tail of the previous buffer (a record cut by the chunk boundary) instead of copying the new data.
/// </summary>
/// <remarks>
/// Memory is fixed: <see cref="BufferCount"/> buffers of <see cref="Headroom"/> + <see cref="ChunkBytes"/> bytes.
/// A buffer is handed back (<see cref="Recycle"/>) only when the window has moved past it, which the window's
/// contract allows (spans are valid until the next Ensure).
/// </remarks>
internal sealed class ReadAhead : IDisposable
{
    public const int ChunkBytes = 1 << 20;
    public const int Headroom = 256 << 10;
    private const int BufferCount = 4;

    private readonly Stream _stream;
    // Two small hand-offs guarded by one lock: BlockingCollection would allocate a linked token source on every
    // blocking take, and the per-packet path must not allocate.
    private readonly object _gate = new();
    private readonly Queue<byte[]> _free = new(BufferCount);
    private readonly ValueQueue<Chunk> _filled = new(BufferCount);   // not Queue<Chunk>: compiled at run time (ValueList says why)
    private readonly Thread _thread;
    private bool _stopping;

    /// <summary>A filled buffer: data at [Headroom, Headroom + Count); Count 0 = end of stream; Error = the read failed.</summary>
    public readonly record struct Chunk(byte[] Buffer, int Count, Exception? Error);

    public ReadAhead(Stream stream)
    {
        _stream = stream;
        for (int i = 0; i < BufferCount; i++)
        {
            _free.Enqueue(new byte[Headroom + ChunkBytes]);
        }
        _thread = new Thread(Run) { IsBackground = true, Name = "pcapinsight read-ahead" };
        _thread.Start();
    }

    /// <summary>The next chunk in file order; blocks until the reader thread has it.</summary>
    public Chunk Take()
    {
        lock (_gate)
        {
            while (_filled.Count == 0)
            {
                Monitor.Wait(_gate);
            }
            return _filled.Dequeue();
        }
    }

    /// <summary>Gives a buffer back for the reader thread to fill again (buffers of other sizes are dropped).</summary>
    public void Recycle(byte[] buffer)
    {
        if (buffer.Length != Headroom + ChunkBytes)
        {
            return;
        }
        lock (_gate)
        {
            _free.Enqueue(buffer);
            Monitor.PulseAll(_gate);
        }
    }

    private void Run()
    {
        while (true)
        {
            byte[] buffer;
            lock (_gate)
            {
                while (_free.Count == 0 && !_stopping)
                {
                    Monitor.Wait(_gate);
                }
                if (_stopping)
                {
                    return;
                }
                buffer = _free.Dequeue();
            }
            int count = 0;
            Exception? error = null;
            try
            {
                while (count < ChunkBytes)
                {
                    int read = _stream.Read(buffer, Headroom + count, ChunkBytes - count);
                    if (read <= 0)
                    {
                        break;
                    }
                    count += read;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectDisposedException)
            {
                error = ex;
            }
            lock (_gate)
            {
                _filled.Enqueue(new Chunk(buffer, count, error));
                Monitor.PulseAll(_gate);
            }
            if (count < ChunkBytes || error is not null)
            {
                return; // end of stream (or failure): one short or empty chunk says so
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.PulseAll(_gate);
        }
        _thread.Join();
    }
}
