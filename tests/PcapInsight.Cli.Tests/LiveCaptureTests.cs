using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Cli.Tests;

/// <summary>
/// <c>live</c> for real (as root; CI runs them): capture on loopback, or on a veth between two namespaces the test
/// makes, while the test sends known traffic; the findings equal those of <c>analyze</c> on the pcapng that
/// <c>-w</c> saved; filters, signals, limits and every way of failing to start.
/// </summary>
[Collection("live")]   // one live capture at a time: they share loopback
public class LiveCaptureTests
{
    internal static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private static JsonElement Summary(string dir) => JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json"))).RootElement;

    internal static Dictionary<string, long> EventCounts(string dir) =>
        Summary(dir).GetProperty("events").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());

    /// <summary>A CSV without its last column (file: "live:lo" against the pcapng's name).</summary>
    private static string[] RowsLessFile(string dir, string csv) =>
        File.ReadAllLines(Path.Combine(dir, csv)).Select(l => l[..l.LastIndexOf(',')]).ToArray();

    /// <summary>The live report and analyze's report of the saved pcapng say the same.</summary>
    internal static void AssertSameAsAnalyze(string liveDir, string pcapng, string analyzeDir, params string[] extra)
    {
        CliRun analyze = CliRunner.Run(["analyze", pcapng, "-o", analyzeDir, "-q", "--format", "csv,json", .. extra]);
        Assert.Equal(0, analyze.ExitCode);
        Assert.Equal(RowsLessFile(liveDir, "flows.csv"), RowsLessFile(analyzeDir, "flows.csv"));
        // A live flow's first frame counts in the interface's capture ("live:lo"), a saved one's in the pcapng.
        Assert.All(File.ReadAllLines(Path.Combine(liveDir, "flows.csv")).Skip(1), l => Assert.StartsWith("live:", l[(l.LastIndexOf(',') + 1)..]));
        Assert.All(File.ReadAllLines(Path.Combine(analyzeDir, "flows.csv")).Skip(1), l => Assert.EndsWith("," + Path.GetFileName(pcapng), l));
        Assert.Equal(RowsLessFile(liveDir, "events.csv"), RowsLessFile(analyzeDir, "events.csv"));
        Assert.Equal(EventCounts(liveDir), EventCounts(analyzeDir));
        Assert.Equal(RowsLessFile(liveDir, "fragments.csv"), RowsLessFile(analyzeDir, "fragments.csv"));
        Assert.Equal(
            Summary(liveDir).GetProperty("findings").EnumerateArray().Select(f => f.GetProperty("event").GetString() + "/" + f.GetProperty("explanation").GetString()),
            Summary(analyzeDir).GetProperty("findings").EnumerateArray().Select(f => f.GetProperty("event").GetString() + "/" + f.GetProperty("explanation").GetString()));
        if (File.Exists("/usr/bin/tshark"))
        {
            CliRun tshark = CliRunner.RunProcess("tshark", ["-r", pcapng, "-q", "-z", "io,stat,0"]);
            Assert.True(tshark.ExitCode == 0, tshark.Stderr);
        }
    }

    [LiveFact]
    public void Interfaces_ListLoopback()
    {
        CliRun run = CliRunner.Run(["interfaces", "--json"]);

        Assert.Equal(0, run.ExitCode);
        JsonElement lo = JsonDocument.Parse(run.Stdout).RootElement.EnumerateArray().Single(i => i.GetProperty("name").GetString() == "lo");
        Assert.True(lo.GetProperty("loopback").GetBoolean());
        Assert.True(lo.GetProperty("up").GetBoolean());
        Assert.Contains("127.0.0.1", lo.GetProperty("addresses").EnumerateArray().Select(a => a.GetString()));
    }

    [LiveFact]
    public void NagleAndSlowReader_OnLoopback_FoundLive_AsAnalyzeFindsThemInTheSavedPcapng()
    {
        using var dir = CliRunner.TempDir();
        int naglePort = FreePort(), readerPort = FreePort();
        using LiveProcess live = LiveProcess.Start(["-i", "lo", "-f", $"tcp port {naglePort} or tcp port {readerPort}", "-w", dir.File("live.pcapng"),
            "-o", dir.File("live"), "--format", "csv,json"]);

        Traffic.WriteWriteRead(naglePort, requests: 20);
        Traffic.SlowReader(readerPort, bytes: 4 << 20, pauseMs: 600);
        live.Signal(2);   // Ctrl-C
        CliRun run = live.WaitForExit();

        Assert.Equal(0, run.ExitCode);
        Dictionary<string, long> events = EventCounts(dir.File("live"));
        Assert.InRange(events.GetValueOrDefault("tcp.nagle_stall"), 10, 20);   // most requests wait for a 40 ms delayed ACK
        Assert.True(events.GetValueOrDefault("tcp.zero_window") >= 1, string.Join(", ", events));
        Assert.Contains("tcp.nagle_stall", run.Stdout);
        AssertSameAsAnalyze(dir.File("live"), dir.File("live.pcapng"), dir.File("analyze"));
    }

    [LiveFact]
    public void LargeUdpDatagrams_OverASmallMtu_AreReassembledLive_AsFromTheSavedPcapng()
    {
        using var dir = CliRunner.TempDir();
        using var link = new SmallMtuLink(1280);
        using LiveProcess live = LiveProcess.Start(["-i", link.Interface, "-w", dir.File("live.pcapng"), "-o", dir.File("live"), "--format", "csv,json"],
            prefix: link.InSender);

        link.SendUdp(port: 9999, count: 20, size: 3000);
        live.Signal(15);   // SIGTERM
        CliRun run = live.WaitForExit();

        Assert.Equal(0, run.ExitCode);
        string[] fragments = File.ReadAllLines(dir.File("live/fragments.csv"));
        Assert.Equal(21, fragments.Length);
        Assert.All(fragments.Skip(1), row => Assert.Contains(",3,3008,complete,", row));   // 3 fragments each, 3,008 bytes of UDP
        AssertSameAsAnalyze(dir.File("live"), dir.File("live.pcapng"), dir.File("analyze"));
    }

    [LiveFact]
    public void Filter_LimitsWhatIsSeen()
    {
        using var dir = CliRunner.TempDir();
        int wanted = FreePort(), other = FreePort();
        using LiveProcess live = LiveProcess.Start(["-i", "lo", "-f", $"udp port {wanted}", "-o", dir.Path, "--format", "csv"]);

        Traffic.Udp(IPAddress.Loopback, wanted, count: 5, size: 100);
        Traffic.Udp(IPAddress.Loopback, other, count: 7, size: 100);
        live.Signal(2);
        Assert.Equal(0, live.WaitForExit().ExitCode);

        string[] flows = File.ReadAllLines(dir.File("flows.csv")).Skip(1).ToArray();
        string flow = Assert.Single(flows);
        Assert.Contains($",{wanted},", flow);
        Assert.Contains(",udp,", flow);
    }

    [LiveFact]
    public void Count_StopsAfterExactlyNFrames_WithAValidPcapng()
    {
        using var dir = CliRunner.TempDir();
        int port = FreePort();
        using LiveProcess live = LiveProcess.Start(["-i", "lo", "-f", $"udp port {port}", "-c", "5", "-w", dir.File("c.pcapng"), "-o", dir.Path, "--format", "json"]);

        Traffic.Udp(IPAddress.Loopback, port, count: 50, size: 64, pauseEvery: 1);
        CliRun run = live.WaitForExit(TimeSpan.FromSeconds(60));

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(5, Summary(dir.Path).GetProperty("capture").GetProperty("packets").GetInt64());
        CliRun reread = CliRunner.Run(["analyze", dir.File("c.pcapng"), "-o", dir.File("again"), "--format", "json", "-q"]);
        Assert.Equal(0, reread.ExitCode);
        Assert.Equal(5, Summary(dir.File("again")).GetProperty("capture").GetProperty("packets").GetInt64());
    }

    [LiveFact]
    public void ReportEvery_WritesTheStateSoFar_WhileItRuns()
    {
        using var dir = CliRunner.TempDir();
        int port = FreePort();
        using LiveProcess live = LiveProcess.Start(["-i", "lo", "-f", $"udp port {port}", "--report-every", "1", "-o", dir.Path, "--format", "csv,json"]);

        Traffic.Udp(IPAddress.Loopback, port, count: 10, size: 64);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!(File.Exists(dir.File("flows.csv")) && File.ReadAllLines(dir.File("flows.csv")).Length == 2) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(100);
        }
        // Written while the capture goes on, with the flow still open.
        Assert.Equal(2, File.ReadAllLines(dir.File("flows.csv")).Length);
        Assert.Contains(",open", File.ReadAllLines(dir.File("flows.csv"))[1]);
        live.Signal(2);
        Assert.Equal(0, live.WaitForExit().ExitCode);
        Assert.Equal(10, Summary(dir.Path).GetProperty("capture").GetProperty("packets").GetInt64());
    }

    [LiveFact]
    public void BurstLargerThanTheQueue_DropsAreCountedAndReported_AndMemoryStaysBounded()
    {
        using var dir = CliRunner.TempDir();
        int port = FreePort();
        using LiveProcess live = LiveProcess.Start(["-i", "lo", "-f", $"udp port {port}", "--queue-frames", "1", "-o", dir.Path, "--format", "csv,json"]);

        Traffic.Udp(IPAddress.Loopback, port, count: 20_000, size: 1000);
        Thread.Sleep(500);
        long peak = live.PeakRssBytes();
        live.Signal(2);
        CliRun run = live.WaitForExit();

        Assert.Equal(0, run.ExitCode);
        string drops = File.ReadAllLines(dir.File("events.csv")).Single(l => l.Contains("capture.interface_drops"));
        long queueDrops = long.Parse(System.Text.RegularExpressions.Regex.Match(drops, @"queue_drop=(\d+)").Groups[1].Value);
        long seen = Summary(dir.Path).GetProperty("capture").GetProperty("packets").GetInt64();
        Assert.True(queueDrops > 0, drops);
        Assert.Contains($"queue {queueDrops:N0}", run.Stderr);
        Assert.InRange(seen + queueDrops, 1, 20_000);
        Assert.True(peak < 400L << 20, $"peak RSS {peak >> 20} MiB");
    }

    [LiveFact]
    public void KilledOutright_ThePcapngWrittenSoFarStillReads()
    {
        using var dir = CliRunner.TempDir();
        int port = FreePort();
        using LiveProcess live = LiveProcess.Start(["-i", "lo", "-f", $"udp port {port}", "-w", dir.File("killed.pcapng"), "-o", dir.Path, "--format", "json"]);

        Traffic.Udp(IPAddress.Loopback, port, count: 200, size: 300);
        Thread.Sleep(1500);   // the file is flushed every second
        live.Signal(9);       // SIGKILL: no handler runs, no report is written
        live.WaitForExit();

        CliRun read = CliRunner.Run(["analyze", dir.File("killed.pcapng"), "-o", dir.File("after"), "--format", "json", "-q"]);
        Assert.Equal(0, read.ExitCode);
        Assert.Equal(200, JsonDocument.Parse(File.ReadAllText(dir.File("after/summary.json"))).RootElement.GetProperty("capture").GetProperty("packets").GetInt64());
        if (File.Exists("/usr/bin/tshark"))
        {
            CliRun tshark = CliRunner.RunProcess("tshark", ["-r", dir.File("killed.pcapng"), "-q"]);
            Assert.True(tshark.ExitCode == 0, tshark.Stderr);
        }
    }

    [LiveFact]
    public void BadFilter_IsRefusedWithLibpcapsMessage_ExitTwo()
    {
        CliRun run = CliRunner.Run(["live", "-i", "lo", "-f", "tcp port nonsense", "--duration", "1"]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("bad filter expression 'tcp port nonsense'", run.Stderr);
        Assert.Contains("nonsense", run.Stderr[run.Stderr.IndexOf(':', run.Stderr.IndexOf("bad filter"))..]);
    }

    [LiveFact]
    public void NoSuchInterface_ExitFour_NamingTheInterfacesThereAre()
    {
        CliRun run = CliRunner.Run(["live", "-i", "nosuch0", "--duration", "1"]);

        Assert.Equal(4, run.ExitCode);
        Assert.Contains("no such interface 'nosuch0'", run.Stderr);
        Assert.Contains("lo", run.Stderr);
    }

    [LiveFact]
    public void InterfaceDown_ExitFour_SayingHowToBringItUp()
    {
        using var link = new SmallMtuLink(1500);
        CliRunner.RunProcess("ip", ["-n", link.Sender, "link", "set", link.Interface, "down"]);

        using LiveProcess live = LiveProcess.Start(["-i", link.Interface, "--duration", "1"], prefix: link.InSender, waitForCapture: false);
        CliRun run = live.WaitForExit(TimeSpan.FromSeconds(60));

        Assert.Equal(4, run.ExitCode);
        Assert.Contains($"interface {link.Interface} is down", run.Stderr);
        Assert.Contains($"ip link set {link.Interface} up", run.Stderr);
    }

    [LiveFact]
    public void WithoutCaptureCapabilities_ExitFour_SayingHowToGrantThem()
    {
        // Root without CAP_NET_RAW and CAP_NET_ADMIN is what an ordinary user is to libpcap.
        using LiveProcess live = LiveProcess.Start(["-i", "lo", "--duration", "1"],
            prefix: ["setpriv", "--bounding-set=-net_raw,-net_admin", "--inh-caps=-net_raw,-net_admin"], waitForCapture: false);
        CliRun run = live.WaitForExit(TimeSpan.FromSeconds(60));

        Assert.Equal(4, run.ExitCode);
        Assert.Contains("no permission to capture on lo", run.Stderr);
        Assert.Contains("setcap cap_net_raw,cap_net_admin+eip", run.Stderr);
    }
}

