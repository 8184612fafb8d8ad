using PcapInsight.Core.Analysis;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Events;
using PcapInsight.Core.Fragments;
using PcapInsight.Reporting;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Cli.Tests;

/// <summary>The per-sender fragmentation findings, which group a result's datagrams once and keep the grouping for its later reports.</summary>
public class FragmentFindingsTests
{
    /// <summary>
    /// A result whose datagram list grew after it was first reported (a caller's own list) gives the findings of the
    /// whole list, as a result made with the whole list does, not those of the first report.
    /// </summary>
    [Theory]
    [InlineData("udp-fragment-loss.server.pcap")]
    [InlineData("ip-fragments-overlap.pcap")]
    public void AResultWhoseDatagramsGrew_IsGroupedAgain(string sample)
    {
        AnalysisResult analysed = Captures.Analyze(RepoPaths.Sample(sample));
        Assert.True(analysed.Datagrams.Count >= 2);
        var growing = new List<DatagramRecord>(analysed.Datagrams.Take(1));
        AnalysisResult reportedEarly = Like(analysed, growing);
        string[] early = Texts(reportedEarly);

        growing.AddRange(analysed.Datagrams.Skip(1));

        Assert.Equal(Texts(Like(analysed, [.. analysed.Datagrams])), Texts(reportedEarly));
        Assert.NotEqual(early, Texts(reportedEarly));
    }

    private static AnalysisResult Like(AnalysisResult r, List<DatagramRecord> datagrams) => new()
    {
        Files = r.Files, Packets = r.Packets, LinkTypes = r.LinkTypes, Flows = r.Flows, FlowTable = r.FlowTable, Events = r.Events,
        Datagrams = datagrams,
    };

    private static string[] Texts(AnalysisResult r) =>
        [.. FragmentFindings.For(r, EventKind.IpFragmented).Concat(FragmentFindings.For(r, EventKind.IpFragIncomplete))
            .Select(f => $"{f.Info.Name} {f.Count} {f.Explanation}")];

    /// <summary>
    /// Which senders get a finding of their own: every one when there are at most five; past that the leading five,
    /// stopping at a sender of a single datagram; the rest together in one finding.
    /// </summary>
    public static TheoryData<int[], int, string?> SenderCases() => new()
    {
        // datagrams a sender (in the findings' order), senders named, the others' finding (null: none)
        { [10, 8], 2, null },
        { [1, 1, 1, 1, 1], 5, null },                                       // five: each named, however small
        { [10, 8, 6, 4, 3, 2, 1], 5, "Besides the 5 senders with findings of their own, 2 more sent 3 datagrams that were fragmented (1.5 each on average; the most from 192.0.2.6 (2))." },
        { [10, 1, 1, 1, 1, 1, 1], 1, "Besides the sender with a finding of its own, 6 more sent 6 datagrams that were fragmented (1 each on average)." },
        { [.. Enumerable.Repeat(1, 300)], 0, "300 senders sent 300 datagrams that were fragmented (1 each on average). Hundreds of senders with a datagram or two each is a fragment spray" },
    };

    [Theory]
    [MemberData(nameof(SenderCases))]
    public void Findings_NameAtMostFiveSenders_AndFoldTheRest(int[] datagramsPerSender, int named, string? others)
    {
        var datagrams = new List<DatagramRecord>();
        for (int sender = 0; sender < datagramsPerSender.Length; sender++)
        {
            IpAddr src = IpAddr.Parse(sender < 250 ? $"192.0.2.{sender + 1}" : $"198.51.100.{sender - 249}");
            for (int i = 0; i < datagramsPerSender[sender]; i++)
            {
                datagrams.Add(new DatagramRecord(1_000 * datagrams.Count, 1_000 * datagrams.Count + 10, 4, src, IpAddr.Parse("203.0.113.1"), (uint)i, 17,
                    2, 2000, FragmentStatus.Complete, "", 0, 0, 1500, datagrams.Count + 1, 0, "complete"));
            }
        }
        AnalysisResult result = Like(Captures.Analyze(RepoPaths.Sample("tcp-basic.pcap")), datagrams);

        List<Finding> findings = FragmentFindings.For(result, EventKind.IpFragmented).ToList();

        Assert.Equal(named + (others is null ? 0 : 1), findings.Count);
        for (int i = 0; i < named; i++)
        {
            Assert.StartsWith($"192.0.2.{i + 1} sent {datagramsPerSender[i]} UDP datagrams that were fragmented", findings[i].Explanation);
            Assert.Equal(datagramsPerSender[i], findings[i].Count);
        }
        if (others is not null)
        {
            Assert.StartsWith(others, findings[^1].Explanation);
            Assert.Equal(datagramsPerSender.Skip(named).Sum(), findings[^1].Count);
        }
        Assert.Equal(datagrams.Count, findings.Sum(f => f.Count));   // every datagram in one finding
    }

    [CorpusFact]
    public void Spray_IsOneFindingOfItsThousandsOfSenders()
    {
        // Suricata's spray: 8,192 fragmented datagrams from as many forged sources (4,096 IPv4, 4,096 IPv6), one each.
        AnalysisResult result = Captures.Analyze(Path.Combine(RepoPaths.Corpus!, "suricata__defrag-af-confusion-spray.pcap"));
        Assert.Equal(8192, result.Datagrams.Count);

        Finding fragmented = Assert.Single(FragmentFindings.For(result, EventKind.IpFragmented));
        Assert.StartsWith("8192 senders sent 8192 datagrams that were fragmented (1 each on average). Hundreds of senders", fragmented.Explanation);
        Assert.Equal(8192, fragmented.Count);
        Assert.Contains("drop such fragments at the edge", fragmented.Advice);
        Assert.Single(Findings.Top(result, int.MaxValue), f => f.Info.Kind == EventKind.IpFragmented);
    }
}
