using System.Globalization;
using CsvHelper;
using Parquet;
using Parquet.Schema;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Flows;

namespace PcapInsight.Reporting;

/// <summary>
/// flows.parquet and events.parquet: the same columns, in the same order, with the same values as the CSV files, as
/// Apache Parquet, so that DuckDB, Spark or Trino can query the reports of thousands of captures at once
/// (<c>select * from 'reports/*/events.parquet'</c>). Each column has its own type (<see cref="CsvColumn{TRow}.Kind"/>:
/// INT64, DOUBLE or STRING), the same in every report whatever its values, so the files of thousands of captures are
/// one table to an engine; an empty cell is NULL. The cells are those the CSV columns write, so the two formats cannot
/// drift apart.
/// </summary>
public static class ParquetReportWriter
{
    /// <summary>Writes flows.parquet into <paramref name="directory"/>.</summary>
    public static void WriteFlows(AnalysisResult result, string directory)
    {
        var reuse = new FlowSummaryPool();
        Write(Path.Combine(directory, "flows.parquet"), CsvColumns.Flows, ReportRows.Flows(result, reuse), written: row => reuse.Return(row.Flow));
    }

    /// <summary>Writes events.parquet into <paramref name="directory"/>.</summary>
    public static void WriteEvents(AnalysisResult result, string directory) =>
        Write(Path.Combine(directory, "events.parquet"), CsvColumns.Events, ReportRows.Events(result));

    /// <summary>Rows a row group holds: what the writer keeps in memory at once (a million flows are 15 groups).</summary>
    public const int RowGroupRows = 65_536;

    /// <summary>
    /// Writes a table atomically, in row groups of <paramref name="rowGroupRows"/>, in one pass over the rows (the flows
    /// come back from the spool once); memory holds one group's cells, whatever the table's length.
    /// <paramref name="written"/>, when given, is told of each row once its cells are no longer read.
    /// </summary>
    public static void Write<TRow>(string path, IReadOnlyList<CsvColumn<TRow>> columns, IEnumerable<TRow> rows, int rowGroupRows = RowGroupRows,
        Action<TRow>? written = null)
    {
        if (Utf8CsvTable.Applies(columns))
        {
            WritePlain(path, columns, rows, rowGroupRows, written);
            return;
        }
        ParquetSchema schema = Schema(columns, out CellKind[] kinds);
        AtomicFile.Write(path, stream =>
        {
            ParquetWriter writer = ParquetWriter.CreateAsync(schema, stream).GetAwaiter().GetResult();
            try
            {
                bool any = false;
                foreach (TRow[] chunk in rows.Chunk(rowGroupRows))
                {
                    any = true;
                    using ParquetRowGroupWriter group = writer.CreateRowGroup();
                    WriteColumns(group, schema, kinds, Cells(columns, chunk));
                    Done(chunk, written);
                }
                if (!any)
                {
                    using ParquetRowGroupWriter group = writer.CreateRowGroup();   // an empty table: one empty group
                    WriteColumns(group, schema, kinds, Cells(columns, Array.Empty<TRow>()));
                }
            }
            finally
            {
                writer.DisposeAsync().AsTask().GetAwaiter().GetResult();   // writes the footer
            }
        });
    }

