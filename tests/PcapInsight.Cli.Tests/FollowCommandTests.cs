using System.Security.Cryptography;
using System.Text.Json;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Cli.Tests;

/// <summary>follow rebuilds each direction byte for byte: the sha256 the sending program recorded, even through loss.</summary>
public class FollowCommandTests
{
    [Theory]
    [InlineData("bulk-loss-reorder", "client", "c2s")]
    [InlineData("bulk-loss-reorder", "server", "c2s")]
    [InlineData("bulk-loss-reorder", "client", "s2c")]
    [InlineData("rto-outage", "server", "c2s")]
    [InlineData("pmtu-icmp", "client", "c2s")]
    [InlineData("offload-supersegments", "client", "c2s")]
    [InlineData("zero-window", "server", "c2s")]
    public void Follow_SampleCapture_ReproducesTheSendersSha256(string scenario, string side, string direction)
    {
        using var dir = CliRunner.TempDir();
        using JsonDocument truth = JsonDocument.Parse(File.ReadAllText(RepoPaths.Sample(scenario + ".truth.json")));
        JsonElement programs = truth.RootElement.GetProperty("programs");
        JsonElement sender = direction == "c2s"
            ? (programs.TryGetProperty("client", out JsonElement c) ? c : programs.GetProperty("client_ipv4"))
            : (programs.TryGetProperty("server", out JsonElement s) ? s : programs.GetProperty("server_ipv4"));

        CliRun run = CliRunner.Run(["follow", RepoPaths.Sample($"{scenario}.{side}.pcap"), "--flow", "1", "--direction", direction, "-w", dir.File("out.bin")]);

        Assert.True(run.ExitCode == 0, run.Stderr);
        byte[] bytes = File.ReadAllBytes(dir.File("out.bin"));
        Assert.Equal(sender.GetProperty("sha256_sent").GetString(), Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant());
        Assert.Contains("0 gaps", run.Stderr);
    }

    /// <summary>
    /// The lossy sample re-cut at a snaplen, as <c>tcpdump -s</c> would have written it: at 66 bytes (Ethernet, IP and
    /// TCP with timestamps: no payload at all) the stream is one gap as long as what the client sent, reordered and
    /// resent segments included; at 200 the bytes written are the uncut stream's with the gaps taken out, and the
    /// gaps past --max-listed-gaps are counted in one line.
    /// </summary>
    [Theory]
    [InlineData(66, 0)]
    [InlineData(200, 3)]
    [InlineData(200, 100000)]
    public void Follow_ACaptureCutByTheSnaplen_ReportsTheUncapturedBytesAsGaps(int snaplen, int maxListed)
    {
        using var dir = CliRunner.TempDir();
        string sample = RepoPaths.Sample("bulk-loss-reorder.server.pcap");
        string cut = dir.File("cut.pcap");
        var (frames, _) = Captures.ReadAll(Core.Capture.CaptureFile.Open(sample, 0));
        using (var file = File.Create(cut))
        using (var writer = new PcapWriter(file, frames[0].Info.LinkType, snaplen: snaplen))
        {
            foreach ((Core.Capture.CaptureInfo info, byte[] data) in frames)
            {
                writer.Write(info.TimestampNs, data.AsSpan(0, Math.Min(snaplen, data.Length)), info.OriginalLength);
            }
        }
        Assert.True(CliRunner.Run(["follow", sample, "--flow", "1", "-w", dir.File("whole.bin")]).ExitCode == 0);

        CliRun run = CliRunner.Run(["follow", cut, "--flow", "1", "-w", dir.File("cut.bin"), "--max-listed-gaps", maxListed.ToString()]);

        Assert.True(run.ExitCode == 0, run.Stderr);
        byte[] whole = File.ReadAllBytes(dir.File("whole.bin"));
        Assert.Equal(500_000, whole.Length);   // what the client program sent (truth.json)
        var gaps = System.Text.RegularExpressions.Regex.Matches(run.Stderr, @"gap: (\d+) bytes at stream offset (\d+)")
            .Select(m => (Length: int.Parse(m.Groups[1].Value), Offset: int.Parse(m.Groups[2].Value))).ToList();
        var summary = System.Text.RegularExpressions.Regex.Match(run.Stderr, @": (\d+) bytes, (\d+) gaps, sha256");
        long written = long.Parse(summary.Groups[1].Value), gapCount = long.Parse(summary.Groups[2].Value);
        Assert.Equal(written, new FileInfo(dir.File("cut.bin")).Length);
        if (snaplen == 66)
        {
            Assert.Equal(0, written);
            Assert.Equal(1, gapCount);
            Assert.Contains("1 more gaps (500000 bytes) not listed (--max-listed-gaps 0)", run.Stderr);
            return;
        }
        Assert.Equal(Math.Min(gapCount, maxListed), gaps.Count);
        Assert.True(gapCount > 300, $"{gapCount} gaps: about one a full segment");
        if (gapCount > maxListed)
        {
            long listed = gaps.Sum(g => (long)g.Length);
            Assert.Contains($"{gapCount - maxListed} more gaps ({500_000 - written - listed} bytes) not listed", run.Stderr);
            return;
        }
        // Every gap listed: the uncut stream with them taken out is the cut one, byte for byte.
        var expected = new List<byte>();
        int at = 0;
        foreach ((int length, int offset) in gaps)
        {
            expected.AddRange(whole[at..offset]);
            at = offset + length;
        }
        expected.AddRange(whole[at..]);
        Assert.Equal(expected.ToArray(), File.ReadAllBytes(dir.File("cut.bin")));
    }

