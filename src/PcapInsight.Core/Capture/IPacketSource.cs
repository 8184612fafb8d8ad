namespace PcapInsight.Core.Capture;

/// <summary>
/// A pull-based stream of frames: a capture file, several files merged by time, or a live interface.
/// </summary>
/// <remarks>
/// Call <see cref="TryRead"/> until it returns false. The span it hands out points into a buffer the source owns
/// and is valid only until the next call to <see cref="TryRead"/> or <see cref="IDisposable.Dispose"/>: copy what
/// must outlive it. Damaged input never throws from <see cref="TryRead"/>: reading stops and a
/// <see cref="CaptureWarning"/> says where and why (gopacket's <c>ZeroCopyReadPacketData</c> has the same contract).
/// </remarks>
public interface IPacketSource : IDisposable
{
    /// <summary>Reads the next frame. Returns false at the end of the input or where the input is damaged.</summary>
    bool TryRead(out CaptureInfo info, out ReadOnlySpan<byte> data);

    /// <summary>Facts gathered so far: format, link types, warnings, interface drop counters.</summary>
    CaptureFileStats Stats { get; }
}
