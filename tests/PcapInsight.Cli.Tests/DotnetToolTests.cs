using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Cli.Tests;

/// <summary>The CLI installs like any .NET tool, from the package the repository builds, and says which build it is.</summary>
[Collection(NativeBuild.Collection)]   // waits for ./pcapinsight's build, as the native build tests do
public class DotnetToolTests
{
    [Fact]
    public void Version_PrintsTheVersionAndTheCommit()
    {
        CliRun run = CliRunner.Run(["--version"]);

        Assert.Equal(0, run.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+\+[0-9a-f]{40}(\.modified)?\s*$", run.Stdout);   // .modified: built from uncommitted sources
    }

    /// <summary>
    /// The stamp names the commit only where the build is that commit: a clone as committed, then the same clone with a
    /// source changed, then with a source file added (each asked of MSBuild, as the build computes it).
    /// </summary>
    [Fact]
    public void Version_SaysWhenTheSourcesAreNotTheCommits()
    {
        using var dir = CliRunner.TempDir();
        string clone = dir.File("clone");
        CliRun cloned = CliRunner.RunProcess("git", ["clone", "-q", "--no-hardlinks", RepoPaths.Root, clone], timeout: TimeSpan.FromMinutes(2));
        Assert.True(cloned.ExitCode == 0, cloned.Stderr);
        string head = CliRunner.RunProcess("git", ["-C", clone, "rev-parse", "HEAD"]).Stdout.Trim();

        string committed = $@"^\d+\.\d+\.\d+\+{head}$", modified = $@"^\d+\.\d+\.\d+\+{head}\.modified$";
        Assert.Matches(committed, StampOf(clone));

        File.AppendAllText(Path.Combine(clone, "src/PcapInsight.Cli/Program.cs"), "// changed\n");
        Assert.Matches(modified, StampOf(clone));

        CliRunner.RunProcess("git", ["-C", clone, "checkout", "-q", "--", "."]);
        Assert.Matches(committed, StampOf(clone));
        File.WriteAllText(Path.Combine(clone, "src/PcapInsight.Core/Added.cs"), "namespace PcapInsight.Core;\n");
        Assert.Matches(modified, StampOf(clone));

        static string StampOf(string clone)
        {
            CliRun run = CliRunner.RunProcess("dotnet", ["msbuild", Path.Combine(clone, "src/PcapInsight.Cli/PcapInsight.Cli.csproj"), "-nologo",
                "-t:AddSourceRevisionToInformationalVersion", "-getProperty:InformationalVersion"], timeout: TimeSpan.FromMinutes(3));
            Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
            return run.Stdout.Trim();
        }
    }

    /// <summary>
    /// `dotnet pack`, then `dotnet tool install` from that folder, as the README says. Where clang and zlib's headers are
    /// there on x64 Linux (CI), the package names two more that the same pack makes: PcapInsight.linux-x64, which the install takes
    /// here (the native executable, no pcapinsight.dll beside it), and PcapInsight.any for every other system (what
    /// dotnet runs), whose report is held to the same bytes. Elsewhere it is one package that dotnet runs.
    /// </summary>
    [Fact]
    public void Pack_ThenToolInstallInACleanFolder_PutsAWorkingPcapinsightThere()
    {
        using var dir = CliRunner.TempDir();
        // Under ./pcapinsight's build lock: its publish (for this machine's runtime, which tests of the bench scripts
        // start) restores the same src/*/obj assets, and a pack restoring them without the runtime in between failed
        // it with NETSDK1047 in a CI run.
        string cliBuild = Path.Combine(RepoPaths.Root, ".build", "cli");
        Directory.CreateDirectory(cliBuild);
        CliRun pack = CliRunner.RunProcess("flock", [Path.Combine(cliBuild, ".lock"), "dotnet", "pack",
            Path.Combine(RepoPaths.Root, "src/PcapInsight.Cli/PcapInsight.Cli.csproj"), "-c", "Release",
            "-o", dir.File("nupkg"), "--nologo", "-v", "quiet"], timeout: TimeSpan.FromMinutes(10));
        Assert.True(pack.ExitCode == 0, pack.Stdout + pack.Stderr);
        bool native = OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.X64
            && File.Exists("/usr/bin/clang") && File.Exists("/usr/include/zlib.h");
        string[] packages = native ? ["PcapInsight.0.9.0.nupkg", "PcapInsight.any.0.9.0.nupkg", "PcapInsight.linux-x64.0.9.0.nupkg"] : ["PcapInsight.0.9.0.nupkg"];
        Assert.Equal(packages, Directory.GetFiles(dir.File("nupkg")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Directory.CreateDirectory(dir.File("clean"));

        CliRun install = CliRunner.RunProcess("dotnet", ["tool", "install", "PcapInsight", "--tool-path", dir.File("tools"), "--add-source", dir.File("nupkg")],
            workingDirectory: dir.File("clean"), timeout: TimeSpan.FromMinutes(3));
        Assert.True(install.ExitCode == 0, install.Stdout + install.Stderr);

        CliRun run = CliRunner.RunProcess(dir.File("tools/pcapinsight"), ["analyze", RepoPaths.Sample("zero-window.client.pcap"), "-o", dir.File("clean/report"), "-q"],
            workingDirectory: dir.File("clean"));
        Assert.Equal(0, run.ExitCode);
        Assert.True(File.Exists(dir.File("clean/report/report.html")));
        Assert.True(File.Exists(dir.File("clean/report/charts/flow-1-time-sequence.png")));   // the chart library's native part came along
        Assert.Matches(@"^\d+\.\d+\.\d+\+[0-9a-f]{40}", CliRunner.RunProcess(dir.File("tools/pcapinsight"), ["--version"]).Stdout);
        string installed = Path.GetDirectoryName(new FileInfo(dir.File("tools/pcapinsight")).ResolveLinkTarget(returnFinalTarget: true)!.FullName)!;
        Assert.Equal(native, installed.Contains("pcapinsight.linux-x64", StringComparison.Ordinal));
        Assert.Equal(!native, File.Exists(Path.Combine(installed, "pcapinsight.dll")));
        if (!native)
        {
            return;
        }

        // The package for every other system: what dotnet runs writes the native tool's report.
        string any = dir.File("any");
        System.IO.Compression.ZipFile.ExtractToDirectory(dir.File("nupkg/PcapInsight.any.0.9.0.nupkg"), any);
        CliRun anyRun = CliRunner.RunProcess("dotnet", [Path.Combine(any, "tools/net10.0/any/pcapinsight.dll"), "analyze", RepoPaths.Sample("zero-window.client.pcap"),
            "-o", dir.File("clean/report-any"), "-q"], workingDirectory: dir.File("clean"), timeout: TimeSpan.FromMinutes(2));
        Assert.True(anyRun.ExitCode == 0, anyRun.Stdout + anyRun.Stderr);
        foreach (string file in Directory.GetFiles(dir.File("clean/report"), "*", SearchOption.AllDirectories))
        {
            string name = Path.GetRelativePath(dir.File("clean/report"), file);
            Assert.True(File.ReadAllBytes(file).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(dir.File("clean/report-any"), name))), $"{name} differs");
        }
    }
}
