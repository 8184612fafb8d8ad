using System.Text.Json;
using PcapInsight.Core.Capture;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Cli.Tests;

/// <summary>End to end: the real CLI process on real captures, checking report files, output and exit codes.</summary>
public class AnalyzeCommandTests
{
    private static readonly string Sample = RepoPaths.Sample("tcp-basic.pcap");

    private static readonly string[] FlowsHeader =
    [
        "flow_id", "proto", "client", "client_port", "server", "server_port", "first_time", "last_time", "packets_c2s", "packets_s2c",
        "bytes_c2s", "bytes_s2c", "mss_c2s", "mss_s2c", "wscale_c2s", "wscale_s2c", "irtt_ms", "retransmissions", "zero_window_episodes",
        "zero_window_ms", "nagle_stalls", "nagle_stall_ms", "close", "vlan", "payload_bytes_c2s", "payload_bytes_s2c", "duration_s", "first_frame",
        "rtt_c2s_min_ms", "rtt_c2s_avg_ms", "rtt_c2s_max_ms", "rtt_s2c_min_ms", "rtt_s2c_avg_ms", "rtt_s2c_max_ms",
        "max_in_flight_c2s", "max_in_flight_s2c", "window_full_c2s", "window_full_s2c", "zero_window_probes", "sack", "timestamps", "pmtu_messages", "lowest_pmtu", "tunnel", "file",
    ];

    private static readonly string[] EventsHeader =
        ["time", "flow_id", "event", "severity", "frame", "src", "src_port", "dst", "dst_port", "duration_ms", "detail", "advice", "file"];

    [Fact]
    public void Analyze_SampleCapture_WritesTheThreeReportFilesAndASummary()
    {
        using var dir = CliRunner.TempDir();

        CliRun run = CliRunner.Run(["analyze", Sample, "-o", dir.Path]);

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("Flows: 6 (TCP 4, UDP 1, other 1)", run.Stdout);
        Assert.Contains("frames      202", run.Stdout);
        Assert.Contains("Events: none", run.Stdout);

        string[] flows = File.ReadAllLines(dir.File("flows.csv"));
        Assert.Equal(FlowsHeader, flows[0].Split(','));
        Assert.Equal(7, flows.Length);
        var rows = flows.Skip(1).Select(l => l.Split(',')).ToList();
        var tcp = rows.Where(r => r[1] == "tcp").ToList();
        Assert.Equal(4, tcp.Count);
        Assert.All(tcp, r =>
        {
            Assert.Equal("8080", r[5]);
            Assert.Equal("fin", r[22]);
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", r[6]);
            Assert.Equal(r[2].Contains(':') ? "1440" : "1460", r[12]); // MSS of a 1500-byte veth: 1500 - 40 (IPv4) or - 60 (IPv6)
            Assert.NotEqual("", r[16]);           // initial RTT from the handshake
            Assert.Equal("1", r[Array.IndexOf(FlowsHeader, "sack")]);         // Linux offers SACK and timestamps
            Assert.Equal("1", r[Array.IndexOf(FlowsHeader, "timestamps")]);
        });
        Assert.Single(tcp, r => r[2] == "2001:db8::1" && r[4] == "2001:db8::2");
        string[] udp = Assert.Single(rows, r => r[1] == "udp");
        Assert.Equal(["192.0.2.1", "192.0.2.2", "5353", "5", "5"], new[] { udp[2], udp[4], udp[5], udp[8], udp[9] });
        Assert.Single(rows, r => r[1] == "icmp");

        Assert.Equal(EventsHeader, File.ReadAllLines(dir.File("events.csv"))[0].Split(','));

        using JsonDocument summary = JsonDocument.Parse(File.ReadAllText(dir.File("summary.json")));
        JsonElement root = summary.RootElement;
        Assert.Equal(202, root.GetProperty("capture").GetProperty("packets").GetInt64());
        Assert.Equal("1:ETHERNET", root.GetProperty("capture").GetProperty("link_types")[0].GetString());
        Assert.False(root.GetProperty("capture").GetProperty("truncated").GetBoolean());
        Assert.Equal(4, root.GetProperty("flows").GetProperty("tcp").GetInt32());
        Assert.Equal(1, root.GetProperty("flows").GetProperty("udp").GetInt32());
        Assert.Equal(1, root.GetProperty("flows").GetProperty("other").GetInt32());
        Assert.Equal(JsonValueKind.Object, root.GetProperty("events").ValueKind);
        Assert.Equal(JsonValueKind.Array, root.GetProperty("findings").ValueKind);
        Assert.False(string.IsNullOrEmpty(root.GetProperty("version").GetString()));
        Assert.False(File.Exists(dir.File("flows.csv.partial")));
    }

