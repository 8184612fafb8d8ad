namespace PcapInsight.Cli;

/// <summary>The <c>pcapinsight</c> executable.</summary>
public static class Program
{
    /// <summary>Runs the CLI; the exit code follows CONTRACT.md.</summary>
    public static int Main(string[] args)
    {
        PhaseLog.Mark("main entered");
        if (PhaseLog.Enabled)
        {
            PhaseLog.Mark("collector: " + PhaseLog.Collector());
        }
        if (args.Length > 0 && args[0] is "analyze" or "follow" or "live" or "diff" or "info")
        {
            // Before the analysis allocates: the heap it grows into is then made of 2 MiB pages where Linux allows.
            PhaseLog.Mark("huge pages: " + HeapHugePages.Prefer());
            Core.Analysis.HotPathWarmUp.Start(typeof(Core.Analysis.CaptureAnalyzer).Assembly, typeof(Reporting.CsvReportWriter).Assembly);
        }
        return CliApp.Run(args, Console.Out, Console.Error);
    }
}
