using System.Diagnostics;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;

namespace PcapInsight.Benchmarks;

/// <summary>
/// Splits a whole-file run into phases, in process and after a warm-up pass, so startup and JIT are out of the
/// figures: reading alone, then reading + decoding + flow tracking.
/// </summary>
public static class PhaseTimer
{
    /// <summary>Prints the phases for <paramref name="path"/>.</summary>
    public static void Run(string path)
    {
        for (int pass = 0; pass < 3; pass++)
        {
            var clock = Stopwatch.StartNew();
            long frames = 0;
            using (IPacketSource source = CaptureFile.Open(path))
            {
                while (source.TryRead(out _, out _))
                {
                    frames++;
                }
            }
            double read = clock.Elapsed.TotalSeconds;

            clock.Restart();
            using (IPacketSource source = CaptureFile.Open(path))
            {
                CaptureAnalyzer.Run(source, [source.Stats]);
            }
            double analyze = clock.Elapsed.TotalSeconds;
            Console.WriteLine($"pass {pass}: {frames} frames; read {read:0.000} s ({frames / read / 1e6:0.00} M/s), read+decode+flows {analyze:0.000} s ({frames / analyze / 1e6:0.00} M/s)");
        }
    }

    /// <summary>Heap held by a finished analysis of <paramref name="path"/>, per flow: what a report's flows cost in memory.</summary>
    public static void Memory(string path)
    {
        long before = GC.GetTotalMemory(forceFullCollection: true);
        AnalysisResult result;
        using (IPacketSource source = CaptureFile.Open(path))
        {
            result = CaptureAnalyzer.Run(source, [source.Stats]);
        }
        long after = GC.GetTotalMemory(forceFullCollection: true);
        int flows = result.Flows.Count;
        Console.WriteLine($"{flows} flows listed: {(after - before) / 1048576.0:0.0} MiB held, {(after - before) / Math.Max(1, flows)} bytes a flow; peak working set {Environment.WorkingSet / 1048576} MiB");
        GC.KeepAlive(result);
    }
}
