using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Flows;
using PcapInsight.Reporting;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Cli.Tests;

/// <summary>
/// <see cref="CsvReportWriter.WriteTables"/> and <see cref="ParquetReportWriter.WriteTables"/> write two tables at a
/// time (the spooled flows' and the in-memory ones): the same bytes as each table written alone, one after another,
/// and a table that cannot be written fails the call only once the other group is done.
/// </summary>
public class TableGroupsTests
{
    private static AnalysisResult Spooled(string sample, int threads, TempDir dir)
    {
        var options = new AnalysisOptions { Flows = new FlowTableOptions { MaxListedFlows = 1 }, SeriesFlows = 4, SpoolDirectory = dir.Path };
        using IPacketSource source = CaptureFile.Open(RepoPaths.Sample(sample), 0);
        return ShardedAnalysis.Run(source, [source.Stats], options, threads);
    }

    private static void AssertSameFiles(string alone, string together, string sample)
    {
        Assert.Equal(Directory.GetFiles(alone).Select(Path.GetFileName).Order(), Directory.GetFiles(together).Select(Path.GetFileName).Order());
        foreach (string file in Directory.GetFiles(alone))
        {
            Assert.True(File.ReadAllBytes(file).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(together, Path.GetFileName(file)))),
                $"{Path.GetFileName(file)} of {sample} differs when written beside the other group");
        }
    }

    // Samples with rows in every table between them: events and series (zero window, Nagle), fragments, UDP streams.
    // One listed flow at most, so that flows.csv and udp.csv read the spool (where a sample has two flows or more)
    // while events.csv is written.
    [Theory]
    [InlineData("zero-window.client.pcap", 1, false)]
    [InlineData("nagle-delack.server.pcap", 2, false)]
    [InlineData("ip-fragments-overlap.pcap", 1, true)]
    [InlineData("udp-fragment-loss.client.pcap", 2, true)]
    [InlineData("rtp-gaps-jitter.pcap", 1, false)]
    [InlineData("dns-unanswered.pcap", 3, true)]
    public void TwoAtATime_WritesTheBytesOfEachTableWrittenAlone(string sample, int threads, bool spooled)
    {
        using var dir = new TempDir();
        AnalysisResult result = Spooled(sample, threads, dir);
        using IDisposable spools = result.SpoolFiles();
        Assert.Equal(spooled, result.SpooledFlows > 0);
        string alone = Directory.CreateDirectory(Path.Combine(dir.Path, "alone")).FullName;
        string together = Directory.CreateDirectory(Path.Combine(dir.Path, "together")).FullName;

        CsvReportWriter.WriteFlows(result, alone);
        CsvReportWriter.WriteEvents(result, alone);
        CsvReportWriter.WriteFragments(result, alone);
        CsvReportWriter.WriteUdp(result, alone);
        Assert.Equal(result.FlowsWithSeries().Any(), CsvReportWriter.WriteSeries(result, alone));
        CsvReportWriter.WriteTables(result, together, series: true);

        Assert.Contains("events.csv", Directory.GetFiles(together).Select(Path.GetFileName));
        AssertSameFiles(alone, together, sample);
    }

    [Theory]
    [InlineData("zero-window.client.pcap", 1)]
    [InlineData("ip-fragments-overlap.pcap", 2)]
    [InlineData("rtp-gaps-jitter.pcap", 1)]
    [InlineData("dns-unanswered.pcap", 3)]
    public void Parquet_TwoAtATime_WritesTheBytesOfEachTableWrittenAlone(string sample, int threads)
    {
        using var dir = new TempDir();
        AnalysisResult result = Spooled(sample, threads, dir);
        using IDisposable spools = result.SpoolFiles();
        string alone = Directory.CreateDirectory(Path.Combine(dir.Path, "alone")).FullName;
        string together = Directory.CreateDirectory(Path.Combine(dir.Path, "together")).FullName;

        ParquetReportWriter.WriteFlows(result, alone);
        ParquetReportWriter.WriteEvents(result, alone);
        ParquetReportWriter.WriteUdp(result, alone);
        ParquetReportWriter.WriteFragments(result, alone);
        ParquetReportWriter.WriteTables(result, together);

        Assert.Equal(4, Directory.GetFiles(together, "*.parquet").Length);
        AssertSameFiles(alone, together, sample);
    }

    [Fact]
    public void TwoAtATime_WritesNoSeriesTable_WhenNotAsked()
    {
        using var dir = new TempDir();
        AnalysisResult result = Captures.Analyze(RepoPaths.Sample("zero-window.client.pcap"), new AnalysisOptions { SeriesFlows = 4 });

        CsvReportWriter.WriteTables(result, dir.Path, series: false);

        Assert.Equal(["events.csv", "flows.csv", "fragments.csv", "udp.csv"], Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order());
    }

    // A table's temporary file that cannot be made (a folder in its place) fails that table. The other group still
    // writes its tables whole, and the spooled group's failure is the one thrown when both fail.
    [Theory]
    [InlineData(new[] { "events.csv" }, "events.csv", new[] { "flows.csv", "udp.csv" })]
    [InlineData(new[] { "fragments.csv" }, "fragments.csv", new[] { "flows.csv", "events.csv", "udp.csv" })]
    [InlineData(new[] { "flows.csv" }, "flows.csv", new[] { "events.csv", "fragments.csv" })]
    [InlineData(new[] { "udp.csv" }, "udp.csv", new[] { "flows.csv", "events.csv", "fragments.csv" })]
    [InlineData(new[] { "flows.csv", "events.csv" }, "flows.csv", new string[0])]
    public void ATableThatCannotBeWritten_FailsTheCall_AfterTheOtherGroup(string[] blocked, string thrownFor, string[] written)
    {
        using var dir = new TempDir();
        AnalysisResult result = Captures.Analyze(RepoPaths.Sample("udp-fragment-loss.client.pcap"));
        foreach (string table in blocked)
        {
            Directory.CreateDirectory(Path.Combine(dir.Path, table + ".partial"));
        }

        Exception thrown = Assert.ThrowsAny<Exception>(() => CsvReportWriter.WriteTables(result, dir.Path, series: false));

        Assert.True(thrown is IOException or UnauthorizedAccessException, thrown.ToString());
        Assert.Contains(thrownFor + ".partial", thrown.Message);
        foreach (string table in written)
        {
            string text = File.ReadAllText(Path.Combine(dir.Path, table));
            Assert.EndsWith("\r\n", text);
        }
        foreach (string table in blocked)
        {
            Assert.False(File.Exists(Path.Combine(dir.Path, table)), $"{table} appeared although its file could not be made");
        }
    }
}
