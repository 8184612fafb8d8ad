using System.CommandLine;
using System.Text.Json;
using PcapInsight.Live;

namespace PcapInsight.Cli.Commands;

/// <summary><c>interfaces</c>: the interfaces live capture can use, with their state and addresses.</summary>
public static class InterfacesCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var json = new Option<bool>("--json") { Description = "Print the list as JSON (index, name, description, addresses, up, running, loopback)." };
        var command = new Command("interfaces",
            "List the interfaces live capture can use (libpcap's list): index, name, state, addresses. 'pcapinsight live -i' takes a name or an index.\n\n" +
            "Examples:\n  pcapinsight interfaces\n  pcapinsight interfaces --json")
        { json };
        command.SetAction(parse => Execute(parse.GetValue(json), stdout, stderr));
        return command;
    }

    private static int Execute(bool json, TextWriter stdout, TextWriter stderr)
    {
        IReadOnlyList<LiveInterface> list;
        try
        {
            list = LiveInterfaces.List();
        }
        catch (LiveCaptureException ex)
        {
            stderr.WriteLine("pcapinsight: " + ex.Message);
            return ExitCodes.LiveCaptureFailed;
        }
        if (json)
        {
            IReadOnlyList<InterfaceJson> rows = [.. list.Select(i => new InterfaceJson(i.Index, i.Name, i.Description, i.Addresses, i.Up, i.Running, i.Loopback))];
            stdout.WriteLine(JsonSerializer.Serialize(rows, CliJson.Indented.IReadOnlyListInterfaceJson));
            return ExitCodes.Success;
        }
        stdout.WriteLine($"{"#",3}  {"name",-18} {"state",-17} addresses / description");
        foreach (LiveInterface i in list)
        {
            string state = string.Join(",", new[] { i.Up ? "up" : "down", i.Running ? "running" : null, i.Loopback ? "loopback" : null }.Where(x => x is not null));
            string about = string.Join(", ", i.Addresses.Append(i.Description).Where(x => !string.IsNullOrEmpty(x)));
            stdout.WriteLine($"{i.Index,3}  {i.Name,-18} {state,-17} {about}");
        }
        if (list.Count == 0)
        {
            stderr.WriteLine("pcapinsight: libpcap lists no interface: capturing usually needs root or CAP_NET_RAW (see pcapinsight live --help).");
        }
        return ExitCodes.Success;
    }
}
