using System.Globalization;
using CsvHelper;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Events;
using PcapInsight.Reporting;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Cli.Tests;

/// <summary>
/// Every CSV the CLI writes, read back with CsvHelper's reader: the exact header of its column table (CONTRACT.md's
/// columns first), the same number of fields in every row, invariant numbers and times, and text cells (details and
/// advice full of commas, quotes and '=') that come back exactly as the analysis produced them.
/// </summary>
public class CsvReadBackTests
{
    public static TheoryData<string> Samples() =>
        ["zero-window.client.pcap", "nagle-delack.server.pcap", "udp-fragment-loss.client.pcap", "rtp-gaps-jitter.pcap",
         "ip-fragments-overlap.pcap", "udp-rcvbuf-overflow.server.pcap", "tcp-basic.pcap", "dns-unanswered.pcap"];

    private static readonly Dictionary<string, string[]> Headers = new()
    {
        ["flows.csv"] = CsvColumns.Flows.Select(c => c.Name).ToArray(),
        ["events.csv"] = CsvColumns.Events.Select(c => c.Name).ToArray(),
        ["fragments.csv"] = CsvColumns.Fragments.Select(c => c.Name).ToArray(),
        ["udp.csv"] = CsvColumns.Udp.Select(c => c.Name).ToArray(),
        ["tcp_series.csv"] = CsvColumns.Series.Select(c => c.Name).ToArray(),
    };

    private static List<Dictionary<string, string>> Read(string path, string[] header)
    {
        using CsvReader csv = CsvReader.FromFile(path, new CsvReaderOptions(), FileOptions.None);
        csv.ReadHeader();
        Assert.Equal(header, csv.Headers);
        var rows = new List<Dictionary<string, string>>();
        while (csv.Read())
        {
            Assert.Equal(header.Length, csv.FieldCount);
            rows.Add(header.Select((h, i) => (h, v: csv.GetString(i))).ToDictionary(x => x.h, x => x.v));
        }
        return rows;
    }

    private static long Ns(string iso) =>
        (DateTime.Parse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal) - DateTime.UnixEpoch).Ticks * 100;

    [Theory]
    [MemberData(nameof(Samples))]
    public void EveryCsv_ReadsBack_AsTheAnalysisWroteIt(string sample)
    {
        using var dir = CliRunner.TempDir();
        string path = RepoPaths.Sample(sample);
        CliRun run = CliRunner.Run(["analyze", path, "-o", dir.Path, "-q", "--format", "csv", "--series-flows", "2"]);
        Assert.Equal(0, run.ExitCode);
        AnalysisResult r = Captures.Analyze(path, new AnalysisOptions { SeriesFlows = 2 });

        foreach (string file in Directory.GetFiles(dir.Path, "*.csv"))
        {
            Assert.True(Headers.ContainsKey(Path.GetFileName(file)), $"unexpected {file}");
            Read(file, Headers[Path.GetFileName(file)]);
        }

        var flows = Read(dir.File("flows.csv"), Headers["flows.csv"]);
        Assert.Equal(r.Flows.Select(f => f.Id.ToString(CultureInfo.InvariantCulture)), flows.Select(f => f["flow_id"]));
        foreach ((var row, var flow) in flows.Zip(r.Flows))
        {
            Assert.Equal(flow.BytesC2S, long.Parse(row["bytes_c2s"], CultureInfo.InvariantCulture));
            Assert.Equal(flow.FirstTimeNs / 1000, Ns(row["first_time"]) / 1000);
            Assert.Equal((flow.LastTimeNs - flow.FirstTimeNs) / 1e9, double.Parse(row["duration_s"], CultureInfo.InvariantCulture), 6);
            if (row["irtt_ms"].Length > 0)
            {
                Assert.Equal(flow.Tcp!.InitialRttNs / 1e6, double.Parse(row["irtt_ms"], CultureInfo.InvariantCulture), 3);
            }
        }

        var events = Read(dir.File("events.csv"), Headers["events.csv"]);
        var expected = r.Events.Rows.OrderBy(e => e.TimestampNs).ToList();
        Assert.Equal(expected.Count, events.Count);
        foreach ((var row, AnalysisEvent e) in events.Zip(expected))
        {
            Assert.Equal(e.Detail, row["detail"]);
            Assert.Equal(EventCatalog.Get(e.Kind).Advice, row["advice"]);
            Assert.Equal(EventCatalog.Get(e.Kind).Name, row["event"]);
            if (e.TimestampNs > 0)
            {
                Assert.Equal(e.TimestampNs / 1000, Ns(row["time"]) / 1000);
            }
            if (e.DurationNs >= 0)
            {
                Assert.Equal(e.DurationNs / 1e6, double.Parse(row["duration_ms"], CultureInfo.InvariantCulture), 3);
            }
        }

        var udp = Read(dir.File("udp.csv"), Headers["udp.csv"]);
        Assert.Equal(r.Flows.Count(f => f.Udp is not null), udp.Count);
        var fragments = Read(dir.File("fragments.csv"), Headers["fragments.csv"]);
        Assert.Equal(r.Datagrams.Count, fragments.Count);
        Assert.Equal(r.Datagrams.Select(d => (d.IpId, d.Bytes)).Order(),
            fragments.Select(f => (uint.Parse(f["ip_id"], CultureInfo.InvariantCulture), int.Parse(f["bytes"], CultureInfo.InvariantCulture))).Order());
    }

    [Fact]
    public void Numbers_AreInvariant_WhateverTheUsersCulture()
    {
        using var dir = CliRunner.TempDir();
        var culture = CultureInfo.CurrentCulture;
        try
        {
            // A culture that writes 1.234,5 (as German does; built by hand, since the runtime may be in invariant
            // globalization mode): a report must not change with the machine's locale.
            var comma = (CultureInfo)CultureInfo.InvariantCulture.Clone();
            comma.NumberFormat.NumberDecimalSeparator = ",";
            comma.NumberFormat.NumberGroupSeparator = ".";
            CultureInfo.CurrentCulture = comma;
            AnalysisResult r = Captures.Analyze(RepoPaths.Sample("zero-window.client.pcap"));
            CsvReportWriter.WriteFlows(r, dir.Path);
            CsvReportWriter.WriteEvents(r, dir.Path);
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
        }

        var flow = Read(dir.File("flows.csv"), Headers["flows.csv"]).Single();
        Assert.Matches(@"^[0-9]+\.[0-9]{6}$", flow["duration_s"]);
        Assert.Matches(@"^[0-9]+\.[0-9]+$", flow["zero_window_ms"]);
        Assert.All(Read(dir.File("events.csv"), Headers["events.csv"]).Where(e => e["duration_ms"].Length > 0), e => Assert.Matches(@"^[0-9]+(\.[0-9]+)?$", e["duration_ms"]));
    }
}
