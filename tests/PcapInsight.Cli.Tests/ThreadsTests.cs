using PcapInsight.Cli.Commands;
using PcapInsight.Core.Decoding;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Cli.Tests;

/// <summary>
/// --threads: the sharded analysis writes the single-threaded report byte for byte (every file: CSV, JSON, charts,
/// report.html, and Parquet on the samples), on every sample capture and every public capture of the corpus.
/// </summary>
public class ThreadsTests
{
    public static TheoryData<string, string[]> SampleCases()
    {
        var cases = new TheoryData<string, string[]>();
        foreach (string f in RepoPaths.SampleFiles())
        {
            cases.Add(Path.GetFileName(f), []);
        }
        string before = RepoPaths.Sample("udp-rcvbuf-overflow.server.snmp-before.txt"), after = RepoPaths.Sample("udp-rcvbuf-overflow.server.snmp-after.txt");
        cases.Add("udp-rcvbuf-overflow.server.pcap", ["--netstat", before, after, "--rcvbuf", "4096"]);
        cases.Add("rtp-gaps-jitter.pcap", ["--udp-seq", "4"]);
        // Limits that bind on rows, not on memory: the merge keeps the same rows.
        cases.Add("bulk-loss-reorder.server.pcap", ["--max-events", "7"]);
        cases.Add("tcp-basic.pcap", ["--host", "192.0.2.1"]);
        cases.Add("udp-fragmented.client.pcap", ["--frag-timeout", "0.001"]);
        return cases;
    }

    [Theory]
    [MemberData(nameof(SampleCases))]
    public void Sample_AnyThreadCount_WritesTheSingleThreadedReport(string file, string[] options) =>
        AssertSameReport(RepoPaths.Sample(file), options, "all,parquet", [2, 3, 8]);

    /// <summary>
    /// Every public capture, with the capture-wide limits made tight (two series slots, one profiled host, two listed
    /// flows: they bind on most of these captures, which claims come first and which flows end first decide, and the
    /// shards claim and end flows in their own time).
    /// </summary>
    [CorpusTheory]
    [MemberData(nameof(CorpusManifest.FileNames), MemberType = typeof(CorpusManifest))]
    public void Corpus_TwoThreeAndFiveThreads_WriteTheSingleThreadedTables(string file) =>
        AssertSameReport(Path.Combine(RepoPaths.Corpus!, file), ["--series-flows", "2", "--max-ack-profile-hosts", "1", "--max-listed-flows", "2"],
            "csv,json", [2, 3, 5]);

    /// <summary>
    /// Every public capture's whole report (charts and report.html too) at three threads, with the default limits:
    /// ndpi__discord-rtp.pcap, a 1970 frame before 2022 ones, once drew its event timeline otherwise.
    /// </summary>
    [CorpusTheory]
    [MemberData(nameof(CorpusManifest.FileNames), MemberType = typeof(CorpusManifest))]
    public void Corpus_ThreeThreads_WriteTheSingleThreadedChartsAndReport(string file) =>
        AssertSameReport(Path.Combine(RepoPaths.Corpus!, file), [], "all", [3]);

    [Fact]
    public void ThreadsLeftOut_ManyFlows_WritesTheSingleThreadedReport()
    {
        // 2,000 long flows, 20,000 frames (each flow's segments in order): large and spread enough for the chosen
        // count to be every core (ThreadPlan; on a one-core machine it is one).
        using var dir = CliRunner.TempDir();
        string capture = Path.Combine(dir.Path, "flows.pcap");
        using (var file = File.Create(capture))
        using (var writer = new PcapWriter(file, Core.Capture.LinkType.Ethernet))
        {
            for (int i = 0; i < 20_000; i++)
            {
                int flow = i % 2_000;
                byte[] frame = FrameBuilder.Ethernet(0x0800, FrameBuilder.Ipv4($"192.0.2.{1 + flow % 200}", "198.51.100.9", 6,
                    FrameBuilder.Tcp((ushort)(1024 + flow), 443, seq: (uint)(1_000 + 100 * (i / 2_000)), payloadLength: 100)));
                writer.Write(1_700_000_000_000_000_000 + 1_000L * i, frame);
            }
        }

        AssertSameReport(capture, [], "all", [0, 2]);
    }

