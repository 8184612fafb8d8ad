using PcapInsight.Reporting;

namespace PcapInsight.Charts;

/// <summary>Writes charts into <c>DIR/charts/</c>.</summary>
public static class ChartFiles
{
    /// <summary>The folder's name inside the report folder.</summary>
    public const string Folder = "charts";

    /// <summary>
    /// Writes each chart atomically, and removes charts an earlier run left in the folder that this run did not draw
    /// (a reused report folder must not show another capture's flows). Only file names this tool writes are removed.
    /// </summary>
    public static void Write(IReadOnlyList<Chart> charts, string reportDirectory)
    {
        string folder = Path.Combine(reportDirectory, Folder);
        Directory.CreateDirectory(folder);
        var written = new HashSet<string>(StringComparer.Ordinal);
        foreach (Chart chart in charts)
        {
            AtomicFile.Write(Path.Combine(folder, chart.FileName), s => s.Write(chart.Png));
            written.Add(chart.FileName);
        }
        foreach (string path in Directory.EnumerateFiles(folder, "*.png"))
        {
            string name = Path.GetFileName(path);
            if (!written.Contains(name) && IsOurs(name))
            {
                File.Delete(path);
            }
        }
    }

    private static readonly string[] CaptureChartNames = ["events-timeline.png", "ack-delay-histogram.png", "ip-sizes.png", "udp-loss.png"];

    private static bool IsOurs(string name) =>
        CaptureChartNames.Contains(name) || System.Text.RegularExpressions.Regex.IsMatch(name, @"^flow-[0-9]+-(time-sequence|window|throughput|rtt)\.png$");
}
