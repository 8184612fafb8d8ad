using CsvHelper;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Flows;

namespace PcapInsight.Reporting;

/// <summary>Writes the CSV tables (flows.csv, events.csv, fragments.csv, udp.csv, tcp_series.csv): RFC 4180 (CRLF, quoted where needed), header row, invariant culture, raw numbers.</summary>
public static class CsvReportWriter
{
    // Text cells can carry names from the capture (interface names, file names): never let a spreadsheet run them.
    internal static readonly CsvWriterOptions Options = new() { Injection = CsvInjection.Escape };

    /// <summary>
    /// Writes every CSV table into <paramref name="directory"/>: flows.csv, events.csv, fragments.csv, udp.csv, and
    /// tcp_series.csv when <paramref name="series"/> (and a flow has a time series), two at a time
    /// (<see cref="TableGroups"/>): the same bytes as one at a time.
    /// </summary>
    /// <remarks>
    /// When a table cannot be written, the rest of its group is not, the other group is still written and waited for,
    /// and the failure is thrown: the spooled tables' (flows.csv, udp.csv) when both groups fail.
    /// </remarks>
    public static void WriteTables(AnalysisResult result, string directory, bool series) =>
        TableGroups.Write(result, directory, WriteFlows, WriteUdp, WriteEvents, WriteFragments, series ? (r, d) => WriteSeries(r, d) : null);

    /// <summary>Writes flows.csv into <paramref name="directory"/>.</summary>
    public static void WriteFlows(AnalysisResult result, string directory)
    {
        var reuse = new FlowSummaryPool();
        Write(Path.Combine(directory, "flows.csv"), CsvColumns.Flows, ReportRows.Flows(result, reuse), row => reuse.Return(row.Flow));
    }

    /// <summary>Writes events.csv into <paramref name="directory"/>.</summary>
    public static void WriteEvents(AnalysisResult result, string directory) =>
        Write(Path.Combine(directory, "events.csv"), CsvColumns.Events, ReportRows.Events(result));

    /// <summary>Writes udp.csv into <paramref name="directory"/>.</summary>
    public static void WriteUdp(AnalysisResult result, string directory)
    {
        var reuse = new FlowSummaryPool();
        Write(Path.Combine(directory, "udp.csv"), CsvColumns.Udp, UdpRow.All(result, reuse), row => reuse.Return(row.Flow));
    }

    /// <summary>Writes fragments.csv into <paramref name="directory"/> (a header alone when nothing was fragmented).</summary>
    public static void WriteFragments(AnalysisResult result, string directory) =>
        Write(Path.Combine(directory, "fragments.csv"), CsvColumns.Fragments, FragmentRow.All(result));

    /// <summary>Writes tcp_series.csv into <paramref name="directory"/> when any flow has series; returns whether it did.</summary>
    public static bool WriteSeries(AnalysisResult result, string directory)
    {
        if (!result.FlowsWithSeries().Any())
        {
            return false;
        }
        Write(Path.Combine(directory, "tcp_series.csv"), CsvColumns.Series, SeriesRow.All(result));
        return true;
    }

    /// <summary>
    /// Writes a table to <paramref name="path"/> atomically; <paramref name="written"/>, when given, is told of each row
    /// once its cells are formatted and no longer read.
    /// </summary>
    public static void Write<TRow>(string path, IReadOnlyList<CsvColumn<TRow>> columns, IEnumerable<TRow> rows, Action<TRow>? written = null)
    {
        if (Utf8CsvTable.Applies(columns))
        {
            AtomicFile.Write(path, stream => Utf8CsvTable.Write(stream, columns, rows, written));
            return;
        }
        AtomicFile.Write(path, stream =>
        {
            using CsvWriter csv = CsvWriter.Create(stream, Options, leaveOpen: true);
            csv.WriteHeader(columns.Select(c => c.Name).ToArray());
            foreach (TRow row in rows)
            {
                foreach (CsvColumn<TRow> column in columns)
                {
                    column.Write(csv, row);
                }
                csv.EndRecord();
                written?.Invoke(row);
            }
            csv.Flush();
        });
    }
}
