using System.Globalization;
using System.Text.RegularExpressions;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Cli.Tests;

/// <summary>A fact that runs bench/compare.sh: skipped with a stated reason where its tools are missing, never in CI.</summary>
public sealed class CompareScriptFactAttribute : FactAttribute
{
    /// <summary>Sets Skip when /usr/bin/time or tcpdump is not installed outside CI.</summary>
    public CompareScriptFactAttribute() => Skip = (File.Exists("/usr/bin/time") && File.Exists("/usr/bin/tcpdump")) || RepoPaths.IsCi
        ? null
        : "bench/compare.sh needs /usr/bin/time and tcpdump (apt-get install time tcpdump): checked in CI, where .ci/run installs them";
}

/// <summary>
/// bench/compare.sh, the performance issue's whole-process benchmark, on a capture small enough for a test (a sample
/// capture in the place of small.pcap, which the script then reuses instead of writing ten million packets): every row
/// it times, the multi-core speed-up from runs taken in turn, and the targets table.
/// </summary>
[Collection(NativeBuild.Collection)]   // the script builds ./pcapinsight as the wrapper does: one build at a time
public class CompareScriptTests
{
    private static readonly string Script = Path.Combine(RepoPaths.Root, "bench", "compare.sh");

    [CompareScriptFact]
    public void OneCapture_EveryRowTimed_TheSpeedUpFromRunsInTurn_AndTheTargetsTable()
    {
        using TempDir bench = CliRunner.TempDir();
        File.Copy(RepoPaths.Sample("bulk-loss-reorder.client.pcap"), bench.File("small.pcap"));

        CliRun run = CliRunner.RunProcess("bash", [Script, "--only", "small", "--skip-slow", "--runs", "3"],
            timeout: TimeSpan.FromMinutes(8), environment: new Dictionary<string, string> { ["BENCH_DIR"] = bench.Path });

        Assert.True(run.ExitCode == 0, run.Stderr + run.Stdout);
        string o = run.Stdout;
        Assert.Matches(@"(?m)^machine: \d+ cores, .*best of 3 runs", o);
        Assert.Matches(@"(?m)^small\.pcap: \d+ MB, \d+ packets$", o);
        int cores = Environment.ProcessorCount;
        string[] rows =
        [
            "cat > /dev/null",
            "tcpdump -r FILE -w /dev/null",
            "pcapinsight info (read + decode)",
            "pcapinsight analyze csv,json (default: ",
            "pcapinsight analyze csv,json --threads 1",
            $"pcapinsight analyze csv,json --threads {cores}",
            "pcapinsight analyze (+ charts, html)",
        ];
        foreach (string row in rows)
        {
            // Each row: its seconds, rates, peak RSS, the best run's CPU and the slowest run.
            Assert.True(Regex.IsMatch(o, @"(?m)^  " + Regex.Escape(row) + @".*? [\d.]+ s .*pkt/s .*MB/s  peak RSS +\d+ MiB  CPU +[\d.]+ s  \(slowest [\d.]+ s\)$"),
                $"row \"{row}\" missing or malformed:\n{o}");
        }
        // The speed-up is the median of three pairs of runs taken in turn, within the range of the pairs.
        Match speedUp = Regex.Match(o, $@"--threads {cores} speed-up ([\d.]+) \(median of 3 runs in turn, each pair from ([\d.]+) to ([\d.]+)\)");
        Assert.True(speedUp.Success, o);
        double median = Number(speedUp.Groups[1].Value), low = Number(speedUp.Groups[2].Value), high = Number(speedUp.Groups[3].Value);
        Assert.True(low > 0 && low <= median && median <= high, speedUp.Value);
        // The pairs' runs are in the timing log, each named with the run it was taken in turn with.
        string log = File.ReadAllText(bench.File("timing-small.pcap.log"));
        for (int i = 1; i <= 3; i++)
        {
            Assert.Contains($"--threads 1 (run {i}, in turn with --threads {cores})", log);
            Assert.Contains($"--threads {cores} (run {i}, in turn with --threads 1)", log);
        }
        Assert.Contains("targets (the performance issue's, full analyze with charts and report.html, this run):", o);
        Assert.Matches(@"(?m)^  small\.pcap +not run +[\d.]+ x (met|not met) +[\d.]+ x +[\d.]+ x +\d+ MiB (met|not met)$", o);
    }

    private static double Number(string s) => double.Parse(s, CultureInfo.InvariantCulture);
}