/// <summary>Findings that frames missing from the capture can fake say so when the capture dropped frames.</summary>
public class DropConfidenceTests
{
    private static byte[] Capture(ulong? interfaceDrops)
    {
        using var stream = new MemoryStream();
        var w = new PcapNgWriter(stream).Section().Interface(PcapInsight.Core.Capture.LinkType.Ethernet, name: "eth0");
        byte[] Frame(string src, string dst, byte[] tcp) => FrameBuilder.Ethernet(0x0800, FrameBuilder.Ipv4(src, dst, 6, tcp));
        ulong t = 1_700_000_000_000_000;
        w.Enhanced(0, t, Frame("192.0.2.1", "198.51.100.1", FrameBuilder.Tcp(40000, 80, 1000, 0, PcapInsight.Core.Decoding.TcpFlags.Syn)));
        w.Enhanced(0, t + 1000, Frame("198.51.100.1", "192.0.2.1", FrameBuilder.Tcp(80, 40000, 5000, 1001, PcapInsight.Core.Decoding.TcpFlags.Syn | PcapInsight.Core.Decoding.TcpFlags.Ack)));
        w.Enhanced(0, t + 2000, Frame("192.0.2.1", "198.51.100.1", FrameBuilder.Tcp(40000, 80, 1001, 5001, payloadLength: 100)));
        w.Enhanced(0, t + 300_000, Frame("192.0.2.1", "198.51.100.1", FrameBuilder.Tcp(40000, 80, 1001, 5001, payloadLength: 100)));   // resent
        if (interfaceDrops is { } drops)
        {
            w.Statistics(0, drops);
        }
        return stream.ToArray();
    }

    [Theory]
    [InlineData(null, "normal")]
    [InlineData(5UL, "lowered")]
    public void Retransmission_ConfidenceLowered_OnlyWhenTheCaptureDroppedFrames(ulong? drops, string confidence)
    {
        using var dir = CliRunner.TempDir();
        File.WriteAllBytes(dir.File("c.pcapng"), Capture(drops));

        Assert.Equal(0, CliRunner.Run(["analyze", dir.File("c.pcapng"), "-o", dir.Path, "--format", "json", "-q"]).ExitCode);

        JsonElement finding = JsonDocument.Parse(File.ReadAllText(dir.File("summary.json"))).RootElement.GetProperty("findings").EnumerateArray()
            .Single(f => f.GetProperty("event").GetString() == "tcp.retransmission");
        Assert.Equal(confidence, finding.GetProperty("confidence").GetString());
        Assert.Equal(drops is not null, finding.GetProperty("explanation").GetString()!.Contains("the capture itself dropped 5 frames"));
    }
}
