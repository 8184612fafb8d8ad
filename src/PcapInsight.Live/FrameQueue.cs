using System.Buffers;
using System.Threading.Channels;

namespace PcapInsight.Live;

/// <summary>One frame copied out of libpcap's buffer into pooled memory, on its way to the analysis.</summary>
/// <param name="Buffer">Rented from <see cref="ArrayPool{T}.Shared"/>; returned by the consumer.</param>
/// <param name="Length">Bytes captured.</param>
/// <param name="OriginalLength">Bytes on the wire.</param>
/// <param name="TimestampNs">Capture time, ns since the epoch.</param>
public readonly record struct PooledFrame(byte[] Buffer, int Length, int OriginalLength, long TimestampNs);

/// <summary>
/// The bounded hand-over between the capture thread and the analysis thread. The producer never waits: when the
/// queue holds its maximum of frames or bytes, the frame is dropped and counted (a slow analysis must never stall
/// libpcap, whose own buffer would then overflow unseen). Memory is bounded by both limits.
/// </summary>
public sealed class FrameQueue
{
    private readonly Channel<PooledFrame> _channel;
    private readonly long _maxBytes;
    private long _bytes;
    private long _dropped;
    private Task<bool>? _pendingWait;

    /// <param name="maxFrames">Frames held at most.</param>
    /// <param name="maxBytes">Captured bytes held at most.</param>
    public FrameQueue(int maxFrames, long maxBytes)
    {
        _channel = Channel.CreateBounded<PooledFrame>(new BoundedChannelOptions(maxFrames)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,   // TryWrite then fails at once: the frame is dropped, never waited for
        });
        _maxBytes = maxBytes;
    }

    /// <summary>Frames dropped because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Bytes held now.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Copies <paramref name="data"/> into pooled memory and queues it; false (and counted) when full.</summary>
    public bool TryEnqueue(ReadOnlySpan<byte> data, int originalLength, long timestampNs)
    {
        if (Interlocked.Read(ref _bytes) + data.Length > _maxBytes)
        {
            Interlocked.Increment(ref _dropped);
            return false;
        }
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, data.Length));
        data.CopyTo(buffer);
        if (!_channel.Writer.TryWrite(new PooledFrame(buffer, data.Length, originalLength, timestampNs)))
        {
            ArrayPool<byte>.Shared.Return(buffer);
            Interlocked.Increment(ref _dropped);
            return false;
        }
        Interlocked.Add(ref _bytes, data.Length);
        return true;
    }

    /// <summary>No more frames will come (the capture ended); the consumer drains what is left.</summary>
    public void Complete() => _channel.Writer.TryComplete();

    /// <summary>
    /// The next frame, waiting up to <paramref name="wait"/>. Returns false with <paramref name="ended"/> false when
    /// none came in time, and with it true when the queue is complete and empty. The caller returns the frame's
    /// buffer with <see cref="Release"/>.
    /// </summary>
    public bool TryDequeue(TimeSpan wait, out PooledFrame frame, out bool ended)
    {
        ended = false;
        if (_channel.Reader.TryRead(out frame))
        {
            Interlocked.Add(ref _bytes, -frame.Length);
            return true;
        }
        // Only when the queue is empty: the wait may allocate, the busy path above does not.
        try
        {
            // A wait that timed out stays pending and is reused, so that waits never pile up.
            Task<bool> ready = _pendingWait ??= _channel.Reader.WaitToReadAsync().AsTask();
            if (!ready.Wait(wait))
            {
                return false;
            }
            _pendingWait = null;
            if (!ready.Result)
            {
                ended = true;
                return false;
            }
        }
        catch (AggregateException)
        {
            ended = true;
            return false;
        }
        if (_channel.Reader.TryRead(out frame))
        {
            Interlocked.Add(ref _bytes, -frame.Length);
            return true;
        }
        return false;
    }

    /// <summary>Gives a frame's buffer back to the pool.</summary>
    public static void Release(in PooledFrame frame) => ArrayPool<byte>.Shared.Return(frame.Buffer);
}