    [Fact]
    public void Analyze_ZeroWindowSample_ExplainsWhoReadTooSlowly_InTheConsoleSummaryAndFlows()
    {
        using var dir = CliRunner.TempDir();

        CliRun run = CliRunner.Run(["analyze", RepoPaths.Sample("zero-window.server.pcap"), "-o", dir.Path]);

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("Findings", run.Stdout);
        Assert.Contains("The server's application (198.51.100.1:5002) read too slowly (flow 1)", run.Stdout);
        Assert.Contains("SO_RCVBUF only delays", run.Stdout);

        string[] flow = File.ReadAllLines(dir.File("flows.csv"))[1].Split(',');
        Assert.Equal("3", flow[Array.IndexOf(FlowsHeader, "zero_window_episodes")]);
        Assert.Equal("3", flow[Array.IndexOf(FlowsHeader, "zero_window_probes")]);
        double stalledMs = double.Parse(flow[Array.IndexOf(FlowsHeader, "zero_window_ms")], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(stalledMs, 1000, 1900);   // the reader paused 1.9 s in all, less the time the buffer took to fill

        using JsonDocument summary = JsonDocument.Parse(File.ReadAllText(dir.File("summary.json")));
        JsonElement finding = summary.RootElement.GetProperty("findings")[0];
        Assert.Equal("tcp.zero_window", finding.GetProperty("event").GetString());
        Assert.Equal(1, finding.GetProperty("flow_id").GetInt32());
        Assert.Contains("read loop is the cause", finding.GetProperty("advice").GetString());

        // events.csv is in time order, the episodes dated when the window closed
        var times = File.ReadAllLines(dir.File("events.csv")).Skip(1).Select(l => l[..27]).ToList();
        Assert.Equal(times.Order(StringComparer.Ordinal), times);
    }

    [Fact]
    public void Analyze_NagleSample_ExplainsWhoseWritesWaited_AndTheServersTimer()
    {
        using var dir = CliRunner.TempDir();

        CliRun run = CliRunner.Run(["analyze", RepoPaths.Sample("nagle-delack.client.pcap"), "-o", dir.Path]);

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("The client's writes (192.0.2.1:", run.Stdout);
        Assert.Contains("held by Nagle's algorithm 19 times (flow 1)", run.Stdout);
        Assert.Contains("TCP_NODELAY", run.Stdout);

        string[] flow = File.ReadAllLines(dir.File("flows.csv"))[1].Split(',');
        Assert.Equal("19", flow[Array.IndexOf(FlowsHeader, "nagle_stalls")]);
        double stalledMs = double.Parse(flow[Array.IndexOf(FlowsHeader, "nagle_stall_ms")], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(stalledMs, 19 * 38, 19 * 46);

        using JsonDocument summary = JsonDocument.Parse(File.ReadAllText(dir.File("summary.json")));
        JsonElement server = summary.RootElement.GetProperty("delayed_ack").EnumerateArray().Single(h => h.GetProperty("host").GetString() == "198.51.100.1");
        Assert.Equal("40", server.GetProperty("timer_class").GetString());
        Assert.Equal("tcp.nagle_stall", summary.RootElement.GetProperty("findings")[0].GetProperty("event").GetString());
    }

    [Fact]
    public void Analyze_SeriesFlows_WritesTheTimeSeriesOfTheFlowsWorthDrawing()
    {
        using var dir = CliRunner.TempDir();

        CliRun run = CliRunner.Run(["analyze", RepoPaths.Sample("bulk-loss-reorder.client.pcap"), "-o", dir.Path, "--series-flows", "5"]);

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("tcp_series.csv", run.Stdout);
        string[] lines = File.ReadAllLines(dir.File("tcp_series.csv"));
        Assert.Equal("flow_id,direction,time,kind,seq,length,in_flight_bytes,window_bytes,rtt_ms", lines[0]);
        var kinds = lines.Skip(1).Select(l => l.Split(',')[3]).ToHashSet();
        Assert.Equal(new HashSet<string> { "data", "resend", "ack", "rtt" }, kinds);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("2")]
    public void Analyze_MoreFlowsThanSeriesSlots_SaysHowManyCouldNotBeDrawn(string threads)
    {
        // tcp-basic: four connections, the first holding the one slot until the end (its close lingers).
        using var dir = CliRunner.TempDir();

        CliRun run = CliRunner.Run(["analyze", RepoPaths.Sample("tcp-basic.pcap"), "-o", dir.Path, "--series-flows", "1", "--charts", "0", "--threads", threads]);

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("(3 TCP flows began while every time-series slot was taken (--series-flows): no charts or tcp_series.csv rows for them)", run.Stdout);
        using JsonDocument summary = JsonDocument.Parse(File.ReadAllText(dir.File("summary.json")));
        Assert.Equal(3, summary.RootElement.GetProperty("flow_table").GetProperty("series_refused").GetInt32());
        Assert.Contains("3 TCP flows began while every time-series slot was taken (<code>--series-flows</code>)", File.ReadAllText(dir.File("report.html")));
        Assert.Equal(["1"], File.ReadLines(dir.File("tcp_series.csv")).Skip(1).Select(l => l.Split(',')[0]).Distinct());
    }

    [Theory]
    [InlineData("1")]
    [InlineData("2")]
    public void Analyze_MoreHostsThanProfiles_SaysHowManyWereNotProfiled(string threads)
    {
        // tcp-basic: four hosts send timed pure ACKs; one profile slot leaves three out, whatever the thread count.
        using var dir = CliRunner.TempDir();

        CliRun run = CliRunner.Run(["analyze", RepoPaths.Sample("tcp-basic.pcap"), "-o", dir.Path, "--max-ack-profile-hosts", "1", "--charts", "0", "--threads", threads]);

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("(3 hosts sent timed ACKs after every delayed-ACK profile slot was taken (--max-ack-profile-hosts)", run.Stdout);
        using JsonDocument summary = JsonDocument.Parse(File.ReadAllText(dir.File("summary.json")));
        Assert.Equal(1, summary.RootElement.GetProperty("delayed_ack").GetArrayLength());
        JsonElement notProfiled = summary.RootElement.GetProperty("delayed_ack_not_profiled");
        Assert.Equal(3, notProfiled.GetProperty("hosts").GetInt32());
        Assert.False(notProfiled.GetProperty("at_least").GetBoolean());
    }

    [Fact]
    public void Analyze_Json_PrintsTheSummaryDocumentOnStdout()
    {
        using var dir = CliRunner.TempDir();

        CliRun run = CliRunner.Run(["analyze", Sample, "-o", dir.Path, "--json"]);

        Assert.Equal(0, run.ExitCode);
        using JsonDocument doc = JsonDocument.Parse(run.Stdout);
        Assert.Equal(202, doc.RootElement.GetProperty("capture").GetProperty("packets").GetInt64());
    }

    [Fact]
    public void Analyze_StandardInput_ReadsTheCaptureFromThePipe()
    {
        using var dir = CliRunner.TempDir();

        CliRun run = CliRunner.Run(["analyze", "-", "-o", dir.Path, "--json"], stdin: File.ReadAllBytes(Sample));

        Assert.True(run.ExitCode == 0, run.Stderr);
        using JsonDocument doc = JsonDocument.Parse(run.Stdout);
        Assert.Equal(202, doc.RootElement.GetProperty("capture").GetProperty("packets").GetInt64());
    }

    [Fact]
    public void Analyze_TwoFiles_AreOneCaptureMergedByTime()
    {
        using var dir = CliRunner.TempDir();
        byte[] frame = FrameBuilder.Ethernet(0x0800, FrameBuilder.Ipv4("192.0.2.1", "192.0.2.2", 17, FrameBuilder.Udp(1, 2, 10)));
        File.WriteAllBytes(dir.File("a.pcap"), Captures.Pcap(LinkType.Ethernet, (1, frame), (3, frame)));
        File.WriteAllBytes(dir.File("b.pcap"), Captures.Pcap(LinkType.Ethernet, (2, frame)));

        CliRun run = CliRunner.Run(["analyze", dir.File("a.pcap"), dir.File("b.pcap"), "-o", dir.File("r"), "--json"]);

        Assert.Equal(0, run.ExitCode);
        using JsonDocument doc = JsonDocument.Parse(run.Stdout);
        Assert.Equal(3, doc.RootElement.GetProperty("capture").GetProperty("packets").GetInt64());
        Assert.Equal(2, doc.RootElement.GetProperty("capture").GetProperty("files").GetArrayLength());
        string[] flow = File.ReadAllLines(dir.File("r/flows.csv"))[1].Split(',');
        Assert.Equal("3", flow[8]);
    }

    [Fact]
    public void Analyze_TruncatedFile_ReportsUpToTheCutWithAWarningAndExitsZero()
    {
        using var dir = CliRunner.TempDir();
        byte[] whole = File.ReadAllBytes(Sample);
        File.WriteAllBytes(dir.File("cut.pcap"), whole[..(whole.Length - 700)]);

        CliRun run = CliRunner.Run(["analyze", dir.File("cut.pcap"), "-o", dir.File("r")]);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("warning", run.Stderr);
        Assert.Contains("analysed up to the cut", run.Stderr);
        Assert.Contains("capture.truncated", File.ReadAllText(dir.File("r/events.csv")));
        Assert.Contains("capture.truncated", run.Stdout);
    }

    [Theory]
    [InlineData("warning", 5)]  // capture.truncated is a warning
    [InlineData("error", 0)]
    public void Analyze_FailOn_ExitsFiveWhenAnEventReachesTheThreshold(string threshold, int expected)
    {
        using var dir = CliRunner.TempDir();
        byte[] whole = File.ReadAllBytes(Sample);
        File.WriteAllBytes(dir.File("cut.pcap"), whole[..(whole.Length - 700)]);

        CliRun run = CliRunner.Run(["analyze", dir.File("cut.pcap"), "-o", dir.File("r"), "-q", "--fail-on", threshold]);

        Assert.Equal(expected, run.ExitCode);
    }

    public static TheoryData<string, byte[]?, string> Unreadable() => new()
    {
        { "missing.pcap", null, "no such file" },
        { "empty.pcap", [], "the file is empty" },
        { "notes.txt", "just some notes\nnot a capture\n"u8.ToArray(), "looks like text" },
        { "garbage.bin", [0x06, 0, 0, 0, 0x99, 0x98, 0x97, 0x96], "unknown magic bytes" },
    };

    [Theory]
    [MemberData(nameof(Unreadable))]
    public void Analyze_InputThatIsNotACapture_ExitsThreeWithOneLine(string name, byte[]? content, string expected)
    {
        using var dir = CliRunner.TempDir();
        if (content is not null)
        {
            File.WriteAllBytes(dir.File(name), content);
        }

        CliRun run = CliRunner.Run(["analyze", dir.File(name), "-o", dir.File("r")]);

        Assert.Equal(3, run.ExitCode);
        Assert.Contains(expected, run.Stderr);
        Assert.Single(run.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public void Analyze_AFolderWithNoCapture_ExitsThree()
    {
        using var dir = CliRunner.TempDir();
        Directory.CreateDirectory(dir.File("empty"));
        File.WriteAllText(dir.File("readme.txt"), "x");

        CliRun empty = CliRunner.Run(["analyze", dir.File("empty"), "-o", dir.File("r")]);
        CliRun other = CliRunner.Run(["analyze", dir.Path, "-o", dir.File("r")]);   // holds readme.txt and an empty folder

        Assert.Equal((3, 3), (empty.ExitCode, other.ExitCode));
        Assert.Contains("a folder with no capture in it", empty.Stderr);
        Assert.Contains("readme.txt: skipped, not a capture", other.Stderr);
        Assert.Contains("a folder with no capture in it", other.Stderr);
    }

    [Fact]
    public void Analyze_OneGoodAndOneMissingFile_WritesTheGoodOnesReportAndExitsThree()
    {
        using var dir = CliRunner.TempDir();

        CliRun run = CliRunner.Run(["analyze", Sample, dir.File("missing.pcap"), "-o", dir.File("r"), "-q"]);

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("missing.pcap: no such file", run.Stderr);
        Assert.Equal(7, File.ReadAllLines(dir.File("r/flows.csv")).Length);
    }

    [Theory]
    [InlineData("--format", "xml")]
    [InlineData("--format", "csv,pdf")]
    [InlineData("--charts", "-1")]
    [InlineData("--fail-on", "sometimes")]
    [InlineData("--max-flows", "0")]
    [InlineData("--max-flows", "many")]
    [InlineData("--flow-timeout", "-5")]
    [InlineData("--max-frame-bytes", "100")]
    [InlineData("--no-such-option", "1")]
    public void Analyze_BadOption_ExitsTwoAndSaysWhich(string option, string value)
    {
        using var dir = CliRunner.TempDir();

        CliRun run = CliRunner.Run(["analyze", Sample, "-o", dir.Path, option, value]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("pcapinsight:", run.Stderr);
        Assert.False(File.Exists(dir.File("flows.csv")));
    }

    [Fact]
    public void Run_NoCommand_ExitsTwoWithUsageHint()
    {
        CliRun run = CliRunner.Run([]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--help", run.Stderr);
    }

    [Fact]
    public void Analyze_OutputFolderIsAFile_ExitsOneWithoutAPartialReport()
    {
        using var dir = CliRunner.TempDir();
        File.WriteAllText(dir.File("taken"), "x");

        CliRun run = CliRunner.Run(["analyze", Sample, "-o", dir.File("taken"), "-q"]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("cannot write the report", run.Stderr);
    }

    [Theory]
    [InlineData("")]
    [InlineData("analyze")]
    public void Help_ExplainsEveryOptionWithAnExample(string command)
    {
        CliRun run = CliRunner.Run(command.Length == 0 ? ["--help"] : [command, "--help"]);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Examples:", run.Stdout);
        if (command.Length > 0)
        {
            foreach (string option in new[] { "--output", "--format", "--quiet", "--json", "--fail-on", "--max-flows", "--flow-timeout", "--max-events", "--max-frame-bytes", "--no-progress" })
            {
                Assert.Contains(option, run.Stdout);
            }
        }
    }

    [Fact]
    public void Wrapper_FromTheRepositoryRoot_BuildsAndRunsTheNewcomerCommand()
    {
        using var dir = CliRunner.TempDir();

        CliRun run = CliRunner.RunProcess(Path.Combine(RepoPaths.Root, "pcapinsight"),
            ["analyze", "sample-captures/tcp-basic.pcap", "-o", dir.Path, "-q"], timeout: TimeSpan.FromMinutes(5));

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.True(File.Exists(dir.File("summary.json")));
    }
}