    /// <summary>
    /// The two first-come limits that span every flow: more connections at once than --series-flows (slots given
    /// away as plain connections end, kept by troubled ones) and more hosts than --max-ack-profile-hosts. The shards
    /// claim in their own time; the reading thread decides in capture order, so the charts, tcp_series.csv and the
    /// profiles are the single-threaded ones.
    /// </summary>
    [Fact]
    public void SeriesAndProfileLimits_AnyThreadCount_KeepTheSingleThreadedFlowsAndHosts()
    {
        using var dir = CliRunner.TempDir();
        string capture = Path.Combine(dir.Path, "churn.pcap");
        WriteShortConnections(capture, connections: 240, clients: 60);
        string[] options = ["--series-flows", "3", "--max-ack-profile-hosts", "5", "--close-linger", "0.05"];

        AssertSameReport(capture, options, "all", [2, 3, 8]);
        // With twenty flows listed too: released flows give their slots back, in the order one analyzer releases them.
        AssertSameReport(capture, [.. options, "--max-listed-flows", "20"], "all", [2, 3, 8]);

        // The limits bound the run: three connections drawn of 240, five hosts profiled of sixty, while the delayed
        // ACKs of every host are counted and reported.
        Dictionary<string, byte[]> single = Analyze(capture, options, "csv,json", 1, Path.Combine(dir.Path, "one"), out int exit);
        Assert.Equal(0, exit);
        string[] seriesFlows = Lines(single["tcp_series.csv"]).Skip(1).Select(l => l.Split(',')[0]).Distinct().ToArray();
        // Three slots: plain connections gave theirs away as they ended, until three that retransmitted (every
        // seventh) held all three to the end.
        Assert.Equal(["1", "36", "71"], seriesFlows);
        using var summary = System.Text.Json.JsonDocument.Parse(single["summary.json"]);
        Assert.Equal(5, summary.RootElement.GetProperty("delayed_ack").GetArrayLength());
        // The hosts past the limit are counted: every host a limit of a thousand profiles, less the five.
        Dictionary<string, byte[]> unbounded = Analyze(capture, ["--series-flows", "3", "--max-ack-profile-hosts", "1000", "--close-linger", "0.05"], "json", 1, Path.Combine(dir.Path, "all-hosts"), out exit);
        Assert.Equal(0, exit);
        using var all = System.Text.Json.JsonDocument.Parse(unbounded["summary.json"]);
        int hosts = all.RootElement.GetProperty("delayed_ack").GetArrayLength();
        Assert.True(hosts > 5, $"{hosts} hosts sent timed ACKs");
        AssertNotProfiled(summary.RootElement.GetProperty("delayed_ack_not_profiled"), hosts - 5, atLeast: false);
        AssertNotProfiled(all.RootElement.GetProperty("delayed_ack_not_profiled"), 0, atLeast: false);
        string[] delayedAckRows = Lines(single["events.csv"]).Where(l => l.Contains("tcp.delayed_ack", StringComparison.Ordinal)).ToArray();
        Assert.True(delayedAckRows.Length > 100, $"{delayedAckRows.Length} tcp.delayed_ack rows");
    }

    private static void AssertNotProfiled(System.Text.Json.JsonElement notProfiled, int hosts, bool atLeast)
    {
        Assert.Equal(hosts, notProfiled.GetProperty("hosts").GetInt32());
        Assert.Equal(atLeast, notProfiled.GetProperty("at_least").GetBoolean());
    }

