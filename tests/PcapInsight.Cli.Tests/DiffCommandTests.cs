using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Cli.Tests;

/// <summary>End to end: <c>pcapinsight diff</c> on the two captures of the lossy sample scenarios.</summary>
public class DiffCommandTests
{
    [Theory]
    [InlineData("bulk-loss-reorder", "tcp.lost", 9)]
    [InlineData("rto-outage", "tcp.lost", 53)]
    [InlineData("udp-fragment-loss", "udp.lost", 4)]
    public void Diff_LossySample_ListsExactlyThePacketsThePathDropped(string scenario, string kind, int dropped)
    {
        using var dir = CliRunner.TempDir();

        CliRun run = CliRunner.Run(["diff", RepoPaths.Sample(scenario + ".client.pcap"), RepoPaths.Sample(scenario + ".server.pcap"), "-o", dir.Path]);

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains($"Lost between the points: {dropped} from {scenario}.client.pcap's side, 0 from", run.Stdout);
        string[] rows = File.ReadAllLines(dir.File("diff.csv"));
        Assert.Equal("event,direction,file,frame,time,src,dst,packet", rows[0]);
        Assert.Equal(dropped, rows.Skip(1).Count(r => r.StartsWith(kind + ",forward,", StringComparison.Ordinal)));
    }

    [Fact]
    public void Diff_MissingFile_ExitsThree()
    {
        using var dir = CliRunner.TempDir();

        CliRun run = CliRunner.Run(["diff", dir.File("nope.pcap"), RepoPaths.Sample("tcp-basic.pcap"), "-o", dir.Path]);

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("no such file", run.Stderr);
    }

    [Fact]
    public void Help_ListsDiff_AndExplainsItWithExamples()
    {
        CliRun root = CliRunner.Run(["--help"]);
        CliRun diff = CliRunner.Run(["diff", "--help"]);

        Assert.Contains("diff", root.Stdout);
        Assert.Contains("Examples:", diff.Stdout);
        Assert.Contains("--max-packets", diff.Stdout);
    }
}