    /// <summary>
    /// <see cref="Write{TRow}"/> for a table of plain and text columns (flows.parquet, events.parquet): the same types
    /// and values, but each plain cell is formatted into a stack buffer and parsed from its bytes, and a text cell is
    /// its column's string as it is (what the general path reads back from CsvHelper), so a million flows (45 million
    /// cells) no longer make 90 million strings (flows.pcap: 31 s and 5.5 GB allocated before).
    /// </summary>
    private static void WritePlain<TRow>(string path, IReadOnlyList<CsvColumn<TRow>> columns, IEnumerable<TRow> rows, int rowGroupRows,
        Action<TRow>? written)
    {
        Utf8CellFormatter<TRow>?[] formats = columns.Select(c => c.Utf8).ToArray();
        Func<TRow, string?>?[] texts = columns.Select(c => c.Utf8 is null ? c.Text : null).ToArray();
        ParquetSchema schema = Schema(columns, out CellKind[] kinds);
        // One row group's cells, column by column, reused for every group.
        var integers = kinds.Select(k => k == CellKind.Integer ? new long?[rowGroupRows] : null).ToArray();
        var numbers = kinds.Select(k => k == CellKind.Number ? new double?[rowGroupRows] : null).ToArray();
        var strings = kinds.Select(k => k == CellKind.Text ? new string?[rowGroupRows] : null).ToArray();
        var group = new TRow[rowGroupRows];
        AtomicFile.Write(path, stream =>
        {
            ParquetWriter writer = ParquetWriter.CreateAsync(schema, stream).GetAwaiter().GetResult();
            try
            {
                int count = 0;
                bool any = false;
                foreach (TRow row in rows)
                {
                    group[count++] = row;
                    if (count == rowGroupRows)
                    {
                        Fill(group, count, formats, texts, kinds, integers, numbers, strings, written);
                        WriteGroup(writer, schema, kinds, integers, numbers, strings, count);
                        any = true;
                        count = 0;
                    }
                }
                if (count > 0 || !any)
                {
                    // The rest, or an empty table's one empty group.
                    Fill(group, count, formats, texts, kinds, integers, numbers, strings, written);
                    WriteGroup(writer, schema, kinds, integers, numbers, strings, count);
                }
            }
            finally
            {
                writer.DisposeAsync().AsTask().GetAwaiter().GetResult();   // writes the footer
            }
        });
    }

    // Rows a pool thread fills at a time: enough that its start is worth it.
    private const int FillChunkRows = 4096;

    /// <summary>
    /// A row group's cells from its rows, column by column: on every core (formatting and parsing the cells was most of
    /// flows.parquet's time; each row's cells go to its own index, and the cells only read their rows), then each row
    /// told to <paramref name="written"/> in order on this thread.
    /// </summary>
    private static void Fill<TRow>(TRow[] rows, int count, Utf8CellFormatter<TRow>?[] formats, Func<TRow, string?>?[] texts, CellKind[] kinds,
        long?[]?[] integers, double?[]?[] numbers, string?[]?[] strings, Action<TRow>? written)
    {
        int chunks = (count + FillChunkRows - 1) / FillChunkRows;
        if (chunks <= 1)
        {
            FillRows(rows, 0, count, formats, texts, kinds, integers, numbers, strings);
        }
        else
        {
            Parallel.For(0, chunks, i => FillRows(rows, i * FillChunkRows, Math.Min(count, (i + 1) * FillChunkRows), formats, texts, kinds, integers, numbers, strings));
        }
        for (int r = 0; r < count; r++)
        {
            written?.Invoke(rows[r]);
            rows[r] = default!;   // the rows' objects (flow summaries) are not kept alive by the next group's array
        }
    }

    private static void FillRows<TRow>(TRow[] rows, int from, int to, Utf8CellFormatter<TRow>?[] formats, Func<TRow, string?>?[] texts, CellKind[] kinds,
        long?[]?[] integers, double?[]?[] numbers, string?[]?[] strings)
    {
        Span<byte> bytes = stackalloc byte[Utf8Cells.MaxBytes];
        for (int r = from; r < to; r++)
        {
            TRow row = rows[r];
            for (int c = 0; c < formats.Length; c++)
            {
                if (formats[c] is null)
                {
                    string? v = TextCell(texts[c]!(row));
                    switch (kinds[c])
                    {
                        case CellKind.Integer:
                            integers[c]![r] = v is null ? null : long.Parse(v, CultureInfo.InvariantCulture);
                            break;
                        case CellKind.Number:
                            numbers[c]![r] = v is null ? null : double.Parse(v, CultureInfo.InvariantCulture);
                            break;
                        default:
                            strings[c]![r] = v;
                            break;
                    }
                    continue;
                }
                int length = formats[c]!(bytes, row);
                ReadOnlySpan<byte> text = bytes[..length];
                switch (kinds[c])
                {
                    case CellKind.Integer:
                        integers[c]![r] = length == 0 ? null : long.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                        break;
                    case CellKind.Number:
                        numbers[c]![r] = length == 0 ? null : double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
                        break;
                    default:
                        strings[c]![r] = length == 0 ? null : System.Text.Encoding.ASCII.GetString(text);
                        break;
                }
            }
        }
    }