    private static string[] Lines(byte[] csv) => System.Text.Encoding.UTF8.GetString(csv).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>
    /// Short connections from <paramref name="clients"/> hosts, one starting every 20 ms, each ~150 ms long (so
    /// several are open at once): handshake, a request, a response the client acknowledges after 45 ms (its
    /// delayed-ACK timer), FIN both ways. Every seventh request is sent twice (a retransmission: worth a chart).
    /// </summary>
    private static void WriteShortConnections(string path, int connections, int clients)
    {
        const long Ms = 1_000_000, Start = 1_700_000_000_000_000_000;
        var frames = new List<(long TimeNs, int Order, byte[] Frame)>();
        for (int i = 0; i < connections; i++)
        {
            string client = $"192.0.2.{1 + i % clients}", server = "198.51.100.9";
            ushort port = (ushort)(20_000 + i);
            long t = Start + i * 20 * Ms;
            uint c = 1_000, sv = 5_000;
            void Add(long at, bool fromClient, uint seq, uint ack, TcpFlags flags, int payload = 0) => frames.Add((at, frames.Count,
                FrameBuilder.Ethernet(0x0800, fromClient
                    ? FrameBuilder.Ipv4(client, server, 6, FrameBuilder.Tcp(port, 443, seq, ack, flags, payloadLength: payload))
                    : FrameBuilder.Ipv4(server, client, 6, FrameBuilder.Tcp(443, port, seq, ack, flags, payloadLength: payload)))));
            Add(t, true, c, 0, TcpFlags.Syn);
            Add(t + 1 * Ms, false, sv, c + 1, TcpFlags.Syn | TcpFlags.Ack);
            Add(t + 2 * Ms, true, c + 1, sv + 1, TcpFlags.Ack);
            Add(t + 3 * Ms, true, c + 1, sv + 1, TcpFlags.Psh | TcpFlags.Ack, 100);
            if (i % 7 == 0)
            {
                Add(t + 40 * Ms, true, c + 1, sv + 1, TcpFlags.Psh | TcpFlags.Ack, 100);
            }
            Add(t + 50 * Ms, false, sv + 1, c + 101, TcpFlags.Psh | TcpFlags.Ack, 1000);
            Add(t + 95 * Ms, true, c + 101, sv + 1001, TcpFlags.Ack);
            Add(t + 140 * Ms, true, c + 101, sv + 1001, TcpFlags.Fin | TcpFlags.Ack);
            Add(t + 141 * Ms, false, sv + 1001, c + 102, TcpFlags.Fin | TcpFlags.Ack);
            Add(t + 142 * Ms, true, c + 102, sv + 1002, TcpFlags.Ack);
        }
        using var file = File.Create(path);
        using var writer = new PcapWriter(file, Core.Capture.LinkType.Ethernet);
        foreach ((long time, _, byte[] frame) in frames.OrderBy(f => f.TimeNs).ThenBy(f => f.Order))
        {
            writer.Write(time, frame);
        }
    }

    /// <summary>
    /// A named pipe (a FIFO, or bash's &lt;(tcpdump -w -)) cannot be read twice: the thread count is then not chosen
    /// from a second reading of its start, which would take those bytes from the analysis. Every packet is analysed.
    /// </summary>
    [UnixFact]
    public void ThreadsLeftOut_ThroughANamedPipe_EveryPacketIsAnalysed()
    {
        using var dir = CliRunner.TempDir();
        string capture = dir.File("connections.pcap");
        ShortConnections.Write(capture, 2_000);   // 16,000 frames: past the sample, and many times a pipe's buffer
        string fifo = dir.File("pipe");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", fifo))
        {
            mkfifo.WaitForExit();
            Assert.Equal(0, mkfifo.ExitCode);
        }
        // Opening a FIFO to write waits for its reader: the CLI's own opening of the path.
        Task writer = Task.Run(() => File.WriteAllBytes(fifo, File.ReadAllBytes(capture)));

        CliRun run = CliRunner.Run(["analyze", fifo, "-o", dir.File("r"), "-q", "--format", "json"]);

        Assert.True(writer.Wait(TimeSpan.FromSeconds(30)), "the writer never finished: nothing read the pipe to its end");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("\"packets\": 16000,", File.ReadAllText(dir.File("r/summary.json")));
    }

