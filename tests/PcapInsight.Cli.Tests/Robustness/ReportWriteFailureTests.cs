using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Cli.Tests.Robustness;

/// <summary>A fact that mounts a small file system in a private mount namespace: needs root, as CI has.</summary>
public sealed class MountFactAttribute : FactAttribute
{
    /// <summary>Sets Skip without root outside CI.</summary>
    public MountFactAttribute() => Skip = LiveSkip.IsRoot || RepoPaths.IsCi
        ? null
        : "needs root to mount a small tmpfs in a private mount namespace (unshare -m): run the tests as root, as CI does";
}

/// <summary>
/// The report's folder fails under the writer: a disk that fills up half-way, a read-only file system. (Root ignores
/// file permissions, so a real file system is mounted for each case, in a mount namespace of the test's own.) The
/// run ends with exit 1 and one message, and what is left in the folder is either complete or absent: no file cut
/// short under its final name, no temporary file, no summary.json of an earlier run beside the new files.
/// </summary>
public sealed class ReportWriteFailureTests
{
    private static readonly string Sample = RepoPaths.Sample("tcp-basic.pcap");

    /// <summary>
    /// Runs shell <paramref name="commands"/> with $MNT a fresh tmpfs of <paramref name="size"/> (mounted with
    /// <paramref name="mountOptions"/>) and <c>cli</c> the pcapinsight command; the mount's content is copied to
    /// <paramref name="kept"/> before the namespace (and the mount) goes away. Returns the last command's result.
    /// </summary>
    private static CliRun InMountedFolder(string size, string mountOptions, string kept, string commands)
    {
        string script = $$"""
            set -u
            MNT=$(mktemp -d)
            mount -t tmpfs -o size={{size}}{{mountOptions}} tmpfs "$MNT" || exit 97
            cli() { dotnet "{{CliRunner.Dll}}" "$@"; }
            {{commands}}
            rc=$?
            cp -a "$MNT/." "{{kept}}/"
            umount "$MNT" && rmdir "$MNT"
            exit $rc
            """;
        return CliRunner.RunProcess("unshare", ["--mount", "--propagation", "private", "sh", "-c", script]);
    }

    [MountFact]
    public void DiskFullHalfWay_ExitsOne_AndLeavesOnlyCompleteFiles_AndNoStaleSummary()
    {
        using var dir = CliRunner.TempDir();
        // First a complete report (summary.json alone), then the full report into the same folder: the CSV files fit
        // in 192 KiB, the charts and report.html do not.
        CliRun run = InMountedFolder("192k", "", dir.Path, $"""
            cli analyze "{Sample}" -o "$MNT/r" --format json -q || exit 98
            test -f "$MNT/r/summary.json" || exit 99
            cli analyze "{Sample}" -o "$MNT/r" -q
            """);

        Assert.True(run.ExitCode == 1, $"exit {run.ExitCode}: {run.Stderr}");
        Assert.Contains("cannot write the report into", run.Stderr);
        Assert.Contains("No space left on device", run.Stderr);
        Assert.Single(run.Stderr.Trim().Split('\n'));
        string report = dir.File("r");
        string[] left = Directory.GetFiles(report, "*", SearchOption.AllDirectories);
        Assert.DoesNotContain(left, f => f.EndsWith(".partial", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(report, "summary.json")), "the earlier run's summary.json was left beside the new files");
        // What was written is whole: the CSV tables end with a complete row, each PNG with its IEND chunk.
        Assert.Equal(7, File.ReadAllLines(Path.Combine(report, "flows.csv")).Length);
        foreach (string csv in left.Where(f => f.EndsWith(".csv", StringComparison.Ordinal)))
        {
            Assert.EndsWith("\n", File.ReadAllText(csv));
        }
        foreach (string png in left.Where(f => f.EndsWith(".png", StringComparison.Ordinal)))
        {
            byte[] bytes = File.ReadAllBytes(png);
            Assert.True(bytes.AsSpan(bytes.Length - 8, 4).SequenceEqual("IEND"u8), $"{png} is cut short");
        }
        Assert.False(File.Exists(Path.Combine(report, "report.html")) && !File.ReadAllText(Path.Combine(report, "report.html")).TrimEnd().EndsWith("</html>", StringComparison.Ordinal));
    }

    [MountFact]
    public void ReadOnlyFolder_ExitsOne_WithOneLine()
    {
        using var dir = CliRunner.TempDir();

        CliRun run = InMountedFolder("1m", ",ro", dir.Path, $"""cli analyze "{Sample}" -o "$MNT/r" -q""");

        Assert.True(run.ExitCode == 1, $"exit {run.ExitCode}: {run.Stderr}");
        Assert.Contains("cannot write the report into", run.Stderr);
        Assert.Contains("Read-only file system", run.Stderr);
        Assert.Single(run.Stderr.Trim().Split('\n'));
    }

    [MountFact]
    public void SpoolCannotBeWritten_FlowsAreCountedAndTheRunWarnsOnce_ExitsZero()
    {
        using var dir = CliRunner.TempDir();
        string capture = Path.Combine(dir.Path, "short.pcap");
        ShortConnections.Write(capture, 100_000);
        // 99,000 flows released: a spool run of 65,536 records (about 6 MB) does not fit in 4 MiB. One thread: each
        // thread has its own spool, and two would each hold half the flows in memory, short of a run.
        CliRun run = InMountedFolder("4m", "", dir.Path, $"""
            cli analyze "{capture}" -o "$MNT/r" --format json -q --max-listed-flows 1000 --close-linger 0.01 --threads 1
            """);

        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}: {run.Stderr}");
        Assert.Contains("warning: cannot keep flows released past --max-listed-flows on disk (No space left on device", run.Stderr);
        Assert.Contains("99,000 flows are counted but not listed in flows.csv", run.Stderr);
        Assert.Single(run.Stderr.Trim().Split('\n'));
        System.Text.Json.JsonElement flows = System.Text.Json.JsonDocument.Parse(File.ReadAllText(dir.File("r/summary.json"))).RootElement.GetProperty("flows");
        Assert.Equal(100_000, flows.GetProperty("tcp").GetInt32());
        Assert.Empty(Directory.GetFiles(dir.File("r"), ".*"));   // the spool's partial file went with it
    }
}
