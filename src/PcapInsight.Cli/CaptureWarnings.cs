using PcapInsight.Core.Capture;

namespace PcapInsight.Cli;

/// <summary>
/// A capture's warnings (a truncated or damaged file, read up to where it stops) on stderr, one line each, the same
/// for every command that reads files: <c>pcapinsight: warning: PATH: MESSAGE</c>.
/// </summary>
internal static class CaptureWarnings
{
    public static void Print(TextWriter stderr, string path, string message) =>
        stderr.WriteLine($"pcapinsight: warning: {path}: {message}");

    public static void Print(TextWriter stderr, IReadOnlyList<CaptureFileStats> files, IEnumerable<CaptureWarning> warnings)
    {
        foreach (CaptureWarning warning in warnings)
        {
            Print(stderr, files[warning.FileIndex].Path, warning.Message);
        }
    }
}
