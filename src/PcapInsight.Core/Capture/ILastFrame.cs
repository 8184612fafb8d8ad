namespace PcapInsight.Core.Capture;

/// <summary>
/// Gives back the bytes of the frame the last <see cref="IPacketSource.TryRead"/> returned, with the same lifetime
/// (until the next read). Lets <see cref="MergedPacketSource"/> hold one pending frame per file without copying.
/// </summary>
internal interface ILastFrame
{
    ReadOnlySpan<byte> LastFrame { get; }
}
