using System.Text.RegularExpressions;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Cli.Tests;

/// <summary>A fact that runs perf: skipped with a stated reason where perf is missing, never in CI (.ci/run installs it).</summary>
public sealed class PerfFactAttribute : FactAttribute
{
    /// <summary>Sets Skip when perf is not installed outside CI.</summary>
    public PerfFactAttribute() => Skip = File.Exists("/usr/bin/perf") || RepoPaths.IsCi
        ? null
        : "perf is not installed (apt-get install linux-perf): bench/profile.sh is checked in CI, where .ci/run installs it";
}

/// <summary>
/// bench/profile.sh: one run's CPU time by thread, module and method, as the kernel's sampling saw it. What it must
/// show for the profile to be read: every thread with its seconds, the JIT-compiled code named (the runtime's perf
/// map, with W^X off: without it the code is an unnamed double mapping), and the run's own failure when it fails.
/// </summary>
[Collection(NativeBuild.Collection)]   // waits for ./pcapinsight's build, as the native build tests do
public class ProfileScriptTests
{
    private static readonly string Script = Path.Combine(RepoPaths.Root, "bench", "profile.sh");

    [PerfFact]
    public void Profile_OfAnAnalysis_ShowsEachThreadsSecondsAndNamesTheCompiledCode()
    {
        using TempDir dir = CliRunner.TempDir();
        string[] mapsBefore = PerfMaps();

        // 40 methods a thread: the sample's run is ~0.2 s (~150 samples), mostly the kernel's page faults and Skia's
        // unnamed code, so our own and the runtime's methods are seldom in a thread's top 5 (CI failed on that once).
        CliRun run = CliRunner.RunProcess("bash", [Script, "--hz", "1000", "--top", "40", "--",
            "analyze", RepoPaths.Sample("bulk-window-scaling.client.pcap"), "-o", dir.File("report"), "-q", "--no-progress"],
            timeout: TimeSpan.FromMinutes(5));

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("== by thread (CPU seconds: samples / 1000 Hz)", run.Stdout);
        // The main thread is the program's in the native build, dotnet's in the JIT build (PCAPINSIGHT_BUILD=jit).
        bool native = NativeBuild.IsNative;
        string main = native ? "pcapinsight" : "dotnet";
        Assert.Matches(@"(?m)^ +\d+\.\d{3} s +\d+\.\d+%  " + main + "$", run.Stdout);
        Assert.Contains("== by thread and module", run.Stdout);
        // The code named: the native binary's symbols (ours, the runtime's), or the JIT's perf map.
        Assert.Matches(native ? @"(?m)^ +\d+\.\d+%  \S.*  pcapinsight +$" : @"\[JIT\] tid", run.Stdout);
        Assert.Contains($"== top 40 in \"{main}\"", run.Stdout);
        if (native)
        {
            // Printed whole on failure: Assert.Matches cuts the value to its first line.
            Assert.True(Regex.IsMatch(run.Stdout, @"\[\.\] (PcapInsight|ScottPlot|S_P_CoreLib|Rhp|SVR::)\w*"), run.Stdout);
        }
        Assert.True(File.Exists(dir.File("report/report.html")), "the profiled run wrote its report");
        Assert.Equal(mapsBefore, PerfMaps());   // the run's symbol maps are removed once read
    }

    [PerfFact]
    public void Profile_OfOnePhase_ReadsOnlyThatPhasesWindow()
    {
        using TempDir dir = CliRunner.TempDir();
        string[] analyze = ["analyze", RepoPaths.Sample("bulk-window-scaling.client.pcap"), "-o", dir.File("report"), "-q", "--no-progress"];

        CliRun charts = CliRunner.RunProcess("bash", [Script, "--hz", "1000", "--top", "3", "--phase", "charts drawn", "--", .. analyze],
            timeout: TimeSpan.FromMinutes(5));

        Assert.True(charts.ExitCode == 0, charts.Stderr);
        Match window = Regex.Match(charts.Stdout,
            @"phase ""charts drawn"": from (\d+) ms to (\d+) ms of the run \(the whole run: (\d+\.\d{3}) CPU seconds\)");
        Assert.True(window.Success, charts.Stdout);
        Assert.True(int.Parse(window.Groups[2].Value) > int.Parse(window.Groups[1].Value), window.Value);
        Assert.Contains("libSkiaSharp.so", charts.Stdout);   // the window holds the drawing
        // A part of the run's CPU, from the same samples: the program's start, the analysis and the CSV are outside
        // the window. (Two separate runs cannot be compared: the native build draws this sample's charts in most of
        // its ~0.2 s, and one run's samples differ from the next's by more than the rest.)
        double whole = double.Parse(window.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(CpuSeconds(charts.Stdout) < whole, $"the phase's CPU seconds are a part of the run's ({whole} s):\n{charts.Stdout}");
    }

    /// <summary>The sum of the "by thread" section's seconds.</summary>
    private static double CpuSeconds(string profile) =>
        Regex.Matches(profile, @"(?m)^ +(\d+\.\d{3}) s +\d+\.\d+%  ").Sum(m => double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));

    [PerfFact]
    public void Profile_OfAPhaseTheRunDidNotMark_ListsTheMarksItDid()
    {
        using TempDir dir = CliRunner.TempDir();

        CliRun run = CliRunner.RunProcess("bash", [Script, "--phase", "coffee brewed", "--",
            "analyze", RepoPaths.Sample("tcp-basic.pcap"), "-o", dir.File("report"), "-q", "--no-progress"],
            timeout: TimeSpan.FromMinutes(2));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("no phase \"coffee brewed\" in this run", run.Stderr);
        Assert.Contains("  analysis done", run.Stderr);
        Assert.Contains("  report written", run.Stderr);
    }

    [PerfFact]
    public void Profile_OfAFailingRun_ExitsWithTheRunsMessage()
    {
        CliRun run = CliRunner.RunProcess("bash", [Script, "--", "analyze", "/nonexistent/capture.pcap", "-o", "/nonexistent/report"],
            timeout: TimeSpan.FromMinutes(2));

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("the run failed", run.Stderr);
        Assert.Contains("/nonexistent/capture.pcap", run.Stderr);
    }

    [Fact]
    public void Profile_WithoutArguments_SaysHowToCallIt()
    {
        CliRun run = CliRunner.RunProcess("bash", [Script]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("usage: bench/profile.sh", run.Stderr);
    }

    private static string[] PerfMaps() =>
        Directory.GetFiles("/tmp", "perf-*.map").Concat(Directory.GetFiles("/tmp", "perfinfo-*.map")).Order().ToArray();
}
