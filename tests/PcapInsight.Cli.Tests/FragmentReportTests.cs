using System.Text.Json;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Cli.Tests;

/// <summary>End to end: fragments.csv and the fragmentation findings from the real CLI on the sample captures.</summary>
public class FragmentReportTests
{
    private static readonly string[] Header =
    [
        "first_time", "last_time", "ip_version", "src", "dst", "ip_id", "protocol", "fragments", "bytes", "status", "missing",
        "overlap_bytes", "conflict_bytes", "largest_fragment", "tiny_fragments", "first_frame", "ended", "policies", "file",
    ];

    [Fact]
    public void Analyze_FragmentLoss_ListsEveryDatagram_AndExplainsTheLoss()
    {
        using var dir = CliRunner.TempDir();

        CliRun run = CliRunner.Run(["analyze", RepoPaths.Sample("udp-fragment-loss.server.pcap"), "-o", dir.Path]);

        Assert.True(run.ExitCode == 0, run.Stderr);
        string[] lines = File.ReadAllLines(dir.File("fragments.csv"));
        Assert.Equal(Header, lines[0].Split(','));
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(40, rows.Count);
        Assert.Equal(4, rows.Count(r => r[9] == "incomplete"));
        Assert.All(rows.Where(r => r[9] == "incomplete"), r => Assert.NotEqual("", r[10]));
        using JsonDocument summary = JsonDocument.Parse(File.ReadAllText(dir.File("summary.json")));
        JsonElement finding = summary.RootElement.GetProperty("findings").EnumerateArray()
            .First(f => f.GetProperty("event").GetString() == "ip.frag_incomplete");
        Assert.Contains("never completed (evidence: fragments, certain): one lost fragment loses the whole datagram", finding.GetProperty("explanation").GetString());
        Assert.Contains("at most 1472 bytes of UDP payload", finding.GetProperty("advice").GetString());
        Assert.Equal(4, summary.RootElement.GetProperty("events").GetProperty("ip.frag_incomplete").GetInt32());
    }

    [Fact]
    public void Analyze_BadFragmentLimit_ExitsTwo()
    {
        using var dir = CliRunner.TempDir();

        CliRun run = CliRunner.Run(["analyze", RepoPaths.Sample("udp-fragment-loss.server.pcap"), "-o", dir.Path, "--max-frag-datagrams", "0"]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--max-frag-datagrams", run.Stderr);
    }
}

/// <summary>End to end: udp.csv and --udp-seq from the real CLI.</summary>
public class UdpReportTests
{
    [Fact]
    public void Analyze_RtpSample_WritesUdpCsvWithItsSequenceFigures()
    {
        using var dir = CliRunner.TempDir();

        CliRun run = CliRunner.Run(["analyze", RepoPaths.Sample("rtp-gaps-jitter.pcap"), "-o", dir.Path]);

        Assert.True(run.ExitCode == 0, run.Stderr);
        string[] lines = File.ReadAllLines(dir.File("udp.csv"));
        Assert.Equal("flow_id,src,src_port,dst,dst_port,datagrams,bytes,max_datagram,fragmented_datagrams,lost_with_fragment,seq_kind,seq_lost,"
            + "seq_duplicates,seq_reordered,jitter_ms,seq_direction,rtp_ssrc,rtp_payload_type", lines[0]);
        string[] row = lines[1].Split(',');
        Assert.Equal(["rtp", "5", "1", "1"], row[10..14]);
        using var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(dir.File("summary.json")));
        string explanation = summary.RootElement.GetProperty("findings").EnumerateArray()
            .Single(f => f.GetProperty("event").GetString() == "udp.seq_gap").GetProperty("explanation").GetString()!;
        Assert.Contains("5 of 300 datagrams never reached the capture point", explanation);
        Assert.Contains("evidence: sequence numbers", explanation);
    }

    [Fact]
    public void Analyze_BadUdpSeq_ExitsTwoAndSaysWhatIsExpected()
    {
        using var dir = CliRunner.TempDir();

        CliRun run = CliRunner.Run(["analyze", RepoPaths.Sample("rtp-gaps-jitter.pcap"), "-o", dir.Path, "--udp-seq", "4"]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("OFFSET:WIDTH", run.Stderr);
    }
}
