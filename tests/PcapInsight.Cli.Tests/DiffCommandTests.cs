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

    /// <summary>
    /// Past --max-packets the rest of a capture is not compared, and the other capture's packets after the cut would
    /// look lost: said on stderr for each capture cut, as a file cut short (truncated) is.
    /// </summary>
    [Fact]
    public void Diff_PastMaxPacketsOrACutFile_SaysSoOnStderr()
    {
        using var dir = CliRunner.TempDir();
        string sender = RepoPaths.Sample("bulk-loss-reorder.client.pcap");
        byte[] whole = File.ReadAllBytes(RepoPaths.Sample("bulk-loss-reorder.server.pcap"));
        string truncated = dir.File("receiver-cut.pcap");
        File.WriteAllBytes(truncated, whole[..(whole.Length / 2 + 7)]);

        CliRun limited = CliRunner.Run(["diff", sender, RepoPaths.Sample("bulk-loss-reorder.server.pcap"), "-o", dir.File("a"), "--max-packets", "100"]);
        CliRun cut = CliRunner.Run(["diff", sender, truncated, "-o", dir.File("b")]);

        Assert.Equal(0, limited.ExitCode);
        Assert.Contains($"pcapinsight: warning: {sender}: more than --max-packets 100 packets: only the first 100 were compared", limited.Stderr);
        Assert.Contains("bulk-loss-reorder.server.pcap: more than --max-packets 100 packets", limited.Stderr);
        int matched = int.Parse(System.Text.RegularExpressions.Regex.Match(limited.Stdout, @"Matched (\d+) packets").Groups[1].Value);
        Assert.InRange(matched, 50, 100);   // of the first 100 at each point (the sample's first seconds: loss and reordering)
        Assert.Equal(0, cut.ExitCode);
        Assert.Contains($"pcapinsight: warning: {truncated}: the file ends inside record", cut.Stderr);
        Assert.DoesNotContain("--max-packets", cut.Stderr);
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
