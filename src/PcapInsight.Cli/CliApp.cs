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
            "  sudo pcapinsight live -i eth0 -f 'tcp port 443' --duration 60 -w capture.pcapng\n" +
            "  pcapinsight analyze --help");
        root.Subcommands.Add(AnalyzeCommand.Create(stdout, stderr));
        root.Subcommands.Add(FollowCommand.Create(stdout, stderr));
        root.Subcommands.Add(DiffCommand.Create(stdout, stderr));
        root.Subcommands.Add(LiveCommand.Create(stdout, stderr));
        root.Subcommands.Add(InterfacesCommand.Create(stdout, stderr));
        root.Subcommands.Add(EventsCommand.Create(stdout, stderr));
        root.Subcommands.Add(InfoCommand.Create(stdout, stderr));

        ParseResult parse = root.Parse(args);
        // Ctrl-C (SIGINT) and SIGTERM cancel the command's token: analyze stops reading, live stops capturing, and both
        // still write their report. A second signal ends the process at once. (System.CommandLine's own handling
        // would end the process 2 s after the first, before a report is written.)
        var invocation = new InvocationConfiguration
        {
            Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null,
        };
        using var cancel = new CancellationTokenSource();
        void OnSignal(System.Runtime.InteropServices.PosixSignalContext context)
        {
            context.Cancel = !cancel.IsCancellationRequested;   // the first signal is ours to handle, a second one is not
            cancel.Cancel();
        }
        using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, OnSignal);
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, OnSignal);
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
            return parse.InvokeAsync(invocation, cancel.Token).GetAwaiter().GetResult();
        }
        catch (Exception ex)
        {
            stderr.WriteLine("pcapinsight: internal error: " + ex);
            return ExitCodes.InternalError;
        }
    }
}
