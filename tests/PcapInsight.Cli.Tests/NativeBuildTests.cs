using System.Text;
using System.Text.RegularExpressions;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Cli.Tests;

/// <summary>
/// The native build (<c>./pcapinsight</c>: compiled ahead of time and trimmed) does what the JIT build does, to the
/// byte: every report file, the console, the exit code. What can differ between them is what the compiler removed or
/// could not compile ahead: reflection (the JSON of <c>info</c>, <c>events</c> and <c>interfaces</c> was serialised by
/// reflection until it failed here), the Parquet library's generic code, libpcap's and Skia's native calls. Each run
/// is in a folder of its own with the same relative output path; the console's lines naming that folder in full are
/// compared with the folder's path left out.
/// </summary>
[Collection(NativeBuild.Collection)]
public partial class NativeBuildTests
{
    public static TheoryData<string> SampleNames() => RepoPaths.SampleNames();

    [NativeTheory]
    [MemberData(nameof(SampleNames))]
    public void Analyze_EverySample_EveryFormat_SameBytesAsTheJitBuild(string sample) =>
        AssertSameAsJit(["analyze", RepoPaths.Sample(sample), "-o", "report", "--format", "all,parquet"]);

    /// <summary>The other commands, and the paths that fail (a file that is not a capture, a usage error).</summary>
    public static TheoryData<string[]> CommandLines() => new(
        ["info", "--json", Sample("tcp-basic.pcap"), Sample("rtp-gaps-jitter.pcap"), Sample("ip-fragments-overlap.pcap")],
        ["info", Sample("udp-rcvbuf-overflow.server.pcap")],
        ["events", "--json"],
        ["events", "--group", "udp", "--json"],
        ["events"],
        ["interfaces", "--json"],
        ["follow", Sample("tcp-basic.pcap"), "--flow", "1", "--direction", "s2c"],
        ["diff", Sample("bulk-loss-reorder.client.pcap"), Sample("bulk-loss-reorder.server.pcap"), "-o", "path"],
        ["analyze", Sample("nagle-delack.client.pcap"), "--json", "-o", "report", "-q", "--threads", "2"],
        ["analyze", Sample("rtp-gaps-jitter.pcap"), "-o", "report", "--udp-seq", "8:2:le", "--rcvbuf", "4096"],
        ["analyze", Path.Combine(RepoPaths.Root, "README.md"), "-o", "report"],
        ["analyze", "--no-such-option"],
        ["analyze", "--help"]);

    [NativeTheory]
    [MemberData(nameof(CommandLines))]
    public void OtherCommands_SameBytesAsTheJitBuild(string[] args)
    {
        // A misspelt sample would compare two "no such file" messages and pass without testing the command.
        Assert.All(args.Where(a => a.StartsWith(RepoPaths.SampleCaptures, StringComparison.Ordinal)), a => Assert.True(File.Exists(a), a));
        AssertSameAsJit(args);
    }

    [NativeFact]
    public void Analyze_FromStandardInput_SameBytesAsTheJitBuild() =>
        AssertSameAsJit(["analyze", "-", "-o", "report"], File.ReadAllBytes(Sample("zero-window.client.pcap")));

