using CsvHelper;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Flows;

namespace PcapInsight.Reporting;

/// <summary>Writes flows.csv and events.csv: RFC 4180 (CRLF, quoted where needed), header row, invariant culture, raw numbers.</summary>
public static class CsvReportWriter
{
    // Text cells can carry names from the capture (interface names, file names): never let a spreadsheet run them.
    internal static readonly CsvWriterOptions Options = new() { Injection = CsvInjection.Escape };

    /// <summary>
    /// Writes every CSV table into <paramref name="directory"/>: flows.csv, events.csv, fragments.csv, udp.csv, and
    /// tcp_series.csv when <paramref name="series"/> (and a flow has a time series). Two tables at a time: flows.csv
    /// and udp.csv read the flow spool, one after the other, on the calling thread, while another thread writes the
    /// tables held in memory. Each table's rows are formatted on the pool; what its writing thread does is mostly the
    /// kernel's copy into the page cache, which one thread could not keep up with on a capture of hundreds of
    /// thousands of events (a writer idle while its formatted batches waited). The files are the same bytes.
    /// </summary>
    /// <remarks>
    /// When a table cannot be written, the rest of its group is not, the other group is still written and waited for,
    /// and the failure is thrown: the spooled tables' when both groups fail.
    /// </remarks>
    public static void WriteTables(AnalysisResult result, string directory, bool series)
    {
        _ = result.Events.Rows;   // chosen once, here: the rows are made on first use, not for two threads at once
        Task inMemory = Task.Run(() =>
        {
            WriteEvents(result, directory);
            WriteFragments(result, directory);
            if (series)
            {
                WriteSeries(result, directory);
            }
        });
        Exception? failure = null;
        try
        {
            WriteFlows(result, directory);
            WriteUdp(result, directory);
        }
        catch (Exception ex)
        {
            failure = ex;
        }
        try
        {
            inMemory.GetAwaiter().GetResult();
        }
        catch (Exception ex) when (failure is null)
        {
            failure = ex;
        }
        catch (Exception)
        {
            // The spooled tables' failure came first and is the one thrown.
        }
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
    }

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