    [Fact]
    public void Follow_ATruncatedFile_IsFollowedUpToTheCut_WithAWarning()
    {
        using var dir = CliRunner.TempDir();
        byte[] whole = File.ReadAllBytes(RepoPaths.Sample("bulk-loss-reorder.server.pcap"));
        string truncated = dir.File("cut.pcap");
        File.WriteAllBytes(truncated, whole[..(whole.Length / 2 + 7)]);

        CliRun run = CliRunner.Run(["follow", truncated, "--flow", "1", "-w", dir.File("out.bin")]);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains($"pcapinsight: warning: {truncated}: the file ends inside record", run.Stderr);
        long written = new FileInfo(dir.File("out.bin")).Length;
        Assert.InRange(written, 100_000, 499_999);   // part of the 500,000 bytes the client sent
    }

    /// <summary>
    /// Past --max-listed-flows (100,000) flows leave memory for the spool, and flows.csv still lists them with their
    /// ids: follow finds such a flow too (it once said "there is no flow" and counted only the listed ones).
    /// </summary>
    [Fact]
    public void Follow_AFlowPastTheListedOnes_IsFollowed_AsFlowsCsvNumbersIt()
    {
        using var dir = CliRunner.TempDir();
        string capture = dir.File("short.pcap");
        ShortConnections.Write(capture, 100_050);   // header-only frames (snaplen 96)
        CliRun analyze = CliRunner.Run(["analyze", capture, "-o", dir.File("report"), "--format", "csv", "-q"]);
        Assert.True(analyze.ExitCode == 0, analyze.Stderr);
        string row = File.ReadLines(dir.File("report/flows.csv")).Single(l => l.StartsWith("100040,", StringComparison.Ordinal));
        string[] cells = row.Split(',');

        CliRun run = CliRunner.Run(["follow", capture, "--flow", "100040", "-w", dir.File("out.bin")]);
        CliRun beyond = CliRunner.Run(["follow", capture, "--flow", "100051"]);

        Assert.True(run.ExitCode == 0, run.Stderr);
        // The client's 100-byte request, cut to 42 bytes by the snaplen: the rest a gap.
        Assert.Contains($"flow 100040 c2s ({cells[2]}:{cells[3]} -> {cells[4]}:{cells[5]}): 42 bytes, 1 gaps", run.Stderr);
        Assert.Equal(2, beyond.ExitCode);
        Assert.Contains("there is no flow 100051 (the capture has 100050 flows", beyond.Stderr);
    }

    [Fact]
    public void Follow_ToStandardOutput_WritesTheBytes()
    {
        CliRun run = CliRunner.Run(["follow", RepoPaths.Sample("tcp-basic.pcap"), "--flow", "1", "--direction", "s2c"]);

        Assert.Equal(0, run.ExitCode);
        Assert.StartsWith("HTTP/1.0 200 OK", run.Stdout);
    }

    [Theory]
    [InlineData("99", "there is no flow 99")]
    [InlineData("5", "flow 5 is udp, not TCP")]
    public void Follow_NoSuchTcpFlow_ExitsTwoAndWritesNothing(string flow, string message)
    {
        using var dir = CliRunner.TempDir();

        CliRun run = CliRunner.Run(["follow", RepoPaths.Sample("tcp-basic.pcap"), "--flow", flow, "-w", dir.File("out.bin")]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Stderr);
        Assert.False(File.Exists(dir.File("out.bin")));
        Assert.False(File.Exists(dir.File("out.bin.partial")));
    }

    [Fact]
    public void Follow_WithoutFlow_IsAUsageError()
    {
        CliRun run = CliRunner.Run(["follow", RepoPaths.Sample("tcp-basic.pcap")]);

        Assert.Equal(2, run.ExitCode);
    }
}
