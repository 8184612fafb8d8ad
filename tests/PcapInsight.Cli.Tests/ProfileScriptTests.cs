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
public class ProfileScriptTests
{
    private static readonly string Script = Path.Combine(RepoPaths.Root, "bench", "profile.sh");

    [PerfFact]
    public void Profile_OfAnAnalysis_ShowsEachThreadsSecondsAndNamesTheCompiledCode()
    {
        using TempDir dir = CliRunner.TempDir();
        string[] mapsBefore = PerfMaps();

        CliRun run = CliRunner.RunProcess("bash", [Script, "--hz", "1000", "--top", "5", "--",
            "analyze", RepoPaths.Sample("bulk-window-scaling.client.pcap"), "-o", dir.File("report"), "-q", "--no-progress"],
            timeout: TimeSpan.FromMinutes(5));

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("== by thread (CPU seconds: samples / 1000 Hz)", run.Stdout);
        Assert.Matches(@"(?m)^ +\d+\.\d{3} s +\d+\.\d+%  dotnet$", run.Stdout);   // the main thread
        Assert.Contains("== by thread and module", run.Stdout);
        Assert.Contains("[JIT] tid", run.Stdout);
        Assert.Contains("== top 5 in \"dotnet\"", run.Stdout);
        Assert.True(File.Exists(dir.File("report/report.html")), "the profiled run wrote its report");
        Assert.Equal(mapsBefore, PerfMaps());   // the run's symbol maps are removed once read
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
