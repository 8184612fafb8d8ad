using System.Text.Json;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Cli.Tests;

/// <summary>
/// fragments.csv's <c>tiny_fragments</c> against tshark on public captures of fragmented IPv4, and <c>ip.frag_tiny</c>
/// sampled in events.csv while summary.json counts every datagram.
/// </summary>
public class TinyFragmentTests
{
    /// <summary>
    /// Every tiny fragment in the file, as tshark sees it: IPv4 with More Fragments set and fewer than 256 bytes after
    /// the IP header (ip.len less ip.hdr_len), reassembly off so that each fragment is a frame of its own.
    /// </summary>
    private static int TsharkTinyFragments(string capture)
    {
        CliRun tshark = CliRunner.RunProcess("tshark",
            ["-r", capture, "-o", "ip.defragment:FALSE", "-Y", "ip.flags.mf == 1", "-T", "fields", "-e", "ip.len", "-e", "ip.hdr_len"]);
        Assert.True(tshark.ExitCode == 0, "tshark is needed (apt-get install tshark): " + tshark.Stderr);
        return tshark.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t'))
            .Count(f => int.Parse(f[0]) - int.Parse(f[1]) < 256);
    }

    private static List<Dictionary<string, string>> FragmentRows(string directory)
    {
        string[] lines = File.ReadAllLines(Path.Combine(directory, "fragments.csv"));
        string[] header = lines[0].Split(',');
        // None of these captures has a comma in a cell (no "missing" list of several ranges is quoted here: checked below).
        return lines.Skip(1).Select(l => l.Split(',')).Select(cells =>
        {
            Assert.Equal(header.Length, cells.Length);
            return header.Zip(cells).ToDictionary(p => p.First, p => p.Second);
        }).ToList();
    }

    /// <summary>The CLI's report of corpus capture <paramref name="file"/> in <paramref name="format"/>, in a folder the caller disposes.</summary>
    private static TempDir AnalyzeCorpus(string file, string format)
    {
        var dir = CliRunner.TempDir();
        CliRun run = CliRunner.Run(["analyze", Path.Combine(RepoPaths.Corpus!, file), "-o", dir.Path, "--format", format]);
        Assert.True(run.ExitCode == 0, run.Stderr);
        return dir;
    }

    [CorpusTheory]
    [InlineData("dnscap__frags-rawipv4.pcap")]                            // DNS answers over raw IPv4: every fragment but the last tiny
    [InlineData("ndpi__ip_fragmented_garbage.pcap")]
    [InlineData("peafowl__tcp-http_ip_fragmented_out_of_order.pcap")]
    [InlineData("pcapplusplus__frag_http_req.pcap")]
    [InlineData("arkime__socks5-http-302-frag.pcap")]
    [InlineData("filesamples__teardrop.pcap")]
    public void Analyze_CorpusFragments_TinyFragmentsEqualTsharks(string file)
    {
        using TempDir dir = AnalyzeCorpus(file, "csv,json");

        List<Dictionary<string, string>> rows = FragmentRows(dir.Path);
        int expected = TsharkTinyFragments(Path.Combine(RepoPaths.Corpus!, file));
        Assert.True(expected > 0, "the capture was chosen for its tiny fragments");
        Assert.Equal(expected, rows.Sum(r => int.Parse(r["tiny_fragments"])));
        using JsonDocument summary = JsonDocument.Parse(File.ReadAllText(dir.File("summary.json")));
        // ip.frag_tiny counts datagrams: those with at least one tiny fragment.
        Assert.Equal(rows.Count(r => r["tiny_fragments"] != "0"), summary.RootElement.GetProperty("events").GetProperty("ip.frag_tiny").GetInt32());
    }

    [CorpusFact]
    public void Analyze_FragmentsWhoseIpLengthPassesTheFrame_CountTheBytesThatCame()
    {
        // ndpi's badpackets: 93 UDP fragments whose IP headers claim 1,500 bytes in frames that carried far fewer (tshark:
        // "IPv4 total length exceeds packet length"; frame 1 is 271 bytes on the wire). tshark goes by the header, so
        // none is under 256 bytes; a fragment is tiny here by the bytes it carried, which is what a filter in the
        // path saw: 37 of them. A difference on purpose.
        using TempDir dir = AnalyzeCorpus("ndpi__badpackets-frags.pcap", "csv");

        Assert.Equal(0, TsharkTinyFragments(Path.Combine(RepoPaths.Corpus!, "ndpi__badpackets-frags.pcap")));
        List<Dictionary<string, string>> rows = FragmentRows(dir.Path);
        Assert.Equal(93, rows.Count);
        Assert.Equal(37, rows.Sum(r => int.Parse(r["tiny_fragments"])));
        Assert.All(rows.Where(r => r["tiny_fragments"] != "0"), r => Assert.True(int.Parse(r["bytes"]) < 256, string.Join(',', r.Values)));
    }

    [CorpusFact]
    public void Analyze_TinyFragmentSpray_SamplesItsRows_AndCountsEveryDatagram()
    {
        // Suricata's address-family confusion spray: 8,192 datagrams, each with a tiny first fragment. events.csv keeps
        // the first 100 by time and the first of each timeline interval; summary.json and fragments.csv have them all.
        using TempDir dir = AnalyzeCorpus("suricata__defrag-af-confusion-spray.pcap", "csv,json");

        using JsonDocument summary = JsonDocument.Parse(File.ReadAllText(dir.File("summary.json")));
        Assert.Equal(8192, summary.RootElement.GetProperty("events").GetProperty("ip.frag_tiny").GetInt32());
        Assert.Equal(8192, FragmentRows(dir.Path).Count(r => r["tiny_fragments"] != "0"));
        var tinyRows = File.ReadLines(dir.File("events.csv")).Where(l => l.Contains(",ip.frag_tiny,")).ToList();
        Assert.InRange(tinyRows.Count, 101, 356);
        Assert.All(tinyRows, l => Assert.Contains("tiny_fragments=1 tiny_below=256", l));
    }
}
