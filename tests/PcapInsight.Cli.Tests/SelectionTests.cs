using System.Globalization;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Cli.Tests;

/// <summary>
/// --flow, --host, --port, --from, --to narrow the report: the rows are exactly those of the full run restricted
/// afterwards (events of the selected flows, in the time window; flowless events from or to the host and port).
/// </summary>
public class SelectionTests
{
    public static TheoryData<string, string[]> Cases() => new()
    {
        { "tcp-basic.pcap", ["--host", "2001:db8::1"] },
        { "tcp-basic.pcap", ["--port", "5353"] },
        { "tcp-basic.pcap", ["--flow", "2"] },
        { "rto-outage.client.pcap", ["--from", "0.5"] },
        { "rto-outage.client.pcap", ["--from", "0.2", "--to", "1.5"] },
        { "zero-window.client.pcap", ["--port", "5002", "--to", "2"] },
        { "udp-fragment-loss.server.pcap", ["--host", "2001:db8:1::2"] },
        { "dns-unanswered.pcap", ["--host", "192.0.2.53", "--from", "1"] },
        // Flows released from memory (spooled) are selected by the same rule, and their events stay.
        { "tcp-basic.pcap", ["--host", "2001:db8::1", "--max-listed-flows", "1"] },
        { "tcp-basic.pcap", ["--flow", "2", "--max-listed-flows", "1"] },
        { "dns-unanswered.pcap", ["--host", "192.0.2.53", "--from", "1", "--max-listed-flows", "1"] },
        { "rto-outage.client.pcap", ["--from", "0.2", "--to", "1.5", "--max-listed-flows", "1"] },
    };

    private static string[][] Csv(string path) => File.ReadAllLines(path).Skip(1).Select(l => l.Split(',')).ToArray();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Selection_GivesTheFullRunsRows_RestrictedAfterwards(string sample, string[] selection)
    {
        using var dir = CliRunner.TempDir();
        string path = RepoPaths.Sample(sample);
        Assert.Equal(0, CliRunner.Run(["analyze", path, "-o", dir.File("all"), "--format", "csv,json", "-q"]).ExitCode);
        CliRun run = CliRunner.Run(["analyze", path, "-o", dir.File("some"), "--format", "csv,json", "-q", .. selection]);
        Assert.Equal(0, run.ExitCode);

        string? Arg(string name) => Array.IndexOf(selection, name) is int i and >= 0 ? selection[i + 1] : null;
        string[][] allFlows = Csv(dir.File("all/flows.csv"));
        double first = allFlows.Min(f => Seconds(f[6]));
        double? from = Arg("--from") is { } f0 ? first + double.Parse(f0, CultureInfo.InvariantCulture) : null;
        double? to = Arg("--to") is { } t0 ? first + double.Parse(t0, CultureInfo.InvariantCulture) : null;
        bool Endpoint(string addr, string port) => (Arg("--host") is not { } h || addr == h) && (Arg("--port") is not { } p || port == p);
        var flows = allFlows.Where(f => (Arg("--flow") is not { } id || f[0] == id)
            && (Arg("--host") is not { } h || f[2] == h || f[4] == h) && (Arg("--port") is not { } p || f[3] == p || f[5] == p)
            && (from is null || Seconds(f[7]) >= from) && (to is null || Seconds(f[6]) <= to)).ToList();
        var ids = flows.Select(f => f[0]).ToHashSet();
        var expected = File.ReadAllLines(dir.File("all/events.csv")).Skip(1).Where(line =>
        {
            string[] e = line.Split(',');
            double t = e[0].Length == 0 ? first : Seconds(e[0]);
            if ((from is not null && t < from) || (to is not null && t > to))
            {
                return false;
            }
            return e[1].Length > 0 ? ids.Contains(e[1]) : Arg("--flow") is null && (Endpoint(e[5], e[6]) || Endpoint(e[7], e[8]))
                && (Arg("--host") is null || e[5] == Arg("--host") || e[7] == Arg("--host"));
        }).ToArray();

        Assert.NotEmpty(flows);   // every case selects something: an empty selection would prove nothing
        Assert.Equal(flows.Select(f => string.Join(',', f)), File.ReadAllLines(dir.File("some/flows.csv")).Skip(1));
        Assert.Equal(expected, File.ReadAllLines(dir.File("some/events.csv")).Skip(1));
        Assert.Contains("\"selection\":", File.ReadAllText(dir.File("some/summary.json")));
        // summary.json counts the flows the selection kept, listed or released alike: those flows.csv lists.
        System.Text.Json.JsonElement counted = System.Text.Json.JsonDocument.Parse(File.ReadAllText(dir.File("some/summary.json"))).RootElement.GetProperty("flows");
        Assert.Equal(flows.Count, counted.GetProperty("tcp").GetInt32() + counted.GetProperty("udp").GetInt32() + counted.GetProperty("other").GetInt32());
    }

    private static double Seconds(string iso) =>
        (DateTime.Parse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal) - DateTime.UnixEpoch).TotalSeconds;

    [Theory]
    [InlineData("--host", "not-an-address")]
    [InlineData("--port", "70000")]
    [InlineData("--from", "yesterday")]
    public void BadSelection_ExitTwo(string option, string value)
    {
        CliRun run = CliRunner.Run(["analyze", RepoPaths.Sample("tcp-basic.pcap"), "-o", Path.GetTempPath(), option, value]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(option, run.Stderr);
    }
}
