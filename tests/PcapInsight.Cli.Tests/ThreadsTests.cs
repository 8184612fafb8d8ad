using PcapInsight.Cli.Commands;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Cli.Tests;

/// <summary>
/// --threads: the sharded analysis writes the single-threaded report byte for byte (every file: CSV, JSON, Parquet-free
/// formats, charts, report.html), on every sample capture and every public capture of the corpus.
/// </summary>
public class ThreadsTests
{
    public static TheoryData<string, string[]> SampleCases()
    {
        var cases = new TheoryData<string, string[]>();
        foreach (string f in Directory.GetFiles(RepoPaths.SampleCaptures, "*.pcap").Order(StringComparer.Ordinal))
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
        AssertSameReport(RepoPaths.Sample(file), options, "all", [2, 3, 8]);

    [CorpusTheory]
    [MemberData(nameof(CorpusManifest.FileNames), MemberType = typeof(CorpusManifest))]
    public void Corpus_TwoThreeAndFiveThreads_WriteTheSingleThreadedTables(string file) =>
        AssertSameReport(Path.Combine(RepoPaths.Corpus!, file), [], "csv,json", [2, 3, 5]);

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

    [Fact]
    public void FullFlowTable_IsReportedOnce_WithTheLimitAsGivenAndEachThreadsShare()
    {
        using var dir = CliRunner.TempDir();

        CliRun run = CliRunner.Run(["analyze", RepoPaths.Sample("tcp-basic.pcap"), "-o", dir.Path, "--format", "csv,json", "--max-flows", "2", "--threads", "3"]);

        Assert.Equal(0, run.ExitCode);
        string[] rows = File.ReadAllLines(dir.File("events.csv")).Where(l => l.Contains("capture.flow_table_full", StringComparison.Ordinal)).ToArray();
        Assert.Single(rows);
        Assert.Contains("max_flows=2 threads=3 per_thread=1", rows[0]);
        Assert.Contains("\"capture.flow_table_full\": 1", File.ReadAllText(dir.File("summary.json")));
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
