using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;

namespace PcapInsight.Benchmarks;

/// <summary>
/// What one analysis allocates, by type and by the stack that allocated it: the runtime's allocation ticks (one about
/// every 100 KB allocated, so a type's share is sampled, not counted) from an EventPipe session this process opens on
/// itself, resolved to methods with TraceEvent once the analysis is over.
/// </summary>
/// <remarks>
/// Why: the counters (GC.GetTotalAllocatedBytes) say how much, a heap dump what is alive; neither says which line
/// allocated what died. Sessions with this found an array of five strings a TCP event row (string concatenation) and
/// 41 MB of copies in the event rows' selection (bench/RESULTS.md). Run with <c>DOTNET_ReadyToRun=0</c> so that the
/// framework's frames are named too (precompiled code has no method events); our own code is named either way.
/// </remarks>
public static class AllocationStacks
{
    /// <summary>Prints the <paramref name="top"/> types and stacks of an analysis of <paramref name="path"/> on <paramref name="threads"/> threads.</summary>
    public static void Run(string path, int threads, int top, string typeFilter)
    {
        string trace = Path.Combine(Path.GetTempPath(), $"pcapinsight-allocations-{Environment.ProcessId}.nettrace");
        string spool = Directory.CreateTempSubdirectory("pcapinsight-allocations-").FullName;
        try
        {
            // The GC keyword at verbose level is what carries the allocation ticks; loader and JIT keywords name the methods.
            const long GcLoaderJit = 0x1 | 0x8 | 0x10;
            var providers = new[] { new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Verbose, GcLoaderJit) };
            long allocated;
            using (EventPipeSession session = new DiagnosticsClient(Environment.ProcessId).StartEventPipeSession(providers, requestRundown: true, circularBufferMB: 512))
            {
                Task copy = Task.Run(() =>
                {
                    using FileStream file = File.Create(trace);
                    session.EventStream.CopyTo(file);
                });
                long before = GC.GetTotalAllocatedBytes(precise: true);
                using (IPacketSource source = CaptureFile.Open(path))
                {
                    GC.KeepAlive(ShardedAnalysis.Run(source, [source.Stats], new AnalysisOptions { SpoolDirectory = spool }, threads));
                }
                allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
                session.Stop();
                copy.Wait();
            }
            Print(trace, allocated, top, typeFilter);
        }
        finally
        {
            Directory.Delete(spool, recursive: true);
            File.Delete(trace);
            File.Delete(Path.ChangeExtension(trace, ".etlx"));
        }
    }

    private static void Print(string trace, long allocated, int top, string typeFilter)
    {
        var byType = new Dictionary<string, long>();
        var byStack = new Dictionary<string, long>();
        using (var log = new TraceLog(TraceLog.CreateFromEventPipeDataFile(trace)))
        {
            foreach (TraceEvent e in log.Events)
            {
                if (e is not GCAllocationTickTraceData tick)
                {
                    continue;
                }
                byType[tick.TypeName] = byType.GetValueOrDefault(tick.TypeName) + tick.AllocationAmount64;
                if (!tick.TypeName.Contains(typeFilter, StringComparison.Ordinal))
                {
                    continue;
                }
                string stack = tick.TypeName + Frames(tick.CallStack());
                byStack[stack] = byStack.GetValueOrDefault(stack) + tick.AllocationAmount64;
            }
        }
        Console.WriteLine($"allocated in the analysis: {allocated / 1e6:0.0} MB; sampled by type:");
        foreach ((string type, long bytes) in byType.OrderByDescending(t => t.Value).Take(top))
        {
            Console.WriteLine($"{bytes / 1e6,9:0.0} MB  {type}");
        }
        Console.WriteLine();
        Console.WriteLine($"by stack{(typeFilter.Length > 0 ? $" (types with '{typeFilter}')" : "")}, the allocating frame first:");
        foreach ((string stack, long bytes) in byStack.OrderByDescending(s => s.Value).Take(top))
        {
            Console.WriteLine($"{bytes / 1e6,9:0.0} MB  {stack}");
            Console.WriteLine();
        }
    }

    /// <summary>The first frames of our code up the stack (and the framework's between them), one a line.</summary>
    private static string Frames(TraceCallStack? stack)
    {
        var frames = new List<string>();
        for (TraceCallStack? s = stack; s is not null && frames.Count < 6; s = s.Caller)
        {
            string method = s.CodeAddress.FullMethodName;
            if (method.Length > 0)
            {
                // Without the parameters and our namespace's prefix: a frame a line that fits a terminal.
                int parameters = method.IndexOf('(', StringComparison.Ordinal);
                frames.Add("\n              <= " + (parameters > 0 ? method[..parameters] : method).Replace("PcapInsight.Core.", "", StringComparison.Ordinal));
            }
        }
        return string.Concat(frames);
    }
}
