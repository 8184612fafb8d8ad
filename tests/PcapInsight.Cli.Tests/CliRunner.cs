using System.Diagnostics;
using PcapInsight.TestKit;

namespace PcapInsight.Cli.Tests;

/// <summary>The outcome of one run of the real CLI process.</summary>
public sealed record CliRun(int ExitCode, string Stdout, string Stderr);

/// <summary>
/// Runs the built <c>pcapinsight.dll</c> (copied beside the test assembly) as a separate process, as a user would,
/// with a time limit.
/// </summary>
public static class CliRunner
{
    /// <summary>The CLI built beside the test assembly.</summary>
    public static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "pcapinsight.dll");

    /// <summary>
    /// Runs <c>dotnet pcapinsight.dll ARGS</c> in <paramref name="workingDirectory"/> (default: the repo root), with
    /// <paramref name="environment"/>'s variables added to the test's own.
    /// </summary>
    public static CliRun Run(string[] args, string? workingDirectory = null, byte[]? stdin = null, TimeSpan? timeout = null,
        IReadOnlyDictionary<string, string>? environment = null) =>
        RunProcess("dotnet", [Dll, .. args], workingDirectory, stdin, timeout, environment);

    /// <summary>Runs any program with a time limit, capturing its output.</summary>
    public static CliRun RunProcess(string program, string[] args, string? workingDirectory = null, byte[]? stdin = null, TimeSpan? timeout = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory ?? RepoPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }
        using var process = Process.Start(info)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            process.StandardInput.BaseStream.Write(stdin);
        }
        process.StandardInput.Close();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(120)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish in time");
        }
        process.WaitForExit();
        return new CliRun(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>A fresh temporary folder, deleted when disposed.</summary>
    public static TempDir TempDir() => new();
}

/// <summary>A temporary folder for one test.</summary>
public sealed class TempDir : IDisposable
{
    /// <summary>Creates it.</summary>
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "pcapinsight-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    /// <summary>Its path.</summary>
    public string Path { get; }

    /// <summary>A path inside it.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
