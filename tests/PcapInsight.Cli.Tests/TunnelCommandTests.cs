using System.Text.Json;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Cli.Tests;

/// <summary>
/// End to end on the capture of a real VXLAN tunnel (sample-captures/nagle-delack-vxlan, the Nagle loop between two
/// overlay addresses, captured on the underlay): the report is about the connection inside, says how many frames it
/// opened, and <c>--tunnel-depth 0</c> gives the tunnel's own view.
/// </summary>
public sealed class TunnelCommandTests
{
    private static readonly string Capture = RepoPaths.Sample("nagle-delack-vxlan.client.pcap");

    [Fact]
    public void Analyze_VxlanCapture_ReportsTheConnectionInsideAndItsStalls()
    {
        using var dir = CliRunner.TempDir();

        CliRun run = CliRunner.Run(["analyze", Capture, "-o", dir.Path, "--color", "never"]);

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("tunneled    107 frames analysed inside their tunnel (VXLAN 107)", run.Stdout);
        Assert.Contains("warning tcp.nagle_stall", run.Stdout);
        using JsonDocument summary = JsonDocument.Parse(File.ReadAllText(dir.File("summary.json")));
        JsonElement packets = summary.RootElement.GetProperty("packets");
        Assert.Equal(107, packets.GetProperty("tunneled").GetInt64());
        Assert.Equal(107, packets.GetProperty("tunnels").GetProperty("vxlan").GetInt64());
        Assert.Equal(0, packets.GetProperty("tunnels").GetProperty("gre").GetInt64());
        Assert.Equal(107, packets.GetProperty("tcp").GetInt64());
        Assert.Equal(19, summary.RootElement.GetProperty("events").GetProperty("tcp.nagle_stall").GetInt64());

        string[] header = File.ReadLines(dir.File("flows.csv")).First().Split(',');
        string[] row = Assert.Single(File.ReadLines(dir.File("flows.csv")).Skip(1)).Split(',');
        Assert.Equal("tcp", row[Array.IndexOf(header, "proto")]);
        Assert.Equal("203.0.113.1", row[Array.IndexOf(header, "client")]);
        Assert.Equal("203.0.113.2", row[Array.IndexOf(header, "server")]);
        Assert.Equal("1410", row[Array.IndexOf(header, "mss_c2s")]);
        Assert.Equal("19", row[Array.IndexOf(header, "nagle_stalls")]);
        Assert.Equal("vxlan", row[Array.IndexOf(header, "tunnel")]);
        string html = File.ReadAllText(dir.File("report.html"));
        Assert.Contains("tunneled", html);
        Assert.Contains("<th>tunnel</th>", html);
        Assert.Contains("<td>vxlan</td>", html);
    }

