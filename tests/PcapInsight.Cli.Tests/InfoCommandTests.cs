using System.Globalization;
using System.Text.Json;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Cli.Tests;

/// <summary>
/// <c>pcapinsight info</c> against capinfos (Wireshark's) on every sample capture and every corpus capture both read:
/// packets, bytes on the wire, first and last time to the nanosecond as capinfos prints them; and its census against
/// the sample captures' truth.
/// </summary>
public sealed class InfoCommandTests
{
    private static string[] SampleFiles() => RepoPaths.SampleFiles();

    private static Dictionary<string, JsonElement> Info(string[] files)
    {
        CliRun run = CliRunner.Run(["info", "--json", .. files], timeout: TimeSpan.FromMinutes(5));
        Assert.True(run.ExitCode is 0 or 3, run.Stderr);
        return run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .ToDictionary(e => e.GetProperty("file").GetString()!);
    }

    /// <summary>capinfos -T: file, packets, data bytes (the frames' lengths on the wire), first and last time (seconds.fraction) per file it reads.</summary>
    private static Dictionary<string, string[]> Capinfos(string[] files)
    {
        CliRun run = CliRunner.RunProcess("capinfos", ["-T", "-r", "-M", "-c", "-d", "-a", "-e", "-S", .. files], timeout: TimeSpan.FromMinutes(5));
        return run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t'))
            .Where(cells => cells.Length == 5)
            .ToDictionary(cells => cells[0]);
    }

    private static string Seconds(string iso)
    {
        // 2026-11-25T18:28:46.086643Z -> seconds since the epoch with the same fraction digits, as capinfos -S prints.
        int dot = iso.IndexOf('.');
        string fraction = dot < 0 ? "" : iso[(dot + 1)..^1];
        var whole = DateTimeOffset.Parse(dot < 0 ? iso : iso[..dot] + "Z", CultureInfo.InvariantCulture);
        return whole.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) + (fraction.Length > 0 ? "." + fraction : "");
    }

    /// <summary>Files where the times differ on purpose, with the reason.</summary>
    private static readonly Dictionary<string, string> TimesDifferOnPurpose = new()
    {
        ["tcpdump__timestamp_invalid_micro.pcap"] = "microsecond fields of 1,000,000 and more: capinfos prints the field after the dot as it is "
            + "(1418145370.1000000), we add it as the microseconds it claims to be",
    };

    private static void AssertAgree(string[] files, int minimumCompared)
    {
        Dictionary<string, JsonElement> ours = Info(files);
        Dictionary<string, string[]> theirs = Capinfos(files);
        int compared = 0;
        foreach ((string file, string[] c) in theirs)
        {
            if (!ours.TryGetValue(file, out JsonElement o) || o.GetProperty("warnings").GetArrayLength() > 0)
            {
                continue; // refused by us or damaged: where a damaged file's reading stops is compared by the corpus tests
            }
            Assert.Equal((file, c[1], c[2]), (file, o.GetProperty("packets").GetInt64().ToString(CultureInfo.InvariantCulture), o.GetProperty("wire_bytes").GetInt64().ToString(CultureInfo.InvariantCulture)));
            if (o.GetProperty("packets").GetInt64() > 0 && o.GetProperty("out_of_order").GetInt64() == 0 && !TimesDifferOnPurpose.ContainsKey(Path.GetFileName(file)))
            {
                // Compared as numbers: capinfos prints each time at its own interface's resolution, we at the finest.
                Assert.Equal((file, decimal.Parse(c[3], CultureInfo.InvariantCulture), decimal.Parse(c[4], CultureInfo.InvariantCulture)),
                    (file, decimal.Parse(Seconds(o.GetProperty("first_time").GetString()!), CultureInfo.InvariantCulture), decimal.Parse(Seconds(o.GetProperty("last_time").GetString()!), CultureInfo.InvariantCulture)));
            }
            compared++;
        }
        Assert.True(compared >= minimumCompared, $"only {compared} files compared");
    }

    [Fact]
    public void Info_SampleCaptures_AgreeWithCapinfos() => AssertAgree(SampleFiles(), SampleFiles().Length);

    [CorpusFact]
    public void Info_CorpusCaptures_AgreeWithCapinfos()
    {
        string[] files = Directory.GetFiles(RepoPaths.Corpus!).Where(f => !f.EndsWith(".tsv", StringComparison.Ordinal) && !f.EndsWith(".md", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToArray();
        AssertAgree(files, files.Length / 2);
    }

    [Fact]
    public void Info_UdpFragmentedSample_CountsWhatTheTruthSays()
    {
        // 20 datagrams of 3000 bytes over IPv4 and 20 over IPv6, three fragments each, nothing else on the wire.
        JsonElement o = Info([RepoPaths.Sample("udp-fragmented.client.pcap")]).Values.Single();

        Assert.Equal((120L, 60L, 60L, 120L, 40L, 0L), (o.GetProperty("packets").GetInt64(), o.GetProperty("ipv4").GetInt64(), o.GetProperty("ipv6").GetInt64(),
            o.GetProperty("fragments").GetInt64(), o.GetProperty("udp").GetInt64(), o.GetProperty("tcp").GetInt64()));
    }

    [Fact]
    public void Info_TableAndErrors_OneBlockPerFile_ExitThreeForANonCapture()
    {
        using var dir = CliRunner.TempDir();
        File.WriteAllText(dir.File("notes.txt"), "not a capture\n");

        CliRun run = CliRunner.Run(["info", RepoPaths.Sample("tcp-basic.pcap"), dir.File("notes.txt")]);

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("packets         202", run.Stdout);
        Assert.Contains("TCP / UDP / ICMP / other   190 / 10 / 2 / 0", run.Stdout);
        Assert.Contains("notes.txt: not a pcap or pcapng file", run.Stderr);
    }
}
