using System.CommandLine;
using System.Text.Json;
using PcapInsight.Core.Events;
using PcapInsight.Reporting;

namespace PcapInsight.Cli.Commands;

/// <summary><c>events</c>: the event catalogue (name, severity, meaning, advice), printed from the table the analysis uses.</summary>
public static class EventsCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var json = new Option<bool>("--json") { Description = "Print the catalogue as JSON (name, group, severity, sampled, summary, advice)." };
        var group = new Option<string?>("--group")
        {
            HelpName = "GROUP",
            Description = "Only events of one group: capture, tcp, ip, udp, dns. Example: --group tcp",
        };
        var command = new Command("events",
            "Print the event catalogue: every event the analysis can report, its severity, what it means and the advice it carries. " +
            "The same table drives events.csv, summary.json and the findings.\n\nExamples:\n  pcapinsight events\n  pcapinsight events --group tcp\n  pcapinsight events --json")
        { json, group };
        command.SetAction(parse =>
        {
            string? only = parse.GetValue(group);
            var rows = EventCatalog.All.Where(e => only is null || e.Group == only).ToList();
            if (rows.Count == 0)
            {
                stderr.WriteLine($"pcapinsight: no event group '{only}'; groups: {string.Join(", ", EventCatalog.All.Select(e => e.Group).Distinct())}");
                return ExitCodes.Usage;
            }
            if (parse.GetValue(json))
            {
                IReadOnlyList<EventJson> list = [.. rows.Select(e => new EventJson(
                    e.Name, e.Group, ReportRows.SeverityName(e.Severity), e.Policy == EventPolicy.Sampled, e.Summary, e.Advice))];
                stdout.WriteLine(JsonSerializer.Serialize(list, CliJson.Indented.IReadOnlyListEventJson));
                return ExitCodes.Success;
            }
            foreach (EventInfo e in rows)
            {
                stdout.WriteLine($"{e.Name}  ({ReportRows.SeverityName(e.Severity)}{(e.Policy == EventPolicy.Sampled ? ", sampled in events.csv" : "")})");
                stdout.WriteLine("    " + e.Summary);
                stdout.WriteLine("    What to do: " + e.Advice);
                stdout.WriteLine();
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
