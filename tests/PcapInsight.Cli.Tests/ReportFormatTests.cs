using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Cli.Tests;

/// <summary>--format, --charts and --color: which files a run writes, and how the summary looks.</summary>
public class ReportFormatTests
{
    private static readonly string ZeroWindow = RepoPaths.Sample("zero-window.client.pcap");

    private static string[] Files(string dir) =>
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(dir, f)).Order(StringComparer.Ordinal).ToArray();

    public static TheoryData<string, string[]> Formats() => new()
    {
        { "all", ["charts/ack-delay-histogram.png", "charts/events-timeline.png", "charts/flow-1-rtt.png", "charts/flow-1-throughput.png",
            "charts/flow-1-time-sequence.png", "charts/flow-1-window.png", "charts/ip-sizes.png", "events.csv", "flows.csv", "fragments.csv",
            "report.html", "summary.json", "udp.csv"] },
        { "csv", ["events.csv", "flows.csv", "fragments.csv", "udp.csv"] },
        { "json", ["summary.json"] },
        { "html", ["report.html"] },                       // the charts are embedded, not written beside it
        { "png", ["charts/ack-delay-histogram.png", "charts/events-timeline.png", "charts/flow-1-rtt.png", "charts/flow-1-throughput.png",
            "charts/flow-1-time-sequence.png", "charts/flow-1-window.png", "charts/ip-sizes.png"] },
        { "json, HTML", ["report.html", "summary.json"] },
    };

    [Theory]
    [MemberData(nameof(Formats))]
    public void Format_WritesExactlyTheNamedFiles(string format, string[] expected)
    {
        using var dir = CliRunner.TempDir();

        CliRun run = CliRunner.Run(["analyze", ZeroWindow, "-o", dir.Path, "--format", format]);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(expected.Select(e => e.Replace('/', Path.DirectorySeparatorChar)), Files(dir.Path));
        Assert.Contains(format == "html" ? "report.html" : format == "png" ? "charts/" : expected[0].Split('/')[0], run.Stdout);
    }

    [Fact]
    public void HtmlAlone_EmbedsEveryChartItWouldHaveWritten()
    {
        using var dir = CliRunner.TempDir();
        Assert.Equal(0, CliRunner.Run(["analyze", ZeroWindow, "-o", dir.Path, "--format", "html", "-q"]).ExitCode);

        string html = File.ReadAllText(dir.File("report.html"));
        Assert.Equal(7, html.Split("src=\"data:image/png;base64,").Length - 1);
        Assert.DoesNotContain("http://", html);
        Assert.DoesNotContain("https://", html);
    }

    [Fact]
    public void ChartsZero_DrawsOnlyTheCaptureCharts_AndARerunRemovesChartsItNoLongerDraws()
    {
        using var dir = CliRunner.TempDir();
        Assert.Equal(0, CliRunner.Run(["analyze", ZeroWindow, "-o", dir.Path, "-q", "--format", "png"]).ExitCode);
        File.WriteAllText(dir.File("charts/mine.png"), "a file of the user's");
        Assert.Contains("charts/flow-1-time-sequence.png", Files(dir.Path));

        Assert.Equal(0, CliRunner.Run(["analyze", ZeroWindow, "-o", dir.Path, "-q", "--format", "png", "--charts", "0"]).ExitCode);

        Assert.Equal(["charts/ack-delay-histogram.png", "charts/events-timeline.png", "charts/ip-sizes.png", "charts/mine.png"], Files(dir.Path));
    }

    [Theory]
    [InlineData("never", false)]
    [InlineData("always", true)]
    [InlineData("auto", false)]   // stdout is a pipe here
    public void Color_OnlyWhenAskedOrOnATerminal(string when, bool ansi)
    {
        using var dir = CliRunner.TempDir();

        CliRun run = CliRunner.Run(["analyze", ZeroWindow, "-o", dir.Path, "--format", "json", "--color", when]);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(ansi, run.Stdout.Contains('\u001b'));
    }

    [Fact]
    public void Summary_ListsEventsLikeTsharkExpert_AndFindingsWithFlowTimeAndAdvice()
    {
        using var dir = CliRunner.TempDir();

        CliRun run = CliRunner.Run(["analyze", ZeroWindow, "-o", dir.Path, "--format", "json"]);

        string[] lines = run.Stdout.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("Events  severity event") && l.Contains("count") && l.Contains("first"));
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\s+warning\s+tcp\.zero_window\s+3\s+1\s+0\.\d{6} s \(frame 11\)$"));
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\s+total\s+232$"));
        Assert.Contains(lines, l => l.StartsWith("  warning tcp.zero_window (flow 1, first at 0.087 s (2026-"));
        Assert.Contains(lines, l => l.TrimStart().StartsWith("What to do: Fix the reading side (198.51.100.1:5002)"));
    }
}

