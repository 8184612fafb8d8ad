using System.Text.RegularExpressions;
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

    /// <summary>
    /// The IPv4 tiny fragments as tshark sees them (reassembly off): their senders, their destinations, how many. (Not
    /// datagrams: a capture may reuse an IP ID once a datagram is complete, which tshark's fields cannot tell apart.)
    /// </summary>
    private static (HashSet<string> Senders, HashSet<string> Destinations, int TinyFragments) TsharkTinyHosts(string capture)
    {
        CliRun tshark = CliRunner.RunProcess("tshark",
            ["-r", capture, "-o", "ip.defragment:FALSE", "-Y", "ip.flags.mf == 1", "-T", "fields",
             "-e", "ip.src", "-e", "ip.dst", "-e", "ip.len", "-e", "ip.hdr_len"]);
        Assert.True(tshark.ExitCode == 0, "tshark is needed (apt-get install tshark): " + tshark.Stderr);
        string[][] tiny = tshark.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split('\t'))
            .Where(f => int.Parse(f[2]) - int.Parse(f[3]) < 256).ToArray();
        return (tiny.Select(f => f[0]).ToHashSet(), tiny.Select(f => f[1]).ToHashSet(), tiny.Length);
    }

    /// <summary>The explanation of summary.json's <c>ip.frag_tiny</c> finding.</summary>
    private static string TinyFinding(string directory)
    {
        using JsonDocument summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "summary.json")));
        return summary.RootElement.GetProperty("findings").EnumerateArray()
            .Single(f => f.GetProperty("event").GetString() == "ip.frag_tiny").GetProperty("explanation").GetString()!;
    }

    /// <summary>
    /// Checks a "Most from A (n), B (m) and K more" list against each host's datagrams with tiny fragments: the hosts
    /// named are the top ones (none left out has more), with their counts, at most three, and K the rest.
    /// </summary>
    private static void AssertTopHosts(string text, string lead, Dictionary<string, int> datagramsByHost)
    {
        Match list = Regex.Match(text, Regex.Escape(lead) + @" (?<hosts>.+?)(?: and (?<more>\d+) more)?(?:;|\.$|\. )");   // addresses have dots: a sentence ends at ". "
        Assert.True(list.Success, $"no \"{lead}\" list in: {text}");
        var named = Regex.Matches(list.Groups["hosts"].Value, @"(?<host>[^ ,]+) \((?<n>\d+)\)")
            .Select(m => (Host: m.Groups["host"].Value, Datagrams: int.Parse(m.Groups["n"].Value))).ToList();
        Assert.Equal(Math.Min(3, datagramsByHost.Count), named.Count);
        Assert.Equal(datagramsByHost.Count - named.Count, list.Groups["more"].Success ? int.Parse(list.Groups["more"].Value) : 0);
        foreach ((string host, int datagrams) in named)
        {
            Assert.Equal(datagramsByHost[host], datagrams);
        }
        Assert.Equal(named.Select(h => h.Datagrams).OrderByDescending(n => n), named.Select(h => h.Datagrams));
        int least = named.Min(h => h.Datagrams);
        Assert.All(datagramsByHost.Where(h => !named.Any(n => n.Host == h.Key)), h => Assert.True(h.Value <= least, $"{h.Key} ({h.Value}) left out"));
    }

    [CorpusTheory]
    [InlineData("dnscap__frags-rawipv4.pcap")]                            // DNS answers both ways between two hosts
    [InlineData("ndpi__ip_fragmented_garbage.pcap")]                      // one IP ID used again by later datagrams
    [InlineData("peafowl__tcp-http_ip_fragmented_out_of_order.pcap")]
    [InlineData("pcapplusplus__frag_http_req.pcap")]
    public void Analyze_TinyFragments_FindingNamesTheirSendersAndDestinations_AsTsharkSeesThem(string file)
    {
        using TempDir dir = AnalyzeCorpus(file, "csv,json");
        (HashSet<string> senders, HashSet<string> destinations, int tinyFragments) = TsharkTinyHosts(Path.Combine(RepoPaths.Corpus!, file));
        // Each host's datagrams with a tiny fragment, from fragments.csv (whose tiny_fragments the test above holds to tshark's).
        List<Dictionary<string, string>> tinyRows = FragmentRows(dir.Path).Where(r => r["tiny_fragments"] != "0").ToList();
        Dictionary<string, int> sent = tinyRows.GroupBy(r => r["src"]).ToDictionary(g => g.Key, g => g.Count());
        Dictionary<string, int> received = tinyRows.GroupBy(r => r["dst"]).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(senders.Order(), sent.Keys.Order());
        Assert.Equal(destinations.Order(), received.Keys.Order());

        string text = TinyFinding(dir.Path);

        static string Hosts(int n, string what) => n == 1 ? $"1 {what}" : $"{n} {what}s";
        Assert.Contains($"{tinyRows.Count} datagrams carried {tinyFragments} tiny fragments, from {Hosts(senders.Count, "sender")} to "
            + $"{Hosts(destinations.Count, "destination")}.", text);
        AssertTopHosts(text, "Most from", sent);
        AssertTopHosts(text, "most to", received);
    }

    [CorpusFact]
    public void Analyze_TinyFragmentSpray_FindingSaysThousandsOfSendersAndItsTargets()
    {
        // Suricata's spray: 4,096 IPv4 datagrams from 4,096 forged sources to one target (tshark), and as many IPv6 ones
        // from forged sources of their own to another. One sentence says so, where a finding a sender would be 8,192.
        const string file = "suricata__defrag-af-confusion-spray.pcap";
        using TempDir dir = AnalyzeCorpus(file, "csv,json");
        (HashSet<string> ipv4Senders, HashSet<string> ipv4Destinations, int ipv4Tiny) = TsharkTinyHosts(Path.Combine(RepoPaths.Corpus!, file));
        Assert.Equal((4096, 1, 4096), (ipv4Senders.Count, ipv4Destinations.Count, ipv4Tiny));
        List<Dictionary<string, string>> tinyRows = FragmentRows(dir.Path).Where(r => r["tiny_fragments"] != "0").ToList();
        Assert.Equal(4096, tinyRows.Count(r => r["ip_version"] == "4"));

        string text = TinyFinding(dir.Path);

        Assert.Contains("8192 datagrams carried 8192 tiny fragments, from 8192 senders to 2 destinations.", text);
        AssertTopHosts(text, "Most from", tinyRows.GroupBy(r => r["src"]).ToDictionary(g => g.Key, g => g.Count()));
        AssertTopHosts(text, "most to", tinyRows.GroupBy(r => r["dst"]).ToDictionary(g => g.Key, g => g.Count()));
        Assert.Contains($"{ipv4Destinations.Single()} (4096)", text);
    }

    [CorpusFact]
    public void Analyze_TinyFragmentSpray_WithFewerRecordsKept_SaysTheSentenceCountsThoseOnly()
    {
        using var dir = CliRunner.TempDir();
        CliRun run = CliRunner.Run(["analyze", Path.Combine(RepoPaths.Corpus!, "suricata__defrag-af-confusion-spray.pcap"), "-o", dir.Path,
            "--format", "csv,json", "--max-events", "100"]);
        Assert.True(run.ExitCode == 0, run.Stderr);
        List<Dictionary<string, string>> rows = FragmentRows(dir.Path);
        int kept = rows.Count(r => r["tiny_fragments"] != "0");
        Assert.InRange(kept, 1, 100);

        string text = TinyFinding(dir.Path);

        Assert.Contains($"Seen 8192 times.", text);
        Assert.Contains($"Of the {rows.Count} datagrams --max-events kept for fragments.csv, {kept} carried {kept} tiny fragments, from ", text);
    }
}
