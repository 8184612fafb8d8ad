using PcapInsight.Core.Capture;

namespace PcapInsight.TestKit;

/// <summary>
/// Frames made on demand into one buffer of <paramref name="length"/> bytes (Ethernet, 1 µs apart): the capture never
/// exists in memory as a whole. <paramref name="fill"/> writes frame i (0-based) into the buffer; it may throw, as a
/// failing disk would.
/// </summary>
public sealed class GeneratedSource(long count, Action<long, byte[]> fill, int length) : IPacketSource
{
    private readonly byte[] _frame = new byte[length];
    private long _next;

    /// <inheritdoc />
    public CaptureFileStats Stats { get; } = new() { Path = "generated", Format = "generated" };

    /// <inheritdoc />
    public bool TryRead(out CaptureInfo info, out ReadOnlySpan<byte> data)
    {
        if (_next == count)
        {
            info = default;
            data = default;
            return false;
        }
        fill(_next, _frame);
        _next++;
        info = new CaptureInfo(_next, 1_700_000_000_000_000_000 + _next * 1000, _frame.Length, _frame.Length, 0, LinkType.Ethernet);
        data = _frame;
        return true;
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
