namespace PcapInsight.Cli;

/// <summary>The <c>pcapinsight</c> executable.</summary>
public static class Program
{
    /// <summary>Runs the CLI; the exit code follows CONTRACT.md.</summary>
    public static int Main(string[] args)
    {
        PhaseLog.Mark("main entered");
        return CliApp.Run(args, Console.Out, Console.Error);
    }
}
