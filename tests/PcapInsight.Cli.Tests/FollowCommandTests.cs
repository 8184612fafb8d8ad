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