    /// <summary>
    /// The public corpus' captures (other writers, pcapng, link types, damaged files): every tenth by name, so that the
    /// check stays short; the whole corpus was compared by hand when the native build came (bench/RESULTS.md).
    /// </summary>
    [NativeFact(Corpus = true)]
    public void Analyze_PublicCorpus_SameBytesAsTheJitBuild()
    {
        string[] files = Directory.GetFiles(RepoPaths.Corpus!).Where(f => !f.EndsWith(".tsv", StringComparison.Ordinal) && !f.EndsWith(".md", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).Where((_, i) => i % 10 == 0).ToArray();
        Assert.True(files.Length >= 20, $"{files.Length} corpus files");
        foreach (string file in files)
        {
            AssertSameAsJit(["analyze", file, "-o", "report", "--format", "all,parquet"]);
        }
    }

    /// <summary>
    /// The native program copied alone, without the chart library's libSkiaSharp.so beside it: a report with charts
    /// (the default formats, png or html, analyze or live) is refused at once with what to do, before any capture is
    /// read and without a stack trace; the tables alone are written as usual.
    /// </summary>
    public static TheoryData<string[], int> CopiedAloneCases() => new()
    {
        { ["analyze", Sample("tcp-basic.pcap"), "-o", "report"], ExitCodes.InternalError },
        { ["analyze", Sample("tcp-basic.pcap"), "-o", "report", "--format", "png"], ExitCodes.InternalError },
        { ["analyze", Sample("tcp-basic.pcap"), "-o", "report", "--format", "html,csv"], ExitCodes.InternalError },
        { ["live", "-i", "lo", "--duration", "1", "-o", "report"], ExitCodes.InternalError },
        { ["analyze", Sample("tcp-basic.pcap"), "-o", "report", "--format", "csv,json,parquet"], ExitCodes.Success },
    };

    [NativeTheory]
    [MemberData(nameof(CopiedAloneCases))]
    public void CopiedWithoutTheChartLibrary_ChartsRefusedAtOnce_TablesWritten(string[] args, int exitCode)
    {
        using var dir = CliRunner.TempDir();
        string alone = Path.Combine(dir.Path, "bin", "pcapinsight");
        Directory.CreateDirectory(Path.GetDirectoryName(alone)!);
        File.Copy(NativeBuild.Executable, alone);   // with its mode: executable

        CliRun run = CliRunner.RunProcess(alone, args, dir.Path);

        Assert.True(run.ExitCode == exitCode, $"exit {run.ExitCode}\n{run.Stderr}");
        Assert.DoesNotContain("internal error", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Stderr, StringComparison.Ordinal);
        string report = Path.Combine(dir.Path, "report");
        if (exitCode == ExitCodes.Success)
        {
            Assert.True(File.Exists(Path.Combine(report, "flows.csv")) && File.Exists(Path.Combine(report, "summary.json")), run.Stderr);
        }
        else
        {
            Assert.Contains($"libSkiaSharp.so, is neither beside the program ({Path.GetDirectoryName(alone)})", run.Stderr, StringComparison.Ordinal);
            Assert.Contains("--format csv,json", run.Stderr, StringComparison.Ordinal);
            Assert.False(Directory.Exists(report), "nothing written before the refusal");
        }
    }

    private static string Sample(string name) => RepoPaths.Sample(name);

    /// <summary>Runs both builds on <paramref name="args"/>, each in a folder of its own, and compares everything they wrote.</summary>
    private static void AssertSameAsJit(string[] args, byte[]? stdin = null)
    {
        using var jitDir = CliRunner.TempDir();
        using var nativeDir = CliRunner.TempDir();
        CliRun jit = CliRunner.Run(args, jitDir.Path, stdin);
        CliRun native = NativeBuild.Run(args, stdin, nativeDir.Path);

        string what = string.Join(' ', args);
        Assert.True(jit.ExitCode == native.ExitCode, $"{what}: exit code {native.ExitCode} native, {jit.ExitCode} JIT\n{native.Stderr}");
        // The console names the output folder in full ("Report: /tmp/.../report"): a difference allowed.
        string jitOut = Stamped(jit.Stdout.Replace(jitDir.Path, "DIR")), nativeOut = Stamped(native.Stdout.Replace(nativeDir.Path, "DIR"));
        string jitErr = Stamped(jit.Stderr.Replace(jitDir.Path, "DIR")), nativeErr = Stamped(native.Stderr.Replace(nativeDir.Path, "DIR"));
        Assert.True(jitOut == nativeOut, $"{what}: standard output differs\n--- native\n{nativeOut}\n--- JIT\n{jitOut}");
        Assert.True(jitErr == nativeErr, $"{what}: standard error differs\n--- native\n{nativeErr}\n--- JIT\n{jitErr}");
        string[] written = Files(jitDir.Path);
        Assert.Equal(written, Files(nativeDir.Path));
        foreach (string file in written)
        {
            byte[] a = File.ReadAllBytes(Path.Combine(jitDir.Path, file)), b = File.ReadAllBytes(Path.Combine(nativeDir.Path, file));
            bool same = file.EndsWith(".png", StringComparison.Ordinal) || file.EndsWith(".parquet", StringComparison.Ordinal)
                ? a.AsSpan().SequenceEqual(b)
                : Stamped(Encoding.UTF8.GetString(a)) == Stamped(Encoding.UTF8.GetString(b));
            Assert.True(same, $"{what}: {file} differs");
        }
    }

    /// <summary>
    /// The commit in the version stamp (summary.json, report.html, --version) left out: the native build is remade when
    /// the sources change, not at every commit, so after a commit of tests or docs alone it still names the one before
    /// (and a build from uncommitted sources says .modified after it, which the other build may not).
    /// </summary>
    private static string Stamped(string text) => CommitStamp().Replace(text, "+COMMIT");

    [GeneratedRegex(@"(\+|\\u002B)[0-9a-f]{40}(\.modified)?")]
    private static partial Regex CommitStamp();

    private static string[] Files(string dir) =>
        Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(dir, f)).Order(StringComparer.Ordinal).ToArray();
}

/// <summary>libpcap through SharpPcap's native calls, in the native build (one live capture at a time: loopback is shared).</summary>
[Collection("live")]
public class NativeLiveTests
{
    /// <summary>A live capture by the native build finds what analyze (the JIT build) finds in the pcapng it saved.</summary>
    [NativeFact(Live = true)]
    public void Live_OnLoopback_FindsTheNagleStallsAsAnalyzeDoes()
    {
        using var dir = CliRunner.TempDir();
        int port = LiveCaptureTests.FreePort();
        using LiveProcess live = LiveProcess.Start(["-i", "lo", "-f", $"tcp port {port}", "-w", dir.File("live.pcapng"), "-o", dir.File("live"),
            "--format", "csv,json"], program: [NativeBuild.Executable]);

        Traffic.WriteWriteRead(port, requests: 20);
        live.Signal(2);   // Ctrl-C
        CliRun run = live.WaitForExit();

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.InRange(LiveCaptureTests.EventCounts(dir.File("live")).GetValueOrDefault("tcp.nagle_stall"), 10, 20);
        LiveCaptureTests.AssertSameAsAnalyze(dir.File("live"), dir.File("live.pcapng"), dir.File("analyze"));
    }
}