    /// <summary>
    /// Past --max-flows: the table is divided into partitions by flow hash, each evicting its own least recently
    /// active flow, and a shard holds whole partitions, so the same flows are evicted at every thread count. 20,000
    /// connections that linger after their FIN, 8,192 held at once (two partitions of 4,096).
    /// </summary>
    [Fact]
    public void FullFlowTable_AnyThreadCount_EvictsTheSameFlowsAndWritesTheSingleThreadedReport()
    {
        using var dir = CliRunner.TempDir();
        string capture = dir.File("connections.pcap");
        ShortConnections.Write(capture, 20_000);

        AssertSameReport(capture, ["--max-flows", "8192"], "all", [2, 3]);

        CliRun run = CliRunner.Run(["analyze", capture, "-o", dir.File("r"), "--format", "csv,json", "--max-flows", "8192", "--threads", "2"]);
        Assert.Equal(0, run.ExitCode);
        string[] rows = File.ReadAllLines(dir.File("r/events.csv")).Where(l => l.Contains("capture.flow_table_full", StringComparison.Ordinal)).ToArray();
        Assert.Contains("max_flows=8192 partitions=2 per_partition=4096", Assert.Single(rows));
        using var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(dir.File("r/summary.json")));
        System.Text.Json.JsonElement table = summary.RootElement.GetProperty("flow_table");
        // Every connection lingers 60 s, so all but the last 8,192 or so are evicted, and the table's peak is the
        // limit at most (one partition may fill before the other).
        Assert.InRange(table.GetProperty("evicted").GetInt64(), 20_000 - 8_192, 20_000 - 7_500);
        Assert.InRange(table.GetProperty("peak_active").GetInt32(), 7_500, 8_192);
    }

    /// <summary>A table too small to divide (under 8,192 flows) is analysed on one thread, whatever --threads says.</summary>
    [Fact]
    public void FullFlowTable_TooSmallToDivide_IsReportedOnceWithTheLimit()
    {
        using var dir = CliRunner.TempDir();

        CliRun run = CliRunner.Run(["analyze", RepoPaths.Sample("tcp-basic.pcap"), "-o", dir.Path, "--format", "csv,json", "--max-flows", "2", "--threads", "3"]);

        Assert.Equal(0, run.ExitCode);
        string[] rows = File.ReadAllLines(dir.File("events.csv")).Where(l => l.Contains("capture.flow_table_full", StringComparison.Ordinal)).ToArray();
        Assert.Single(rows);
        Assert.Contains("max_flows=2", rows[0]);
        Assert.DoesNotContain("partitions", rows[0]);
        Assert.Contains("\"capture.flow_table_full\": 1", File.ReadAllText(dir.File("summary.json")));
        AssertSameReport(RepoPaths.Sample("tcp-basic.pcap"), ["--max-flows", "2"], "all", [3]);
    }

    [Fact]
    public void OutOfRange_IsAUsageError()
    {
        CliRun run = CliRunner.Run(["analyze", RepoPaths.Sample("tcp-basic.pcap"), "--threads", "0", "-o", Path.GetTempPath()]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--threads must be 1 to 64", run.Stderr);
    }

    private static void AssertSameReport(string capture, string[] options, string formats, int[] threadCounts)
    {
        using var dir = CliRunner.TempDir();
        Dictionary<string, byte[]> single = Analyze(capture, options, formats, 1, Path.Combine(dir.Path, "t1"), out int singleExit);
        foreach (int threads in threadCounts)
        {
            Dictionary<string, byte[]> sharded = Analyze(capture, options, formats, threads, Path.Combine(dir.Path, "t" + threads), out int exit);
            Assert.Equal(singleExit, exit);
            Assert.Equal(single.Keys.Order(StringComparer.Ordinal), sharded.Keys.Order(StringComparer.Ordinal));
            foreach ((string name, byte[] bytes) in single)
            {
                Assert.True(bytes.AsSpan().SequenceEqual(sharded[name]), $"{name} differs with --threads {threads}");
            }
        }
    }

    private static Dictionary<string, byte[]> Analyze(string capture, string[] options, string formats, int threads, string output, out int exit)
    {
        // 0: --threads left out, the count chosen from the capture.
        string[] threadOption = threads == 0 ? [] : ["--threads", threads.ToString(System.Globalization.CultureInfo.InvariantCulture)];
        string[] args = ["analyze", capture, "-o", output, "--format", formats, "-q", .. threadOption, .. options];
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        exit = CliApp.Run(args, stdout, stderr);
        return Directory.Exists(output)
            ? Directory.GetFiles(output, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(output, f), File.ReadAllBytes)
            : [];
    }
}

/// <summary>A fact that needs a Unix system (named pipes made with mkfifo): skipped with the reason elsewhere.</summary>
public sealed class UnixFactAttribute : FactAttribute
{
    /// <summary>Sets Skip on Windows.</summary>
    public UnixFactAttribute() => Skip = OperatingSystem.IsWindows() ? "named pipes (mkfifo) are a Unix feature" : null;
}