    [Fact]
    public void Analyze_TunnelDepthZero_ReportsOnlyTheTunnelsUdpFlows()
    {
        using var dir = CliRunner.TempDir();

        CliRun run = CliRunner.Run(["analyze", Capture, "-o", dir.Path, "--tunnel-depth", "0", "--format", "csv,json"]);

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.DoesNotContain("tunneled", run.Stdout);
        using JsonDocument summary = JsonDocument.Parse(File.ReadAllText(dir.File("summary.json")));
        Assert.Equal(0, summary.RootElement.GetProperty("packets").GetProperty("tunneled").GetInt64());
        Assert.False(summary.RootElement.GetProperty("events").TryGetProperty("tcp.nagle_stall", out _));
        string[] header = File.ReadLines(dir.File("flows.csv")).First().Split(',');
        string[][] rows = File.ReadLines(dir.File("flows.csv")).Skip(1).Select(l => l.Split(',')).ToArray();
        Assert.Equal(2, rows.Length);
        Assert.All(rows, r =>
        {
            Assert.Equal("udp", r[Array.IndexOf(header, "proto")]);
            Assert.Equal("4789", r[Array.IndexOf(header, "server_port")]);
            Assert.Equal("", r[Array.IndexOf(header, "tunnel")]);
        });
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("17")]
    [InlineData("deep")]
    public void Analyze_TunnelDepthOutOfRange_ExitsTwoAndSaysWhich(string value)
    {
        using var dir = CliRunner.TempDir();

        CliRun run = CliRunner.Run(["analyze", Capture, "-o", dir.Path, "--tunnel-depth", value]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--tunnel-depth", run.Stderr);
        Assert.False(File.Exists(dir.File("summary.json")));
    }

    [Fact]
    public void Info_VxlanCapture_CountsTheFramesOpened()
    {
        CliRun run = CliRunner.Run(["info", "--json", Capture]);

        Assert.True(run.ExitCode == 0, run.Stderr);
        using JsonDocument info = JsonDocument.Parse(run.Stdout);
        Assert.Equal(107, info.RootElement.GetProperty("tunneled").GetInt64());
        Assert.Equal(107, info.RootElement.GetProperty("tcp").GetInt64());
    }

    [Fact]
    public void Follow_FlowInsideTheTunnel_WritesTheClientsRequests()
    {
        // Each of the 20 requests is a 20-byte header of 'h' and a 200-byte body of 'b' (programs/nagle.py).
        using var dir = CliRunner.TempDir();

        CliRun run = CliRunner.Run(["follow", Capture, "--flow", "1", "-w", dir.File("requests.bin")]);
        CliRun outer = CliRunner.Run(["follow", Capture, "--flow", "1", "--tunnel-depth", "0", "-w", dir.File("outer.bin")]);

        Assert.True(run.ExitCode == 0, run.Stderr);
        string expected = string.Concat(Enumerable.Repeat(new string('h', 20) + new string('b', 200), 20));
        Assert.Equal(expected, File.ReadAllText(dir.File("requests.bin")));
        // With the tunnels shut, flow 1 is the tunnel's UDP flow: nothing to follow.
        Assert.Contains("flow 1 is udp, not TCP", outer.Stderr);
        Assert.Equal(2, outer.ExitCode);
        Assert.False(File.Exists(dir.File("outer.bin")));
    }

    [Fact]
    public void Analyze_VxlanMtuTooLarge_FindingSaysWhichMtuWouldFit()
    {
        // sample-captures/bulk-vxlan-mtu: a VXLAN interface left at the underlay's 1500, so its endpoints fragmented
        // the outer datagrams. The finding names the tunnel, its overhead and the MTU that fits; the tunnel's UDP
        // datagrams get no advice about an application's datagram size.
        using var dir = CliRunner.TempDir();

        CliRun run = CliRunner.Run(["analyze", RepoPaths.Sample("bulk-vxlan-mtu.client.pcap"), "-o", dir.Path, "--format", "json"]);

        Assert.True(run.ExitCode == 0, run.Stderr);
        using JsonDocument summary = JsonDocument.Parse(File.ReadAllText(dir.File("summary.json")));
        JsonElement[] findings = [.. summary.RootElement.GetProperty("findings").EnumerateArray()];
        JsonElement tunnel = Assert.Single(findings, f => f.GetProperty("event").GetString() == "ip.tunnel_fragmented");
        string explanation = tunnel.GetProperty("explanation").GetString()!;
        Assert.Contains("The tunnel (vxlan between 192.0.2.1 and 198.51.100.1) carried packets of up to 1500 bytes for 1 flow", explanation);
        Assert.Contains("with 50 bytes of outer headers, and the underlay split them at 1500 bytes", explanation);
        Assert.Contains("an inner MTU of at most 1450 bytes would fit (TCP MSS 1410 over IPv4", explanation);
        Assert.DoesNotContain(findings, f => f.GetProperty("event").GetString() == "ip.fragmented");
    }

    [Fact]
    public void Analyze_FragmentedErspanMirror_AdviceIsForTheMirrorsPath()
    {
        // A switch mirrors a 1,504-byte frame (a 1,490-byte IP packet) with ERSPAN II: with GRE's 8 and ERSPAN's 8 bytes
        // it is 1,520 bytes of IP payload, split by the mirror's path at 1,500. The traffic itself was fine: the finding
        // says the fragments cost the monitoring path, and no host MTU is to change.
        byte[] inner = FrameBuilder.Ethernet(0x0800, FrameBuilder.Ipv4("198.51.100.1", "198.51.100.2", 6, FrameBuilder.Tcp(40000, 80, seq: 1, payloadLength: 1450)));
        byte[] gre = TunnelFrames.Gre(0x88BE, TunnelFrames.ErspanII(inner), sequence: 1);
        byte[] first = FrameBuilder.Ethernet(0x0800, FrameBuilder.Ipv4("192.0.2.1", "192.0.2.2", 47, gre[..1480], id: 9, moreFragments: true));
        byte[] second = FrameBuilder.Ethernet(0x0800, FrameBuilder.Ipv4("192.0.2.1", "192.0.2.2", 47, gre[1480..], id: 9, fragmentOffsetBytes: 1480));
        using var dir = CliRunner.TempDir();
        File.WriteAllBytes(dir.File("mirror.pcap"), Captures.Pcap(PcapInsight.Core.Capture.LinkType.Ethernet, (0.0, first), (0.001, second)));

        CliRun run = CliRunner.Run(["analyze", dir.File("mirror.pcap"), "-o", dir.File("report"), "--format", "json,csv"]);

        Assert.True(run.ExitCode == 0, run.Stderr);
        using JsonDocument summary = JsonDocument.Parse(File.ReadAllText(dir.File("report/summary.json")));
        JsonElement finding = Assert.Single(summary.RootElement.GetProperty("findings").EnumerateArray(),
            f => f.GetProperty("event").GetString() == "ip.tunnel_fragmented");
        string explanation = finding.GetProperty("explanation").GetString()!;
        Assert.Contains("The tunnel (gre+erspan between 192.0.2.1 and 192.0.2.2) carried packets of up to 1490 bytes for 1 flow, with 50 bytes of outer headers", explanation);
        Assert.Contains("ERSPAN is a switch's mirror", explanation);
        Assert.Contains("give the mirror's path 50 bytes more MTU, or have the session truncate mirrored frames to 1450 bytes", explanation);
        Assert.DoesNotContain("ip link set", explanation);
        string[] header = File.ReadLines(dir.File("report/flows.csv")).First().Split(',');
        string[] row = Assert.Single(File.ReadLines(dir.File("report/flows.csv")).Skip(1)).Split(',');
        Assert.Equal("198.51.100.1", row[Array.IndexOf(header, "client")]);
        Assert.Equal("gre+erspan", row[Array.IndexOf(header, "tunnel")]);
    }
}
