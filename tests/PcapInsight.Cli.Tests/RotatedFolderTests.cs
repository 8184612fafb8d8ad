using System.Text.Json;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Cli.Tests;

/// <summary>A theory that needs editcap (Wireshark's, which CI installs with tshark); skipped with a reason elsewhere.</summary>
public sealed class EditcapTheoryAttribute : TheoryAttribute
{
    /// <summary>Sets Skip when editcap is missing outside CI.</summary>
    public EditcapTheoryAttribute() => Skip = File.Exists("/usr/bin/editcap") || RepoPaths.IsCi
        ? null
        : "editcap is not installed (apt-get install wireshark-common; CI has it)";
}

/// <summary>A folder of rotated captures (cut with <c>editcap -c</c>) is the capture they were cut from.</summary>
public class RotatedFolderTests
{
    /// <summary>The rows without the columns named (indexes before any quoted cell), and without the last when asked (file).</summary>
    private static string[] Columns(string path, int drop, bool dropLast = false) =>
        File.ReadAllLines(path).Select(l => dropLast ? l[..l.LastIndexOf(',')] : l)
            .Select(l => string.Join(',', l.Split(',').Where((_, i) => i != drop))).ToArray();

    [EditcapTheory]
    [InlineData("zero-window.client.pcap", 50)]
    [InlineData("nagle-delack.client.pcap", 10)]
    [InlineData("bulk-loss-reorder.client.pcap", 100)]
    [InlineData("udp-fragment-loss.server.pcap", 7)]
    public void Folder_GivesTheSameFlowsEventsAndFindings_AsTheWholeCapture(string sample, int framesPerFile)
    {
        using var dir = CliRunner.TempDir();
        Directory.CreateDirectory(dir.File("rotated"));
        CliRun cut = CliRunner.RunProcess("editcap", ["-c", framesPerFile.ToString(), RepoPaths.Sample(sample), dir.File("rotated/part.pcap")]);
        Assert.True(cut.ExitCode == 0, cut.Stderr);
        File.WriteAllText(dir.File("rotated/README.txt"), "not a capture");   // a folder may hold other files
        Assert.True(Directory.GetFiles(dir.File("rotated"), "part*").Length > 2);

        Assert.Equal(0, CliRunner.Run(["analyze", RepoPaths.Sample(sample), "-o", dir.File("whole"), "--format", "csv,json", "-q"]).ExitCode);
        CliRun run = CliRunner.Run(["analyze", dir.File("rotated"), "-o", dir.File("parts"), "--format", "csv,json", "-q"]);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("README.txt: skipped, not a capture", run.Stderr);
        // Frame numbers count within each file (the file column of flows.csv and events.csv says which), so they and
        // first_frame differ; a part's frame is the whole file's frame less the parts before it (editcap cut them even).
        Assert.Equal(Columns(dir.File("whole/flows.csv"), 27, dropLast: true), Columns(dir.File("parts/flows.csv"), 27, dropLast: true));
        string[] parts = Directory.GetFiles(dir.File("rotated"), "part*").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;
        string[][] wholeFlows = File.ReadAllLines(dir.File("whole/flows.csv")).Skip(1).Select(l => l.Split(',')).ToArray();
        string[][] partFlows = File.ReadAllLines(dir.File("parts/flows.csv")).Skip(1).Select(l => l.Split(',')).ToArray();
        Assert.Equal(wholeFlows.Length, partFlows.Length);
        for (int i = 0; i < partFlows.Length; i++)
        {
            int file = Array.IndexOf(parts, partFlows[i][^1]);
            Assert.True(file >= 0, $"flow {partFlows[i][0]}: file '{partFlows[i][^1]}'");
            Assert.Equal(long.Parse(wholeFlows[i][27]), (long)file * framesPerFile + long.Parse(partFlows[i][27]));
            Assert.Equal(sample, wholeFlows[i][^1]);
        }
        Assert.Equal(Columns(dir.File("whole/events.csv"), 4, dropLast: true), Columns(dir.File("parts/events.csv"), 4, dropLast: true));
        JsonElement Summary(string d) => JsonDocument.Parse(File.ReadAllText(Path.Combine(d, "summary.json"))).RootElement;
        Assert.Equal(Summary(dir.File("whole")).GetProperty("events").ToString(), Summary(dir.File("parts")).GetProperty("events").ToString());
        Assert.Equal(Summary(dir.File("whole")).GetProperty("findings").EnumerateArray().Select(f => f.GetProperty("event").GetString() + f.GetProperty("advice").GetString()),
            Summary(dir.File("parts")).GetProperty("findings").EnumerateArray().Select(f => f.GetProperty("event").GetString() + f.GetProperty("advice").GetString()));
        var files = File.ReadAllLines(dir.File("parts/events.csv")).Skip(1).Select(l => l[(l.LastIndexOf(',') + 1)..]).Distinct().ToList();
        Assert.All(files, f => Assert.StartsWith("part_", f));
    }
}
