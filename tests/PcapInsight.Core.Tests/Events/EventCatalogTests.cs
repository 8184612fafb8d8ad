using System.Text.RegularExpressions;
using PcapInsight.Core.Events;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Core.Tests.Events;

public class EventCatalogTests
{
    [Fact]
    public void All_EveryKindHasOneWellFormedUniqueRow()
    {
        var kinds = Enum.GetValues<EventKind>().Where(k => k != EventKind.None).ToList();

        Assert.Equal(kinds.Count, EventCatalog.All.Count);
        Assert.Equal(EventCatalog.All.Count, EventCatalog.All.Select(e => e.Name).Distinct().Count());
        foreach (EventInfo e in EventCatalog.All)
        {
            Assert.Matches(new Regex("^(capture|tcp|ip|udp|dns)\\.[a-z0-9_]+$"), e.Name);
            Assert.False(string.IsNullOrWhiteSpace(e.Summary), e.Name);
            Assert.False(string.IsNullOrWhiteSpace(e.Advice), e.Name);
            Assert.EndsWith(".", e.Summary);
            Assert.Same(e, EventCatalog.Get(e.Kind));
            Assert.Same(e, EventCatalog.Find(e.Name));
        }
    }

    [Fact]
    public void Readme_EventTable_HasEveryKindWithItsSeverity_AndSaysSampledExactlyForTheSampledKinds()
    {
        // The README's table is what a reader of events.csv goes by: a kind whose rows are sampled must say so there,
        // and only those (capture.time_backwards was sampled for a long time before the table said it).
        var table = new Dictionary<string, (string Severity, string Meaning)>();
        foreach (string line in File.ReadLines(Path.Combine(RepoPaths.Root, "README.md")))
        {
            Match m = Regex.Match(line, @"^\| `([a-z]+\.[a-z0-9_]+)` \| (info|warning|error) \| (.*) \|$");
            if (m.Success)
            {
                table[m.Groups[1].Value] = (m.Groups[2].Value, m.Groups[3].Value);
            }
        }

        foreach (EventInfo e in EventCatalog.All)
        {
            Assert.True(table.TryGetValue(e.Name, out var row), $"{e.Name} is not in the README's event table");
            Assert.Equal(e.Severity.ToString().ToLowerInvariant(), row.Severity);
            bool saysSampled = Regex.IsMatch(row.Meaning, @"\(sampled[;:)]|; sampled\)");
            Assert.True(saysSampled == (e.Policy == EventPolicy.Sampled),
                $"{e.Name} is {e.Policy} but the README {(saysSampled ? "says" : "does not say")} it is sampled");
        }
    }

    [Theory]
    [InlineData("capture.truncated")]
    [InlineData("capture.snaplen_cut")]
    [InlineData("capture.interface_drops")]
    [InlineData("capture.unsupported_linktype")]
    [InlineData("capture.time_backwards")]
    public void Find_ContractCaptureEvents_AreInTheCatalogue(string name) => Assert.NotNull(EventCatalog.Find(name));

    [Fact]
    public void Report_SampledKind_KeepsTheFirstRowsThenTheFirstOfEachIntervalButCountsAll()
    {
        const long Ms = 1_000_000, T0 = 1_700_000_000_000_000_000;
        var collector = new EventCollector(maxRows: 1_000_000);
        for (int i = 0; i < 12_000; i++)
        {
            collector.Report(new AnalysisEvent(EventKind.CaptureMalformedPacket, T0 + i * Ms, i + 1, 0, 0, default, 0, default, 0, -1, ""));
        }

        // 12 s of events: the timeline's 256 intervals widened from 1 ms to 64 ms (256 × 64 ms = 16.4 s), so 188 of
        // them hold events. The first 100 rows cover intervals 0 and 1; each of the other 186 adds its first row.
        Assert.Equal(12_000, collector.Count(EventKind.CaptureMalformedPacket));
        Assert.Equal(64 * Ms, collector.Timeline.WidthNs);
        Assert.Equal(EventCollector.SampledFullRows + 186, collector.Rows.Count);
        Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), collector.Rows.Take(100).Select(e => e.Frame));
        Assert.Equal(Enumerable.Range(2, 186).Select(bin => bin * 64L + 1), collector.Rows.Skip(100).Select(e => e.Frame));
    }

    [Fact]
    public void Report_SampledKind_RowsReportedLateButEarlierInTimeDisplaceLaterOnes()
    {
        // An episode is reported when it ends, dated when it began: the first 100 by time are kept, not the first reported.
        var collector = new EventCollector(maxRows: 1_000_000);
        for (int i = 200; i > 0; i--)
        {
            collector.Report(new AnalysisEvent(EventKind.TcpDupAck, 1_000 + i, i, 0, 1, default, 0, default, 0, -1, ""));
        }

        Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), collector.Rows.Select(e => e.Frame));
    }

    [Fact]
    public void Report_OverTheRowLimit_CountsButDoesNotKeep()
    {
        var collector = new EventCollector(maxRows: 3);
        for (int i = 0; i < 5; i++)
        {
            collector.Report(new AnalysisEvent(EventKind.CaptureTruncated, i, i, 0, 0, default, 0, default, 0, -1, ""));
        }

        Assert.Equal(3, collector.Rows.Count);
        Assert.Equal(5, collector.Count(EventKind.CaptureTruncated));
        Assert.Equal(2, collector.RowsOverLimit);
    }
}
