using System.Diagnostics;
using System.Globalization;

namespace PcapInsight.Cli;

/// <summary>
/// With PCAPINSIGHT_TIMING=1, prints to stderr how long each phase took since the process started (startup,
/// opening, analysis, report), the garbage collector's pauses so far and the methods compiled at run time so far (on
/// every thread, and on the main thread: the share that delays the run):
/// the breakdown behind bench/compare.sh's whole-process figures, and the memory held in huge pages
/// (<see cref="HeapHugePages"/>). Each line ends with the monotonic clock (Linux's CLOCK_MONOTONIC, which
/// <c>perf record -k CLOCK_MONOTONIC</c> stamps its samples with), so that bench/profile.sh can cut one phase
/// out of a profile; the milliseconds since the start are only as exact as the kernel's record of
/// the process's start (10 ms).
/// </summary>
/// <remarks>
/// The JIT's share is the fixed cost of a run: the assemblies are precompiled (ReadyToRun), but not the framework's
/// generic collections and LINQ over our own value types (ReadyToRun precompiles a framework generic over our types
/// only when the framework is in the app's version bubble, a self-contained composite build), so the analysis and the
/// report keep to collections of their own (PcapInsight.Core.Collections, ReportOrder); a full report of a sample
/// capture still compiles about 650 methods, most of them the chart library's, in about 0.2 s of JIT time over the
/// threads, of which the main thread's figure is the part that delays the run.
/// </remarks>
internal static class PhaseLog
{
    /// <summary>Whether PCAPINSIGHT_TIMING=1 asked for the phase lines.</summary>
    public static readonly bool Enabled = Environment.GetEnvironmentVariable("PCAPINSIGHT_TIMING") == "1";

    /// <summary>
    /// The collector the runtime chose, as it reports it: server or workstation, its heaps, and whether dynamic
    /// adaptation (DATAS) is on. The CLI's project asks for the server collector without DATAS, at most 8 heaps; the
    /// runtime's environment variables override it (DATAS back: <c>DOTNET_GCHeapCount=0 DOTNET_GCDynamicAdaptationMode=1</c>,
    /// since a heap count alone turns DATAS off), and a run's figures are read against the collector that made them.
    /// </summary>
    public static string Collector()
    {
        IReadOnlyDictionary<string, object> gc = GC.GetConfigurationVariables();
        bool server = System.Runtime.GCSettings.IsServerGC;
        long heaps = server && gc.TryGetValue("HeapCount", out object? count) ? Convert.ToInt64(count, CultureInfo.InvariantCulture) : 1;
        bool adapting = gc.TryGetValue("GCDynamicAdaptationMode", out object? mode) && Convert.ToInt64(mode, CultureInfo.InvariantCulture) != 0;
        return $"{(server ? "server" : "workstation")}, {heaps} {(heaps == 1 ? "heap" : "heaps")}, dynamic adaptation {(server && adapting ? "on" : "off")}";
    }

    public static void Mark(string phase)
    {
        if (Enabled)
        {
            long clock = Stopwatch.GetTimestamp();   // the same instant as the milliseconds, before the figures are gathered
            TimeSpan sinceStart = DateTime.Now - Process.GetCurrentProcess().StartTime;
            // The collector's share: on captures of many flows the pauses are a large part of the analysis.
            Console.Error.WriteLine($"timing: {phase} at {sinceStart.TotalMilliseconds:0} ms (GC paused {GC.GetTotalPauseDuration().TotalMilliseconds:0} ms; " +
                $"collections gen0 {GC.CollectionCount(0)}, gen1 {GC.CollectionCount(1)}, gen2 {GC.CollectionCount(2)}; {GC.GetTotalAllocatedBytes() >> 20} MiB allocated; " +
                $"JIT {System.Runtime.JitInfo.GetCompiledMethodCount()} methods, {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:0} ms, " +
                $"this thread {System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: true)} methods, {System.Runtime.JitInfo.GetCompilationTime(currentThread: true).TotalMilliseconds:0} ms; " +
                $"huge pages {HeapHugePages.InUseMiB()} MiB; " +
                $"clock {(clock / (double)Stopwatch.Frequency).ToString("0.000000", CultureInfo.InvariantCulture)} s)");
        }
    }
}
