using System.Globalization;
using CsvHelper;
using DuckDB.NET.Data;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Cli.Tests;

/// <summary>
/// <c>--format parquet</c>: flows.parquet, events.parquet, udp.parquet and fragments.parquet hold the CSV files' columns and values, and DuckDB (the
/// engine a user would point at thousands of reports) reads them, typed.
/// </summary>
public class ParquetTests
{
    private static List<string[]> Csv(string path, out string[] header)
    {
        using CsvReader csv = CsvReader.FromFile(path, new CsvReaderOptions(), FileOptions.None);
        csv.ReadHeader();
        header = csv.Headers.ToArray();
        var rows = new List<string[]>();
        while (csv.Read())
        {
            string[] row = new string[header.Length];
            for (int i = 0; i < row.Length; i++)
            {
                row[i] = csv.GetString(i);
            }
            rows.Add(row);
        }
        return rows;
    }

    private static List<object?[]> Query(string sql, out string[] names)
    {
        using var connection = new DuckDBConnection("Data Source=:memory:");
        connection.Open();
        using DuckDBCommand command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        names = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToArray();
        var rows = new List<object?[]>();
        while (reader.Read())
        {
            var row = new object?[reader.FieldCount];
            for (int i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>An ISO 8601 cell (six or nine digits) as the UTC microsecond it names, read independently of the writer's parser.</summary>
    private static DateTime Microsecond(string iso)
    {
        var seconds = DateTime.ParseExact(iso[..19], "yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        string fraction = iso[20..^1];
        return seconds.AddTicks(long.Parse(fraction[..6], CultureInfo.InvariantCulture) * 10);
    }

    private static readonly string[] Tables = ["flows", "events", "udp", "fragments"];

    /// <summary>A column of each table whose type its values alone would not always give (empty in some reports).</summary>
    private static readonly Dictionary<string, string> TypedColumn = new()
    {
        ["flows"] = "irtt_ms DOUBLE",
        ["events"] = "duration_ms DOUBLE",
        ["udp"] = "jitter_ms DOUBLE",
        ["fragments"] = "overlap_bytes INT64",
    };

    [Theory]
    [InlineData("zero-window.client.pcap")]
    [InlineData("udp-fragment-loss.server.pcap")]
    [InlineData("tcp-basic.pcap")]
    public void ParquetTables_AreTheCsvTables_AndDuckDbReadsThem(string sample)
    {
        using var dir = CliRunner.TempDir();
        Assert.Equal(0, CliRunner.Run(["analyze", RepoPaths.Sample(sample), "-o", dir.Path, "-q", "--format", "csv,parquet"]).ExitCode);

        foreach (string table in Tables)
        {
            List<string[]> csv = Csv(dir.File(table + ".csv"), out string[] header);
            List<object?[]> parquet = Query($"select * from '{dir.File(table + ".parquet")}'", out string[] names);

            Assert.Equal(header, names);
            Assert.Equal(csv.Count, parquet.Count);
            for (int r = 0; r < csv.Count; r++)
            {
                for (int c = 0; c < header.Length; c++)
                {
                    string expected = csv[r][c];
                    object? actual = parquet[r][c];
                    string text = actual switch
                    {
                        null => "",
                        double d => d.ToString("R", CultureInfo.InvariantCulture),
                        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                        _ => actual.ToString()!,
                    };
                    if (actual is double)
                    {
                        Assert.Equal(double.Parse(expected, CultureInfo.InvariantCulture), (double)actual, 9);
                    }
                    else
                    {
                        Assert.Equal(expected, text);
                    }
                }
            }
        }
        // Typed: numbers sum as numbers.
        var sums = Query($"select sum(bytes_c2s + bytes_s2c)::BIGINT, count(*) from '{dir.File("flows.parquet")}'", out _).Single();
        long csvBytes = Csv(dir.File("flows.csv"), out _).Sum(r => long.Parse(r[10], CultureInfo.InvariantCulture) + long.Parse(r[11], CultureInfo.InvariantCulture));
        Assert.Equal(csvBytes, Convert.ToInt64(sums[0], CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Each column has one type in every report, whatever its values (they once decided it: irtt_ms was DOUBLE where a
    /// handshake was captured and INT64 where every cell was empty), so the reports of many captures are one table.
    /// </summary>
    [Fact]
    public void EveryReport_HasTheSameSchema_AndDuckDbReadsThemAllAsOneTable()
    {
        using var dir = CliRunner.TempDir();
        string[] samples = RepoPaths.SampleFiles();
        foreach (string sample in samples)
        {
            CliRun run = CliRunner.Run(["analyze", sample, "-o", dir.File(Path.GetFileNameWithoutExtension(sample)), "-q", "--format", "csv,parquet"]);
            Assert.True(run.ExitCode == 0, run.Stderr);
        }

        foreach (string table in Tables)
        {
            var schemas = samples.Select(sample => string.Join(", ", Query(
                    $"select name, type from parquet_schema('{dir.File(Path.GetFileNameWithoutExtension(sample) + "/" + table + ".parquet")}') where name <> 'schema'", out _)
                .Select(r => $"{r[0]} {r[1]}"))).Distinct().ToList();
            Assert.Single(schemas);
            Assert.Contains(TypedColumn[table], schemas[0]);
            Assert.Contains(table == "udp" ? "src BYTE_ARRAY" : "file BYTE_ARRAY", schemas[0]);
            long csvRows = samples.Sum(sample => File.ReadLines(dir.File(Path.GetFileNameWithoutExtension(sample) + "/" + table + ".csv")).Count() - 1);
            object?[] all = Query($"select count(*) from '{dir.Path}/*/{table}.parquet'", out _).Single();
            Assert.Equal(csvRows, Convert.ToInt64(all[0], CultureInfo.InvariantCulture));
        }
        object?[] sum = Query($"select sum(irtt_ms), count(irtt_ms) from '{dir.Path}/*/flows.parquet'", out _).Single();
        Assert.True(Convert.ToDouble(sum[0], CultureInfo.InvariantCulture) > 0 && Convert.ToInt64(sum[1], CultureInfo.InvariantCulture) > 0);
        // The UDP loss of every report at once, as the udp.csv files count it.
        long csvLost = samples.Sum(sample => Csv(dir.File(Path.GetFileNameWithoutExtension(sample) + "/udp.csv"), out string[] header)
            .Sum(r => r[Array.IndexOf(header, "seq_lost")] is { Length: > 0 } v ? long.Parse(v, CultureInfo.InvariantCulture) : 0));
        object?[] lost = Query($"select sum(seq_lost)::BIGINT, count(rtp_ssrc) from '{dir.Path}/*/udp.parquet'", out _).Single();
        Assert.True(csvLost > 0);
        Assert.Equal(csvLost, Convert.ToInt64(lost[0], CultureInfo.InvariantCulture));

        // Times are ISO 8601 text, as in the CSV files (Parquet.Net 6.1 writes a TIMESTAMP column's row-group statistics
        // in milliseconds, aloneguid/parquet-dotnet#769, so an engine's time filter would skip groups that match); an
        // engine reads them as times with a cast, as the README shows.
        // The later half of the flows by a time filter (the median first time as the bound), against the CSV files' text.
        DateTime[] firsts = samples.SelectMany(sample => Csv(dir.File(Path.GetFileNameWithoutExtension(sample) + "/flows.csv"), out _))
            .Select(r => Microsecond(r[6])).Order().ToArray();
        DateTime bound = firsts[firsts.Length / 2];
        long csvLate = firsts.Count(t => t >= bound);
        string sql = $"select count(*), count(distinct date_trunc('hour', first_time::TIMESTAMPTZ)) from '{dir.Path}/*/flows.parquet' " +
            $"where first_time::TIMESTAMPTZ >= TIMESTAMPTZ '{bound.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture)}Z'";
        object?[] late = Query(sql, out _).Single();
        Assert.Equal(csvLate, Convert.ToInt64(late[0], CultureInfo.InvariantCulture));
        Assert.True(csvLate < firsts.Length, "the bound splits the flows");
        Assert.True(Convert.ToInt64(late[1], CultureInfo.InvariantCulture) > 0);
    }

    /// <summary>The warm-up (run on another core while a capture is analysed) writes a table DuckDB reads: it fails silently, so a test says it works.</summary>
    [Fact]
    public void WarmUpTable_IsAParquetFileOfItsTwoRows()
    {
        using var dir = CliRunner.TempDir();
        File.WriteAllBytes(dir.File("warm.parquet"), Reporting.ParquetReportWriter.WriteWarmUpTable());

        List<object?[]> rows = Query($"select whole, number, text from '{dir.File("warm.parquet")}'", out _);

        Assert.Equal([[0L, 0.0, "x"], [1_500_000L, 1.5, "x"]], rows);
    }

    [Fact]
    public void All_LeavesParquetOut_ItIsWrittenWhenNamed()
    {
        using var dir = CliRunner.TempDir();

        Assert.Equal(0, CliRunner.Run(["analyze", RepoPaths.Sample("tcp-basic.pcap"), "-o", dir.Path, "-q", "--format", "all"]).ExitCode);

        Assert.False(File.Exists(dir.File("flows.parquet")));
    }

    public static TheoryData<string> SampleFiles() => RepoPaths.SampleNames();

    /// <summary>
    /// flows.parquet and events.parquet are written from the plain cells' bytes and the text columns' strings; the
    /// general path (every cell through CsvHelper and back as a string) writes the same files, byte for byte.
    /// </summary>
    [Theory]
    [MemberData(nameof(SampleFiles))]
    [InlineData("5,000 short connections")]
    public void FlowsParquet_FromPlainCells_IsTheGeneralWritersFile(string sample)
    {
        using var dir = CliRunner.TempDir();
        string capture = RepoPaths.Sample(sample);
        if (!File.Exists(capture))
        {
            capture = dir.File("short.pcap");
            ShortConnections.Write(capture, 5_000);
        }
        Core.Analysis.AnalysisResult result = Captures.Analyze(capture);
        // Every third row's file named as a file can be (a comma, quotes, a formula's sign, a letter outside ASCII).
        Reporting.FlowRow[] rows = Reporting.ReportRows.Flows(result).Select((r, i) => i % 3 == 1 ? r with { File = "=odd, \"name\" é.pcap" } : r).ToArray();
        // The general path: every cell through CsvHelper and back as a string, the text column too.
        // (No typed values either: they must equal the text read back.)
        var general = Reporting.CsvColumns.Flows.Select(c => c with { Utf8 = null, Text = null, Whole = null, Number = null }).ToArray();

        Reporting.ParquetReportWriter.Write(dir.File("plain.parquet"), Reporting.CsvColumns.Flows, rows, rowGroupRows: 1_000);
        Reporting.ParquetReportWriter.Write(dir.File("general.parquet"), general, rows, rowGroupRows: 1_000);

        Assert.Equal(File.ReadAllBytes(dir.File("general.parquet")), File.ReadAllBytes(dir.File("plain.parquet")));

        // events.parquet the same way: its text columns (the event's name, the detail, the advice, the file) as strings.
        Reporting.EventRow[] events = Reporting.ReportRows.Events(result).ToArray();
        var generalEvents = Reporting.CsvColumns.Events.Select(c => c with { Utf8 = null, Text = null, Whole = null, Number = null }).ToArray();
        Reporting.ParquetReportWriter.Write(dir.File("plain-events.parquet"), Reporting.CsvColumns.Events, events, rowGroupRows: 1_000);
        Reporting.ParquetReportWriter.Write(dir.File("general-events.parquet"), generalEvents, events, rowGroupRows: 1_000);
        Assert.Equal(File.ReadAllBytes(dir.File("general-events.parquet")), File.ReadAllBytes(dir.File("plain-events.parquet")));

        // udp.parquet and fragments.parquet too (their cells all parsed from their text; the missing ranges, the
        // policies and the file as strings).
        SameFile("udp", Reporting.CsvColumns.Udp, Reporting.UdpRow.All(result).ToArray());
        SameFile("fragments", Reporting.CsvColumns.Fragments, Reporting.FragmentRow.All(result).ToArray());

        void SameFile<TRow>(string name, IReadOnlyList<Reporting.CsvColumn<TRow>> columns, TRow[] tableRows)
        {
            var generalColumns = columns.Select(c => c with { Utf8 = null, Text = null, Whole = null, Number = null }).ToArray();
            Reporting.ParquetReportWriter.Write(dir.File($"plain-{name}.parquet"), columns, tableRows, rowGroupRows: 1_000);
            Reporting.ParquetReportWriter.Write(dir.File($"general-{name}.parquet"), generalColumns, tableRows, rowGroupRows: 1_000);
            Assert.Equal(File.ReadAllBytes(dir.File($"general-{name}.parquet")), File.ReadAllBytes(dir.File($"plain-{name}.parquet")));
        }
    }

    /// <summary>udp.parquet of flows released to the spool past --max-listed-flows: every udp.csv row, in row groups.</summary>
    [Fact]
    public void AHundredThousandUdpFlows_Spooled_UdpParquetIsUdpCsv()
    {
        using var dir = CliRunner.TempDir();
        string capture = dir.File("udp.pcap");
        ShortConnections.WriteUdp(capture, 100_000);

        CliRun run = CliRunner.Run(["analyze", capture, "-o", dir.File("r"), "-q", "--format", "csv,parquet", "--max-listed-flows", "1000"]);

        Assert.True(run.ExitCode == 0, run.Stderr);
        List<string[]> csv = Csv(dir.File("r/udp.csv"), out string[] header);
        object?[] figures = Query($"select count(*), sum(flow_id)::BIGINT, sum(datagrams)::BIGINT, sum(bytes)::BIGINT, count(distinct src_port) from '{dir.File("r/udp.parquet")}'", out _).Single();
        long Sum(string column) => csv.Sum(r => long.Parse(r[Array.IndexOf(header, column)], CultureInfo.InvariantCulture));
        Assert.Equal(100_000, csv.Count);
        Assert.Equal(((long)csv.Count, Sum("flow_id"), Sum("datagrams"), Sum("bytes")),
            (Convert.ToInt64(figures[0], CultureInfo.InvariantCulture), Convert.ToInt64(figures[1], CultureInfo.InvariantCulture),
             Convert.ToInt64(figures[2], CultureInfo.InvariantCulture), Convert.ToInt64(figures[3], CultureInfo.InvariantCulture)));
        Assert.Equal(csv.Select(r => r[Array.IndexOf(header, "src_port")]).Distinct().LongCount(), Convert.ToInt64(figures[4], CultureInfo.InvariantCulture));
    }

    [Fact]
    public void AHundredThousandFlows_SpooledAndWrittenInRowGroups_AreTheCsvRows()
    {
        using var dir = CliRunner.TempDir();
        string capture = dir.File("short.pcap");
        ShortConnections.Write(capture, 100_000);

        CliRun run = CliRunner.Run(["analyze", capture, "-o", dir.File("r"), "-q", "--format", "csv,parquet", "--max-listed-flows", "1000", "--close-linger", "0.01"]);

        Assert.Equal(0, run.ExitCode);
        string parquet = dir.File("r/flows.parquet");
        object?[] figures = Query($"select count(*), sum(flow_id)::BIGINT, sum(bytes_c2s + bytes_s2c)::BIGINT, min(first_time), max(last_time) from '{parquet}'", out _).Single();
        List<string[]> csv = Csv(dir.File("r/flows.csv"), out _);
        Assert.Equal(100_000L, Convert.ToInt64(figures[0], CultureInfo.InvariantCulture));
        Assert.Equal(100_000L * 100_001 / 2, Convert.ToInt64(figures[1], CultureInfo.InvariantCulture));
        Assert.Equal(csv.Sum(r => long.Parse(r[10], CultureInfo.InvariantCulture) + long.Parse(r[11], CultureInfo.InvariantCulture)),
            Convert.ToInt64(figures[2], CultureInfo.InvariantCulture));
        Assert.Equal((csv[0][6], csv[^1][7]), (figures[3], figures[4]));
        // Two row groups (65,536 + 34,464 rows), in id order.
        Assert.Equal(2L, Convert.ToInt64(Query($"select count(distinct row_group_id) from parquet_metadata('{parquet}')", out _).Single()[0], CultureInfo.InvariantCulture));
        Assert.Equal(csv.Take(3).Select(r => r[0]), Query($"select flow_id from '{parquet}' limit 3", out _).Select(r => Convert.ToString(r[0], CultureInfo.InvariantCulture)));
    }
}
