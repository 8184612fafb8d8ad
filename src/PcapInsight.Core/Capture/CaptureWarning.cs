namespace PcapInsight.Core.Capture;

/// <summary>Why reading a capture file stopped early or what in it was irregular.</summary>
public enum CaptureWarningKind
{
    /// <summary>The file ends in the middle of a record: everything before the cut was read.</summary>
    Truncated,
    /// <summary>A record header is implausible (length past the limit, bad block length): reading stopped there.</summary>
    Damaged,
    /// <summary>A later section of a pcapng file has a version we do not read: reading stopped there.</summary>
    UnsupportedSection,
    /// <summary>A frame's captured length exceeds the file's snaplen; it was read anyway.</summary>
    CapturedLengthOverSnaplen,
    /// <summary>A packet refers to a pcapng interface that was never described: the packet is skipped.</summary>
    UnknownInterface,
}

/// <summary>One irregularity in a capture file, with the byte offset where it was found.</summary>
/// <param name="Kind">What kind of irregularity.</param>
/// <param name="FileIndex">Which input file (0-based).</param>
/// <param name="ByteOffset">Offset in the file of the record concerned.</param>
/// <param name="AfterFrame">Frames read before it (its frame number is this plus one).</param>
/// <param name="Message">One line for a person.</param>
public sealed record CaptureWarning(CaptureWarningKind Kind, int FileIndex, long ByteOffset, long AfterFrame, string Message);
