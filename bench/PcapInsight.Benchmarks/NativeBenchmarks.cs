using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.NativeAot;

namespace PcapInsight.Benchmarks;

/// <summary>
/// The micro-benchmarks as the shipped CLI runs them: compiled ahead of time (Native AOT) for this machine's processor
/// and for speed, as <c>./pcapinsight</c> builds it (<c>IlcInstructionSet=native</c>, <c>OptimizationPreference=Speed</c>),
/// instead of JIT-compiled with tiering and profile-guided optimisation. Figures differ between the two: the JIT's
/// code is optimised with the run's own profile, the native code is not.
/// </summary>
internal static class NativeBenchmarks
{
    /// <summary>
    /// A mutator: every job, the classes' own (<c>[SimpleJob(...)]</c>) included, gets the NativeAOT toolchain and the
    /// CLI's collector (server, not concurrent, without dynamic adaptation, at most 8 heaps).
    /// </summary>
    public static IConfig Config()
    {
        // BenchmarkDotNet's own NativeAOT toolchain restores the ILCompiler from dnceng's feed; the one the SDK
        // publishes with is the runtime's version, from the package source this machine has.
        string version = Environment.Version.ToString(3);
        var toolchain = NativeAotToolchain.CreateBuilder()
            .UseNuGet(version, "https://api.nuget.org/v3/index.json")
            .IlcInstructionSet("native")
            .IlcOptimizationPreference("Speed")
            .TargetFrameworkMoniker("net10.0")
            .DisplayName($"NativeAOT {version}")
            .ToToolchain();
        // Without dynamic adaptation, at most 8 heaps, as the CLI's project asks (the environment is the runtime's way
        // to say it to a benchmark's own executable).
        return DefaultConfig.Instance.AddJob(Job.Default.WithToolchain(toolchain).WithGcServer(true).WithGcConcurrent(false)
            .WithEnvironmentVariables(new EnvironmentVariable("DOTNET_GCDynamicAdaptationMode", "0"), new EnvironmentVariable("DOTNET_GCHeapCount", "8"))
            .AsMutator());
    }
}
