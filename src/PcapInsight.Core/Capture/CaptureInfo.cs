namespace PcapInsight.Core.Capture;

/// <summary>
/// What a capture file says about one frame. The frame's bytes travel beside it as a span whose lifetime the
/// source documents (see <see cref="IPacketSource.TryRead"/>).
/// </summary>
/// <param name="FrameNumber">1-based number of the frame in its file, as Wireshark numbers it.</param>
/// <param name="TimestampNs">Capture time in nanoseconds since the Unix epoch (UTC).</param>
/// <param name="CapturedLength">Bytes present in the file for this frame.</param>
/// <param name="OriginalLength">Bytes the frame had on the wire (larger when the snaplen cut it).</param>
/// <param name="InterfaceId">pcapng interface index within its section's numbering; 0 for pcap.</param>
/// <param name="LinkType">How the frame's bytes begin.</param>
/// <param name="FileIndex">0-based index of the file among those analysed together.</param>
public readonly record struct CaptureInfo(
    long FrameNumber,
    long TimestampNs,
    int CapturedLength,
    int OriginalLength,
    int InterfaceId,
    LinkType LinkType,
    int FileIndex = 0);
