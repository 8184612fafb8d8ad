namespace PcapInsight.Core.Capture;

/// <summary>
/// The input is not a capture we can read at all (wrong magic, bad header, unsupported version). Thrown only when
/// a file is opened; damage later in a file becomes a <see cref="CaptureWarning"/> instead.
/// </summary>
public sealed class CaptureFormatException : Exception
{
    /// <summary>Creates the exception with a message that says what was found.</summary>
    public CaptureFormatException(string message) : base(message) { }
}
