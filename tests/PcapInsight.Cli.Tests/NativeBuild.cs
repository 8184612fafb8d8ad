using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Cli.Tests;

/// <summary>
/// The build <c>./pcapinsight</c> makes and runs: native (ahead-of-time compiled) where clang is installed, else the
/// JIT build. Built on first use, under the wrapper's lock, once for every test that asks.
/// </summary>
public static class NativeBuild
{
    /// <summary>
    /// The tests that wait for the wrapper's build (one collection, so that while the first builds, the suite's other
    /// thread goes on with other tests instead of waiting too: xunit runs as many collections at once as there are cores).
    /// </summary>
    public const string Collection = "the wrapper's build";

    /// <summary>The wrapper a user runs from the clone.</summary>
    public static string Wrapper { get; } = Path.Combine(RepoPaths.Root, "pcapinsight");

    /// <summary>The native executable (building it first if needed); fails the test when the build is not native.</summary>
    public static string Executable
    {
        get
        {
            Assert.True(IsNative, "./pcapinsight built for the JIT although clang is here: see its build messages (run it by hand)");
            return Path.Combine(RepoPaths.Root, ".build", "cli", "pcapinsight");
        }
    }

    private static readonly Lazy<string> Kind = new(() =>
    {
        CliRun run = CliRunner.RunProcess(Wrapper, ["--version"], timeout: TimeSpan.FromMinutes(8));
        Assert.True(run.ExitCode == 0, "./pcapinsight did not build: " + run.Stderr);
        return File.ReadAllText(Path.Combine(RepoPaths.Root, ".build", "cli", ".built-from-sources")).Trim();
    });

    /// <summary>True when the wrapper built the native executable (building it first if needed).</summary>
    public static bool IsNative => Kind.Value == "native";

    /// <summary>Why a test of the native build cannot run here, or null: it needs clang (CI installs it).</summary>
    public static string? SkipReason =>
        RepoPaths.IsCi || (File.Exists("/usr/bin/clang") && Environment.GetEnvironmentVariable("PCAPINSIGHT_BUILD") != "jit")
            ? null
            : "the native build needs clang and zlib's headers (apt-get install clang zlib1g-dev), and PCAPINSIGHT_BUILD not jit; CI has both";

    /// <summary>Runs the native executable directly (the wrapper's check for changed sources left out).</summary>
    public static CliRun Run(string[] args, byte[]? stdin = null, string? workingDirectory = null) =>
        CliRunner.RunProcess(Executable, args, workingDirectory, stdin);
}

/// <summary>A fact about the native build: skipped with a stated reason where clang is missing, never in CI.</summary>
public sealed class NativeFactAttribute : FactAttribute
{
    /// <summary>Sets Skip when the native build cannot be made here.</summary>
    public NativeFactAttribute() => Skip = NativeBuild.SkipReason;

    /// <summary>Also reads the public corpus: skipped where it is absent too.</summary>
    public bool Corpus
    {
        get => false;
        init => Skip ??= value ? CorpusSkip.Reason : null;
    }

    /// <summary>Also captures live: skipped without root too.</summary>
    public bool Live
    {
        get => false;
        init => Skip ??= value ? LiveSkip.Reason : null;
    }
}

/// <summary>A theory about the native build: skipped with a stated reason where clang is missing, never in CI.</summary>
public sealed class NativeTheoryAttribute : TheoryAttribute
{
    /// <summary>Sets Skip when the native build cannot be made here.</summary>
    public NativeTheoryAttribute() => Skip = NativeBuild.SkipReason;
}
