using System.Text.RegularExpressions;
using PcapInsight.Core.Events;
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

    [Theory]
    [InlineData("capture.truncated")]
    [InlineData("capture.snaplen_cut")]
    [InlineData("capture.interface_drops")]
    [InlineData("capture.unsupported_linktype")]
    [InlineData("capture.time_backwards")]
    public void Find_ContractCaptureEvents_AreInTheCatalogue(string name) => Assert.NotNull(EventCatalog.Find(name));

    [Fact]
    public void Report_SampledKind_KeepsFirstRowsThenPowersOfTenButCountsAll()
    {
        var collector = new EventCollector(maxRows: 1_000_000);
        for (int i = 0; i < 12_000; i++)
        {
            collector.Report(new AnalysisEvent(EventKind.CaptureMalformedPacket, i, i + 1, 0, 0, default, 0, default, 0, -1, ""));
        }

        Assert.Equal(12_000, collector.Count(EventKind.CaptureMalformedPacket));
        Assert.Equal(EventCollector.SampledFullRows + 2, collector.Rows.Count); // 1..100, 1000th, 10000th
        Assert.Equal(10_000, collector.Rows[^1].Frame);
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
