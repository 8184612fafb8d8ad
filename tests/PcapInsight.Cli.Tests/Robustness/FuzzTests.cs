using System.Text.RegularExpressions;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Cli.Tests.Robustness;

/// <summary>A fact that runs afl-fuzz: skipped with a stated reason where afl++ is missing, never in CI (which installs it).</summary>
public sealed class FuzzFactAttribute : TheoryAttribute
{
    /// <summary>Sets Skip where afl-fuzz is not on the PATH, outside CI.</summary>
    public FuzzFactAttribute() => Skip = RepoPaths.IsCi || ToolPath.Has("afl-fuzz")
        ? null
        : "coverage-guided fuzzing needs afl++ (apt-get install afl++), which CI installs";
}

/// <summary>
/// A short coverage-guided run of each fuzz target, as fuzz/README.md documents: fuzz/fuzz.sh builds the harness,
/// instruments PcapInsight.Core, seeds it from the sample, corpus and regression captures, and runs afl-fuzz. The
/// run must execute, find new paths, and find no crash and no hang (a finding fails the test with its exception).
/// </summary>
public sealed partial class FuzzTests
{
    [GeneratedRegex(@"target (\w+): (\d+) executions in (\d+) s .*?, (\d+) paths, .*crashes (\d+), hangs (\d+)")]
    private static partial Regex Summary();

    [FuzzFact]
    [InlineData("capture")]
    [InlineData("frames")]
    [InlineData("threads")]
    public void ShortFuzzRun_ExecutesAndFindsNoCrashOrHang(string target)
    {
        using var dir = CliRunner.TempDir();

        CliRun run = CliRunner.RunProcess("bash", [Path.Combine(RepoPaths.Root, "fuzz", "fuzz.sh"), "--target", target, "--seconds", "30", "--out", dir.Path],
            timeout: TimeSpan.FromMinutes(6));

        Match m = Summary().Match(run.Stdout);
        Assert.True(m.Success, $"exit {run.ExitCode}\n{run.Stdout}\n{run.Stderr}");
        Assert.True(run.ExitCode == 0, $"the fuzzer found something:\n{run.Stdout}");
        Assert.Equal(target, m.Groups[1].Value);
        Assert.True(long.Parse(m.Groups[2].Value) >= 1_000, m.Value);
        Assert.True(int.Parse(m.Groups[4].Value) > 0, m.Value);
        Assert.Equal(("0", "0"), (m.Groups[5].Value, m.Groups[6].Value));
    }
}

/// <summary>Every input that once crashed or hung the analyzer (Robustness/Regressions/README.md), analysed end to end.</summary>
public sealed class FuzzRegressionTests
{
    private static readonly string Folder = Path.Combine(RepoPaths.Root, "tests", "PcapInsight.Cli.Tests", "Robustness", "Regressions");

    private static IEnumerable<string> Names() => Directory.GetFiles(Folder).Select(f => Path.GetFileName(f)).Where(n => n != "README.md").Order(StringComparer.Ordinal);

    public static TheoryData<string> Captures() => new(Names());

    [Theory]
    [MemberData(nameof(Captures))]
    public void Regression_IsReportedOrRefusedWithOneLine_NeverAnInternalError(string name)
    {
        using var dir = CliRunner.TempDir();

        CliRun run = CliRunner.Run(["analyze", Path.Combine(Folder, name), "-o", dir.Path, "-q", "--format", "csv,json,html"], timeout: TimeSpan.FromSeconds(60));

        Assert.DoesNotContain("internal error", run.Stderr);
        Assert.True(run.ExitCode is 0 or 3, $"exit {run.ExitCode}: {run.Stderr}");
        if (run.ExitCode == 3)
        {
            Assert.Single(run.Stderr.Trim().Split('\n'));
        }
        else
        {
            Assert.True(File.Exists(Path.Combine(dir.Path, "summary.json")));
        }
    }

    [Fact]
    public void Catalogue_ListsEveryRegressionCapture()
    {
        string readme = File.ReadAllText(Path.Combine(Folder, "README.md"));
        foreach (string name in Names())
        {
            Assert.Contains($"`{name}`", readme);
        }
    }
}