    /// <summary>A text cell's value as the general path reads it back from CsvHelper: an empty cell is null.</summary>
    private static string? TextCell(string? text) => string.IsNullOrEmpty(text) ? null : text;

    private static void Done<TRow>(TRow[] rows, Action<TRow>? written)
    {
        if (written is not null)
        {
            foreach (TRow row in rows)
            {
                written(row);
            }
        }
    }

    private static void WriteGroup(ParquetWriter writer, ParquetSchema schema, CellKind[] kinds, long?[]?[] integers, double?[]?[] numbers,
        string?[]?[] texts, int count)
    {
        using ParquetRowGroupWriter group = writer.CreateRowGroup();
        for (int c = 0; c < kinds.Length; c++)
        {
            DataField field = schema.DataFields[c];
            switch (kinds[c])
            {
                case CellKind.Integer:
                    group.WriteAsync<long>(field, integers[c].AsMemory(0, count)).GetAwaiter().GetResult();
                    break;
                case CellKind.Number:
                    group.WriteAsync<double>(field, numbers[c].AsMemory(0, count)).GetAwaiter().GetResult();
                    break;
                default:
                    group.WriteAsync(field, new ArraySegment<string?>(texts[c]!, 0, count)).GetAwaiter().GetResult();
                    break;
            }
        }
    }

    private static void WriteColumns(ParquetRowGroupWriter group, ParquetSchema schema, CellKind[] kinds, List<string?>[] cells)
    {
        for (int c = 0; c < kinds.Length; c++)
        {
            DataField field = schema.DataFields[c];
            List<string?> column = cells[c];
            switch (kinds[c])
            {
                case CellKind.Integer:
                    group.WriteAsync<long>(field, column.Select(v => v is null ? (long?)null : long.Parse(v, CultureInfo.InvariantCulture)).ToArray().AsMemory())
                        .GetAwaiter().GetResult();
                    break;
                case CellKind.Number:
                    group.WriteAsync<double>(field, column.Select(v => v is null ? (double?)null : double.Parse(v, CultureInfo.InvariantCulture)).ToArray().AsMemory())
                        .GetAwaiter().GetResult();
                    break;
                default:
                    group.WriteAsync(field, column).GetAwaiter().GetResult();
                    break;
            }
        }
    }

    /// <summary>Each column's type, from its kind: INT64, DOUBLE or STRING.</summary>
    private static ParquetSchema Schema<TRow>(IReadOnlyList<CsvColumn<TRow>> columns, out CellKind[] kinds)
    {
        kinds = new CellKind[columns.Count];
        var fields = new List<DataField>();
        for (int c = 0; c < columns.Count; c++)
        {
            kinds[c] = columns[c].Kind;
            fields.Add(kinds[c] switch
            {
                CellKind.Integer => new DataField<long?>(columns[c].Name),
                CellKind.Number => new DataField<double?>(columns[c].Name),
                _ => new DataField<string>(columns[c].Name),
            });
        }
        return new ParquetSchema(fields);
    }

    /// <summary>The cells each CSV column writes, read back column by column (empty = null).</summary>
    private static List<string?>[] Cells<TRow>(IReadOnlyList<CsvColumn<TRow>> columns, IEnumerable<TRow> rows)
    {
        using var csvText = new MemoryStream();
        using (CsvWriter csv = CsvWriter.Create(csvText, new CsvWriterOptions(), leaveOpen: true))
        {
            csv.WriteHeader(columns.Select(c => c.Name).ToArray());   // the reader takes the first record as the header
            foreach (TRow row in rows)
            {
                foreach (CsvColumn<TRow> column in columns)
                {
                    column.Write(csv, row);
                }
                csv.EndRecord();
            }
            csv.Flush();
        }
        var cells = Enumerable.Range(0, columns.Count).Select(_ => new List<string?>()).ToArray();
        csvText.Position = 0;
        using CsvReader reader = CsvReader.Create(csvText, new CsvReaderOptions(), leaveOpen: true);
        reader.ReadHeader();
        while (reader.Read())
        {
            for (int c = 0; c < columns.Count; c++)
            {
                string v = reader.GetString(c);
                cells[c].Add(v.Length == 0 ? null : v);
            }
        }
        return cells;
    }
}