/// <summary>--max-listed-flows: memory bounded on huge or endless captures, every flow still counted and listed.</summary>
public class ListedFlowsTests
{
    [Theory]
    [InlineData("tcp-basic.pcap", "2")]                        // TCP, UDP and other flows
    [InlineData("dns-unanswered.pcap", "1")]                   // UDP flows with and without answers
    [InlineData("rtp-gaps-jitter.pcap", "1")]                  // sequence evidence: listed the longest
    [InlineData("keepalive-rst.client.pcap", "1")]
    public void PastTheLimit_FlowsLeaveMemory_ButTheTablesStayByteIdentical(string sample, string limit)
    {
        using var all = CliRunner.TempDir();
        using var few = CliRunner.TempDir();
        Assert.Equal(0, CliRunner.Run(["analyze", RepoPaths.Sample(sample), "-o", all.Path, "--format", "csv,json"]).ExitCode);

        CliRun run = CliRunner.Run(["analyze", RepoPaths.Sample(sample), "-o", few.Path, "--format", "csv,json", "--max-listed-flows", limit]);

        Assert.Equal(0, run.ExitCode);
        foreach (string table in (string[])["flows.csv", "udp.csv", "events.csv"])
        {
            Assert.Equal(File.ReadAllText(all.File(table)), File.ReadAllText(few.File(table)));
        }
        Assert.Empty(Directory.GetFiles(few.Path, ".*"));   // the spool is gone
    }

    [Theory]
    [InlineData("tcp-basic.pcap", "2", "")]
    [InlineData("dns-unanswered.pcap", "1", "")]
    [InlineData("tcp-basic.pcap", "1", "--host=192.0.2.1")]    // a selection: the released flows it keeps
    public void PastTheLimit_ReportHtmlFlowTable_ChoosesAmongEveryFlow(string sample, string limit, string selection)
    {
        // The table shows those with trouble, then the largest, among all flows: released ones come back from the
        // spool, so the table does not depend on which flows memory kept (nor on --threads, which shares the limit out).
        using var all = CliRunner.TempDir();
        using var few = CliRunner.TempDir();
        string[] select = selection.Length == 0 ? [] : [selection];
        Assert.Equal(0, CliRunner.Run(["analyze", RepoPaths.Sample(sample), "-o", all.Path, "--format", "html", .. select]).ExitCode);

        Assert.Equal(0, CliRunner.Run(["analyze", RepoPaths.Sample(sample), "-o", few.Path, "--format", "html", "--max-listed-flows", limit, .. select]).ExitCode);

        string table = FlowTable(File.ReadAllText(all.File("report.html")));
        Assert.Contains("<tbody><tr>", table);
        Assert.Equal(table, FlowTable(File.ReadAllText(few.File("report.html"))));
        // The capture's facts count every flow, released ones too (they once counted only those kept in memory).
        string FlowsFact(string html) => System.Text.RegularExpressions.Regex.Match(html, "<dt>flows</dt><dd>[^<]*").Value;
        Assert.Matches("<dd>[1-9]", FlowsFact(File.ReadAllText(all.File("report.html"))));
        Assert.Equal(FlowsFact(File.ReadAllText(all.File("report.html"))), FlowsFact(File.ReadAllText(few.File("report.html"))));
    }

    // The table's rows without the links to charts: a released flow is not drawn, so its id is not a link.
    private static string FlowTable(string html)
    {
        int start = html.IndexOf("id=\"flow-table\"", StringComparison.Ordinal);
        string table = html[start..html.IndexOf("</table>", start, StringComparison.Ordinal)];
        return System.Text.RegularExpressions.Regex.Replace(table, "<a href=\"#flow-[0-9]+\">([0-9]+)</a>", "$1");
    }

    [CorpusTheory]
    [InlineData("ndpi__discord-rtp.pcap")]            // 25 RTP flows, one or both directions
    [InlineData("heplify__rtp_rtcp_sip_ipv4_udp.pcap")]
    [InlineData("ndpi__skinny-rtp-seqjump.pcap")]     // a sequence jump: loss figures
    public void PastTheLimit_ReleasedRtpFlows_KeepTheirSequenceFigures(string capture)
    {
        // With one flow listed, the flows with sequence evidence are released too: their udp.csv rows come from the
        // spool, and must still say what the sequence numbers proved (kind, loss, jitter, SSRC, payload type).
        using var all = CliRunner.TempDir();
        using var few = CliRunner.TempDir();
        string file = Path.Combine(RepoPaths.Corpus!, capture);
        Assert.Equal(0, CliRunner.Run(["analyze", file, "-o", all.Path, "--format", "csv"]).ExitCode);

        Assert.Equal(0, CliRunner.Run(["analyze", file, "-o", few.Path, "--format", "csv", "--max-listed-flows", "1"]).ExitCode);

        string[] rows = File.ReadAllLines(all.File("udp.csv"));
        Assert.True(rows.Count(r => r.Contains(",rtp,", StringComparison.Ordinal)) >= 2, "the capture has RTP flows to release");
        Assert.Equal(rows, File.ReadAllLines(few.File("udp.csv")));
    }

