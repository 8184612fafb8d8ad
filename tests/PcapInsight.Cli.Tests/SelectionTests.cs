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
    /// <summary>
    /// --flow N draws flow N although it had no time-series slot (--series-flows: first come; it once drew nothing):
    /// its series is recorded by a second read of the capture, with the rows a run that gave it a slot writes, whether
    /// the flow was kept in memory, released to the spool, or analysed on two threads.
    /// </summary>
    [Theory]
    [InlineData("")]
    [InlineData("--max-listed-flows 100")]
    [InlineData("--threads 2")]
    public void FlowWithoutASeriesSlot_IsDrawn_FromASecondRead(string options)
    {
        string[] extra = options.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        using var dir = CliRunner.TempDir();
        string capture = dir.File("short.pcap");
        ShortConnections.Write(capture, 2_000);
        CliRun slotted = CliRunner.Run(["analyze", capture, "-o", dir.File("slotted"), "--flow", "1500", "--series-flows", "100000", "--format", "csv", "-q"]);
        Assert.True(slotted.ExitCode == 0, slotted.Stderr);

        CliRun run = CliRunner.Run(["analyze", capture, "-o", dir.File("replayed"), "--flow", "1500", "--series-flows", "5", "--format", "all", .. extra]);

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("flow 1500 had no time-series slot in the analysis (--series-flows): its series was recorded by a second read of the capture", run.Stdout);
        Assert.DoesNotContain("TCP flows began while every time-series slot was taken", run.Stdout);
        // The console lists the flow, kept in memory or released (a selection of released flows only once listed none).
        Assert.Matches(@"\n +1500  tcp ", run.Stdout);
        Assert.Equal(extra.Contains("--max-listed-flows"), run.Stdout.Contains("(1 ended flows were released from memory past --max-listed-flows", StringComparison.Ordinal));
        string[] rows = File.ReadAllLines(dir.File("replayed/tcp_series.csv"));
        Assert.True(rows.Length > 8, $"{rows.Length} rows");
        Assert.Equal(File.ReadAllLines(dir.File("slotted/tcp_series.csv")), rows);
        Assert.Equal(File.ReadAllLines(dir.File("slotted/flows.csv")), File.ReadAllLines(dir.File("replayed/flows.csv")));
        foreach (string chart in new[] { "time-sequence", "window", "rtt", "throughput" })
        {
            Assert.True(new FileInfo(dir.File($"replayed/charts/flow-1500-{chart}.png")).Length > 1000, chart);
        }
        string html = File.ReadAllText(dir.File("replayed/report.html"));
        Assert.Contains("flow-1500-time-sequence.png", html);
        Assert.DoesNotContain("they could not be drawn", html);
        // summary.json keeps the analysis' own count: the charts' 40 slots (--charts 10, four each) went to flows 1-40.
        System.Text.Json.JsonElement table = System.Text.Json.JsonDocument.Parse(File.ReadAllText(dir.File("replayed/summary.json"))).RootElement.GetProperty("flow_table");
        Assert.Equal(1_960, table.GetProperty("series_refused").GetInt64());
    }

    /// <summary>
    /// Any selection draws the flows it would choose if every flow had a series (the most warnings, then the largest,
    /// then the lowest id: here the ten first of the window, all alike), recorded by a second read where they had no
    /// slot, with the rows a run that gave them slots writes.
    /// </summary>
    [Fact]
    public void TimeWindow_ItsChosenFlowsWithoutSlots_AreDrawn_FromOneSecondRead()
    {
        using var dir = CliRunner.TempDir();
        string capture = dir.File("short.pcap");
        ShortConnections.Write(capture, 2_000);
        string[] window = ["--from", "0.0118"];
        CliRun slotted = CliRunner.Run(["analyze", capture, "-o", dir.File("slotted"), .. window, "--series-flows", "100000", "--format", "csv", "-q"]);
        Assert.True(slotted.ExitCode == 0, slotted.Stderr);
        string[] ids = File.ReadAllLines(dir.File("slotted/flows.csv")).Skip(1).Select(l => l[..l.IndexOf(',')]).Take(10).ToArray();
        Assert.Equal("1473", ids[0]);   // the window begins with the 24th batch of 64 connections

        CliRun run = CliRunner.Run(["analyze", capture, "-o", dir.File("replayed"), .. window, "--series-flows", "5", "--format", "csv,png"]);

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains($"(flows {string.Join(", ", ids)} had no time-series slot in the analysis (--series-flows): their series were recorded by a second read of the capture)", run.Stdout);
        Assert.Equal(ids.Order(StringComparer.Ordinal), Directory.GetFiles(dir.File("replayed/charts"), "flow-*-time-sequence.png")
            .Select(p => Path.GetFileName(p).Split('-')[1]).Order(StringComparer.Ordinal));
        string[] Rows(string report) => File.ReadAllLines(dir.File(report + "/tcp_series.csv")).Skip(1).Where(l => ids.Contains(l[..l.IndexOf(',')])).ToArray();
        Assert.Equal(Rows("slotted"), Rows("replayed"));
        Assert.Equal(ids.Length, Rows("replayed").Select(l => l[..l.IndexOf(',')]).Distinct().Count());
    }

    /// <summary>
    /// A report of the whole capture draws a flow with warnings that began while every series slot was held (45 open
    /// connections first, then one with a retransmission), from a second read; a capture without trouble is read once.
    /// </summary>
    [Fact]
    public void WholeCapture_AFlowWithWarningsWithoutASlot_IsDrawn_APlainOneIsNot()
    {
        using var dir = CliRunner.TempDir();
        var frames = new List<(double, byte[])>();
        double t = 0;
        void Segment(int connection, bool fromClient, uint seq, uint ack, Core.Decoding.TcpFlags flags, int len = 0)
        {
            ushort port = (ushort)(40000 + connection);
            byte[] tcp = fromClient ? FrameBuilder.Tcp(port, 80, seq, ack, flags, payloadLength: len) : FrameBuilder.Tcp(80, port, seq, ack, flags, payloadLength: len);
            frames.Add((t += 0.001, FrameBuilder.Ethernet(0x0800, fromClient ? FrameBuilder.Ipv4("192.0.2.1", "198.51.100.1", 6, tcp) : FrameBuilder.Ipv4("198.51.100.1", "192.0.2.1", 6, tcp))));
        }
        for (int c = 0; c <= 45; c++)
        {
            Segment(c, true, 1000, 0, Core.Decoding.TcpFlags.Syn);
            Segment(c, false, 5000, 1001, Core.Decoding.TcpFlags.Syn | Core.Decoding.TcpFlags.Ack);
            Segment(c, true, 1001, 5001, Core.Decoding.TcpFlags.Ack);
            Segment(c, true, 1001, 5001, Core.Decoding.TcpFlags.Ack | Core.Decoding.TcpFlags.Psh, 100);
            if (c == 45)
            {
                Segment(c, true, 1001, 5001, Core.Decoding.TcpFlags.Ack | Core.Decoding.TcpFlags.Psh, 100);   // resent
            }
            Segment(c, false, 5001, 1101, Core.Decoding.TcpFlags.Ack);
        }
        File.WriteAllBytes(dir.File("late-trouble.pcap"), Captures.Pcap(Core.Capture.LinkType.Ethernet, frames.ToArray()));
        ShortConnections.Write(dir.File("plain.pcap"), 2_000);
        CliRun slotted = CliRunner.Run(["analyze", dir.File("late-trouble.pcap"), "-o", dir.File("slotted"), "--series-flows", "100", "--format", "csv", "-q"]);
        Assert.True(slotted.ExitCode == 0, slotted.Stderr);

        CliRun run = CliRunner.Run(["analyze", dir.File("late-trouble.pcap"), "-o", dir.File("report"), "--series-flows", "5", "--format", "csv,png,html"]);
        CliRun plain = CliRunner.Run(["analyze", dir.File("plain.pcap"), "-o", dir.File("plain"), "--format", "csv,png"]);

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("(flow 46 had no time-series slot in the analysis (--series-flows): its series was recorded by a second read of the capture)", run.Stdout);
        Assert.Contains("(6 TCP flows began while every time-series slot was taken", run.Stdout);   // the analysis' own count
        Assert.True(File.Exists(dir.File("report/charts/flow-46-time-sequence.png")));
        Assert.Contains("but for 1 with warnings, recorded by a second read of the capture", File.ReadAllText(dir.File("report/report.html")));
        string[] Rows(string report) => File.ReadAllLines(dir.File(report + "/tcp_series.csv")).Where(l => l.StartsWith("46,", StringComparison.Ordinal)).ToArray();
        Assert.NotEmpty(Rows("report"));
        Assert.Equal(Rows("slotted"), Rows("report"));
        Assert.True(plain.ExitCode == 0, plain.Stderr);
        Assert.DoesNotContain("second read", plain.Stdout);
        Assert.Contains("TCP flows began while every time-series slot was taken", plain.Stdout);
    }

    [Theory]
    [InlineData(1, "1")]
    [InlineData(10, "1, 2, 3, 4, 5, 6, 7, 8, 9, 10")]
    [InlineData(2500, "1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 2,490 more")]
    public void ReplayedIds_InAMessage_TheFirstTenAndHowManyMore(int count, string expected) =>
        Assert.Equal(expected, Commands.SelectedFlowSeries.Ids(Enumerable.Range(1, count).ToList()));

    [Fact]
    public void FlowWithoutASeriesSlot_FromStandardInput_SaysWhyItIsNotDrawn()
    {
        using var dir = CliRunner.TempDir();
        string capture = dir.File("short.pcap");
        ShortConnections.Write(capture, 500);

        CliRun run = CliRunner.Run(["analyze", "-", "-o", dir.File("report"), "--flow", "400", "--series-flows", "5", "--format", "csv,png", "-q"],
            stdin: File.ReadAllBytes(capture));

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("flow 400 had no time-series slot (--series-flows), and a pipe cannot be read a second time to record it", run.Stderr);
        Assert.False(File.Exists(dir.File("report/tcp_series.csv")));
        Assert.Empty(Directory.GetFiles(dir.File("report/charts"), "flow-*"));
    }
}
