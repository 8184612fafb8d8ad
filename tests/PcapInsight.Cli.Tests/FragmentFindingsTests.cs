using PcapInsight.Core.Analysis;
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
}
