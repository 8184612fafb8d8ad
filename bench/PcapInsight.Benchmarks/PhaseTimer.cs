using System.Diagnostics;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Flows;

namespace PcapInsight.Benchmarks;

/// <summary>
/// Splits a whole-file run into phases, in process and after a warm-up pass, so startup and JIT are out of the
/// figures: reading alone; reading + decoding (the census of <c>pcapinsight info</c>); reading + decoding + flow
/// table (the foundation's pipeline); and the whole analysis (every detector).
/// </summary>
public static class PhaseTimer
{
    /// <summary>Prints the phases for <paramref name="path"/>, best of <paramref name="passes"/>.</summary>
    public static void Run(string path, int passes = 5)
    {
        var best = new double[4];
        Array.Fill(best, double.MaxValue);
        long frames = 0;
        for (int pass = 0; pass < passes; pass++)
        {
            var clock = Stopwatch.StartNew();
            frames = 0;
            using (IPacketSource source = CaptureFile.Open(path))
            {
                while (source.TryRead(out _, out _))
                {
                    frames++;
                }
            }
            best[0] = Math.Min(best[0], clock.Elapsed.TotalSeconds);

            clock.Restart();
            using (IPacketSource source = CaptureFile.Open(path))
            {
                CaptureCensus.Of(source);
            }
            best[1] = Math.Min(best[1], clock.Elapsed.TotalSeconds);

            clock.Restart();
            using (IPacketSource source = CaptureFile.Open(path))
            {
                DecodeAndTrackFlows(source);
            }
            best[2] = Math.Min(best[2], clock.Elapsed.TotalSeconds);

            clock.Restart();
            using (IPacketSource source = CaptureFile.Open(path))
            {
                CaptureAnalyzer.Run(source, [source.Stats]);
            }
            best[3] = Math.Min(best[3], clock.Elapsed.TotalSeconds);
        }
        string[] names = ["read", "read + decode", "read + decode + flow table", "whole analysis"];
        for (int i = 0; i < names.Length; i++)
        {
            Console.WriteLine($"{names[i],-28} {best[i]:0.000} s  {frames / best[i] / 1e6,6:0.00} M packets/s  (best of {passes})");
        }
    }

    private static int DecodeAndTrackFlows(IPacketSource source)
    {
        var table = new FlowTable(new FlowTableOptions());
        var p = new DecodedPacket();
        while (source.TryRead(out CaptureInfo info, out ReadOnlySpan<byte> data))
        {
            FrameDecoder.Decode(data, info.LinkType, ref p, Math.Max(0, info.OriginalLength - info.CapturedLength));
            if (p.Status == DecodeStatus.Ok && p.IpVersion != 0)
            {
                table.Update(p, info, out _, out _);
            }
        }
        return table.ActiveCount;
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
        if (Environment.GetEnvironmentVariable("PCAPINSIGHT_HOLD") is { } hold)
        {
            Thread.Sleep(TimeSpan.FromSeconds(int.Parse(hold, System.Globalization.CultureInfo.InvariantCulture))); // time to take a heap dump
        }
        GC.KeepAlive(result);
    }
}
