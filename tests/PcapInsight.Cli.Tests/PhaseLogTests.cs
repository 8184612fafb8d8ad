using System.Text.RegularExpressions;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Cli.Tests;

/// <summary>
/// PCAPINSIGHT_TIMING=1: the phase lines bench/compare.sh keeps for every run (timing-FILE.log), where a slow run is
/// read phase by phase. Each line says when the phase ended, the collector's pauses and collections, the bytes
/// allocated, the methods compiled at run time so far and the monotonic clock; all of them only grow.
/// </summary>
public class PhaseLogTests
{
    private static readonly Regex Line = new(
        @"^timing: (?<phase>.+) at (?<ms>\d+) ms \(GC paused (?<pause>\d+) ms; collections gen0 \d+, gen1 \d+, gen2 \d+; " +
        @"(?<mib>\d+) MiB allocated; JIT (?<methods>\d+) methods, (?<jitMs>\d+) ms, this thread (?<mainMethods>\d+) methods, (?<mainJitMs>\d+) ms; " +
        @"huge pages (?<huge>-?\d+) MiB; clock (?<clock>\d+\.\d{6}) s\)$");

    [Fact]
    public void Timing_MarksEveryPhaseOfAFullReport_InOrder()
    {
        using TempDir dir = CliRunner.TempDir();
        CliRun run = CliRunner.Run(["analyze", RepoPaths.Sample("tcp-basic.pcap"), "-o", dir.File("report"), "-q", "--no-progress"],
            environment: new Dictionary<string, string> { ["PCAPINSIGHT_TIMING"] = "1" });

        Assert.Equal(0, run.ExitCode);
        string[] lines = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.All(lines, l => Assert.Matches(Line, l));
        Match[] marks = lines.Select(l => Line.Match(l)).ToArray();
        // "threads chosen" carries the plan's reason after its name.
        string[] phases = marks.Select(m => m.Groups["phase"].Value.Split(':')[0]).ToArray();
        Assert.Equal(["main entered", "collector", "huge pages", "inputs opened", "threads chosen", "analysis done", "csv written", "charts drawn",
            "charts written", "report.html written", "report written"], phases);
        foreach (string figure in new[] { "ms", "pause", "mib", "methods", "jitMs", "mainMethods", "mainJitMs" })
        {
            long[] values = marks.Select(m => long.Parse(m.Groups[figure].Value)).ToArray();
            Assert.True(values.Zip(values.Skip(1)).All(p => p.First <= p.Second), $"{figure} went down: {string.Join(", ", values)}");
        }
        // The report's code is compiled as it first runs (what ReadyToRun could not precompile).
        Assert.True(long.Parse(marks[^1].Groups["methods"].Value) > long.Parse(marks[0].Groups["methods"].Value));
        // The main thread's share (what delays the run) is part of the whole.
        Assert.All(marks, m => Assert.True(long.Parse(m.Groups["mainMethods"].Value) <= long.Parse(m.Groups["methods"].Value)));
        Assert.True(long.Parse(marks[^1].Groups["mainMethods"].Value) > 0);
        // The monotonic clock (bench/profile.sh cuts a phase out of a perf profile with it) moves with the milliseconds
        // since the start, to within the kernel's 10 ms record of the process's start.
        double[] clock = marks.Select(m => double.Parse(m.Groups["clock"].Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.True(clock.Zip(clock.Skip(1)).All(p => p.First <= p.Second), $"the clock went back: {string.Join(", ", clock)}");
        double clockMs = (clock[^1] - clock[0]) * 1000;
        long sinceStartMs = long.Parse(marks[^1].Groups["ms"].Value) - long.Parse(marks[0].Groups["ms"].Value);
        Assert.True(Math.Abs(clockMs - sinceStartMs) <= 5, $"clock {clockMs:0.0} ms against {sinceStartMs} ms between the first and last marks");
    }

    [Fact]
    public void Timing_NamesTheCollector_ServerWithoutDynamicAdaptation_AtMostEightHeaps()
    {
        // The project's choice (PcapInsight.Cli.csproj): DATAS' small young generation collected a heap of a million
        // connections 7 times in full where the server collector's budget does 3 or 4 times (bench/RESULTS.md).
        CliRun run = CliRunner.Run(["info", RepoPaths.Sample("tcp-basic.pcap")],
            environment: new Dictionary<string, string> { ["PCAPINSIGHT_TIMING"] = "1" });

        Assert.Equal(0, run.ExitCode);
        Match collector = Regex.Match(run.Stderr, @"^timing: collector: server, (?<heaps>\d+) heaps?, dynamic adaptation off at ", RegexOptions.Multiline);
        Assert.True(collector.Success, run.Stderr);
        Assert.InRange(int.Parse(collector.Groups["heaps"].Value), 1, Math.Min(8, Environment.ProcessorCount));
    }

    [Fact]
    public void WithoutTiming_NothingIsPrinted()
    {
        using TempDir dir = CliRunner.TempDir();
        CliRun run = CliRunner.Run(["analyze", RepoPaths.Sample("tcp-basic.pcap"), "-o", dir.File("report"), "-q", "--no-progress", "--format", "csv"],
            environment: new Dictionary<string, string> { ["PCAPINSIGHT_TIMING"] = "" });

        Assert.Equal(0, run.ExitCode);
        Assert.DoesNotContain("timing:", run.Stderr);
    }
}
