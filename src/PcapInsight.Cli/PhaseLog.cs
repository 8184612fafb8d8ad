using System.Diagnostics;

namespace PcapInsight.Cli;

/// <summary>
/// With PCAPINSIGHT_TIMING=1, prints to stderr how long each phase took since the process started (startup,
/// opening, analysis, report): the breakdown behind bench/compare.sh's whole-process figures.
/// </summary>
internal static class PhaseLog
{
    private static readonly bool Enabled = Environment.GetEnvironmentVariable("PCAPINSIGHT_TIMING") == "1";

    public static void Mark(string phase)
    {
        if (Enabled)
        {
            TimeSpan sinceStart = DateTime.Now - Process.GetCurrentProcess().StartTime;
            Console.Error.WriteLine($"timing: {phase} at {sinceStart.TotalMilliseconds:0} ms");
        }
    }
}
