using System.CommandLine;
using System.Reflection;
using PcapInsight.Cli.Commands;

namespace PcapInsight.Cli;

/// <summary>Builds the command tree and maps every outcome to an exit code. Output goes to the writers given, so tests can read it.</summary>
public static class CliApp
{
    /// <summary>The version printed by <c>--version</c> and written into summary.json.</summary>
    public static string Version { get; } =
        typeof(CliApp).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    /// <summary>Parses <paramref name="args"/> and runs the command.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand(
            "PcapInsight: reads pcap and pcapng captures and explains the socket-layer causes of slow or lossy traffic.\n\n" +
            "Examples:\n" +
            "  pcapinsight analyze sample-captures/tcp-basic.pcap -o report\n" +
            "  pcapinsight follow sample-captures/tcp-basic.pcap --flow 1 --direction s2c\n" +
            "  pcapinsight analyze --help");
        root.Subcommands.Add(AnalyzeCommand.Create(stdout, stderr));
        root.Subcommands.Add(FollowCommand.Create(stdout, stderr));
        root.Subcommands.Add(DiffCommand.Create(stdout, stderr));

        ParseResult parse = root.Parse(args);
        var invocation = new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false };
        if (parse.Errors.Count > 0)
        {
            foreach (System.CommandLine.Parsing.ParseError error in parse.Errors)
            {
                stderr.WriteLine("pcapinsight: " + error.Message);
            }
            string command = parse.CommandResult.Command == root ? "" : " " + parse.CommandResult.Command.Name;
            stderr.WriteLine($"Run 'pcapinsight{command} --help' for usage.");
            return ExitCodes.Usage;
        }
        try
        {
            return parse.Invoke(invocation);
        }
        catch (Exception ex)
        {
            stderr.WriteLine("pcapinsight: internal error: " + ex);
            return ExitCodes.InternalError;
        }
    }
}