    [Fact]
    public void PastTheLimit_ReleasedFlowsAreCountedAndNotDrawn_FlowsWithFindingsStay()
    {
        using var dir = CliRunner.TempDir();

        // One thread: the limit is shared among the threads, and this test counts what one analyzer releases.
        CliRun run = CliRunner.Run(["analyze", RepoPaths.Sample("tcp-basic.pcap"), "-o", dir.Path, "--max-listed-flows", "2", "--charts", "4", "--threads", "1"]);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(6, File.ReadAllLines(dir.File("flows.csv")).Length - 1);
        System.Text.Json.JsonElement summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(dir.File("summary.json"))).RootElement;
        Assert.Equal((4, 1, 1), (summary.GetProperty("flows").GetProperty("tcp").GetInt32(), summary.GetProperty("flows").GetProperty("udp").GetInt32(),
            summary.GetProperty("flows").GetProperty("other").GetInt32()));
        Assert.Equal(4, summary.GetProperty("flow_table").GetProperty("released").GetInt32());
        Assert.Contains("Flows: 6 (TCP 4, UDP 1, other 1)", run.Stdout);
        Assert.Contains("(4 ended flows were released from memory past --max-listed-flows, those with something to report last: still in flows.csv, udp.csv and the flows chosen above", run.Stdout);
        // The console's flows are chosen among every flow, released ones too: the same as with every flow in memory.
        CliRun whole = CliRunner.Run(["analyze", RepoPaths.Sample("tcp-basic.pcap"), "-o", dir.File("whole"), "--format", "csv", "--threads", "1"]);
        static string[] FlowLines(string stdout) => stdout.Split('\n').Where(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^ +[0-9]+  [a-z]")).ToArray();
        Assert.Equal(6, FlowLines(whole.Stdout).Length);
        Assert.Equal(FlowLines(whole.Stdout), FlowLines(run.Stdout));
        Assert.True(Directory.EnumerateFiles(dir.File("charts"), "flow-*").Count() <= 2);   // released flows are not drawn
    }
}

/// <summary>Many short connections: the spool goes to disk, --close-linger releases closed connections early.</summary>
public class ManyFlowsTests
{
    [Fact]
    public void AHundredThousandConnections_SpooledToDisk_GiveTheSameTablesAsHeldInMemory()
    {
        using var dir = CliRunner.TempDir();
        string capture = Path.Combine(dir.Path, "short.pcap");
        ShortConnections.Write(capture, 100_000);   // 800,000 frames: more flows than one spool run (65,536) holds
        string held = Path.Combine(dir.Path, "held"), spooled = Path.Combine(dir.Path, "spooled");

        CliRun inMemory = CliRunner.Run(["analyze", capture, "-o", held, "--format", "csv,json", "--max-listed-flows", "200000", "--close-linger", "600"]);
        CliRun onDisk = CliRunner.Run(["analyze", capture, "-o", spooled, "--format", "csv,json", "--max-listed-flows", "1000", "--close-linger", "0.01"]);

        Assert.Equal(0, inMemory.ExitCode);
        Assert.Equal(0, onDisk.ExitCode);
        Assert.Equal(File.ReadAllText(Path.Combine(held, "flows.csv")), File.ReadAllText(Path.Combine(spooled, "flows.csv")));
        Assert.Equal(100_001, File.ReadLines(Path.Combine(spooled, "flows.csv")).Count());
        System.Text.Json.JsonElement table = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(spooled, "summary.json")))
            .RootElement.GetProperty("flow_table");
        Assert.Equal(99_000, table.GetProperty("released").GetInt32());
        // 125,000 connections a second of capture time, a 10 ms linger checked every 100 ms: up to about 14,000 in
        // the table at once; those of the last check are still there when the capture ends.
        Assert.InRange(table.GetProperty("closed_after_linger").GetInt32(), 80_000, 99_999);
        Assert.InRange(table.GetProperty("peak_active").GetInt32(), 1, 20_000);
        Assert.Empty(Directory.GetFiles(spooled, ".*"));
    }
}
