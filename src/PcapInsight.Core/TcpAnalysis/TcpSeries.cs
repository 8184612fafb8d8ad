namespace PcapInsight.Core.TcpAnalysis;

/// <summary>What a point of a TCP time series is.</summary>
public enum TcpSeriesKind : byte
{
    /// <summary>A data segment carrying new bytes: <c>Seq</c> (relative), <c>Length</c>, <c>InFlight</c> after it.</summary>
    Data,
    /// <summary>A data segment resending bytes (retransmission or out-of-order).</summary>
    Resend,
    /// <summary>The receiver's acknowledgment: <c>Seq</c> is the acknowledged sequence (relative), <c>Window</c> its window in bytes.</summary>
    Ack,
    /// <summary>An RTT sample taken by that acknowledgment: <c>Value</c> is the RTT, ns.</summary>
    Rtt,
}

/// <summary>One point of a direction's time series (the sender's segments and the receiver's ACKs, in one sequence space).</summary>
/// <param name="TimeNs">Capture time.</param>
/// <param name="Kind">What the point is.</param>
/// <param name="Seq">Sequence number relative to the direction's first (a segment's start, or the acknowledged number).</param>
/// <param name="Length">Payload bytes of a segment.</param>
/// <param name="Value">Bytes in flight (data), window in bytes (ACK, -1 when the scale is unknown), or RTT in ns.</param>
public readonly record struct TcpSeriesPoint(long TimeNs, TcpSeriesKind Kind, uint Seq, int Length, long Value);

/// <summary>
/// The time series of one direction of a TCP flow, for charts: a buffer that grows to a fixed capacity (a short
/// flow's few points take little memory, and a flow recorded only until a sharded run's policy refuses it costs
/// little); when it is full, every other point is dropped and from then on only every second (fourth, ...) point is kept, so the series
/// always spans the whole flow at an even resolution (points resent or acknowledged are thinned alike).
/// </summary>
public sealed class TcpSeries
{
    private const int FirstCapacity = 8;
    private readonly int _capacity;
    private TcpSeriesPoint[] _points;
    private int _count;
    private int _stride = 1;     // keep one point in _stride (a power of two: a mask, not a division, a packet)
    private long _offered;

    internal TcpSeries(int capacity)
    {
        _capacity = Math.Max(2, capacity);
        _points = new TcpSeriesPoint[Math.Min(_capacity, FirstCapacity)];
    }

    /// <summary>The sequence number all points are relative to.</summary>
    public uint BaseSeq { get; internal set; }

    /// <summary>Points kept, in time order.</summary>
    public ReadOnlySpan<TcpSeriesPoint> Points => _points.AsSpan(0, _count);

    /// <summary>One point is kept for every this many offered (1 until the buffer first filled).</summary>
    public int Stride => _stride;

    internal void Add(in TcpSeriesPoint point)
    {
        if ((_offered++ & (_stride - 1)) != 0)
        {
            return;
        }
        if (_count == _points.Length && _count < _capacity)
        {
            Array.Resize(ref _points, (int)Math.Min(_capacity, 2L * _count));
        }
        else if (_count == _points.Length)
        {
            for (int i = 0; i < _count / 2; i++)
            {
                _points[i] = _points[2 * i];
            }
            _count /= 2;
            _stride *= 2;
            if (((_offered - 1) & (_stride - 1)) != 0)
            {
                return;
            }
        }
        _points[_count++] = point;
    }
}
