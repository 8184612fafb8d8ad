using System.Globalization;
using CsvHelper;
using Parquet;
using Parquet.Schema;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Flows;

namespace PcapInsight.Reporting;

/// <summary>
/// flows.parquet, events.parquet, udp.parquet and fragments.parquet: the same columns, in the same order, with the same
/// values as the CSV files, as Apache Parquet, so that DuckDB, Spark or Trino can query the reports of thousands of
/// captures at once (<c>select * from 'reports/*/events.parquet'</c>). Each column has its own type (<see cref="CsvColumn{TRow}.Kind"/>:
/// INT64, DOUBLE or STRING), the same in every report whatever its values, so the files of thousands of captures are
/// one table to an engine; an empty cell is NULL. The values are those the CSV cells say: a column's typed value where
/// it has one (<see cref="CsvColumn{TRow}.Whole"/>, <see cref="CsvColumn{TRow}.Number"/>), else its text parsed, and a
/// test holds the two equal, so the two formats cannot drift apart.
/// </summary>
public static class ParquetReportWriter
{
    /// <summary>
    /// Writes every Parquet table into <paramref name="directory"/> (flows, events, udp, fragments), two at a time as
    /// <see cref="CsvReportWriter.WriteTables"/> does (<see cref="TableGroups"/>): the same files as one at a time.
    /// </summary>
    public static void WriteTables(AnalysisResult result, string directory) =>
        TableGroups.Write(result, directory, WriteFlows, WriteUdp, WriteEvents, WriteFragments);

    /// <summary>Writes flows.parquet into <paramref name="directory"/>.</summary>
    public static void WriteFlows(AnalysisResult result, string directory)
    {
        var reuse = new FlowSummaryPool();
        Write(Path.Combine(directory, "flows.parquet"), CsvColumns.Flows, ReportRows.Flows(result, reuse), written: row => reuse.Return(row.Flow));
    }

    /// <summary>Writes events.parquet into <paramref name="directory"/>.</summary>
    public static void WriteEvents(AnalysisResult result, string directory) =>
        Write(Path.Combine(directory, "events.parquet"), CsvColumns.Events, ReportRows.Events(result));

    /// <summary>Writes udp.parquet into <paramref name="directory"/>: udp.csv's rows (loss, duplicates, jitter of each UDP flow).</summary>
    public static void WriteUdp(AnalysisResult result, string directory)
    {
        var reuse = new FlowSummaryPool();
        Write(Path.Combine(directory, "udp.parquet"), CsvColumns.Udp, UdpRow.All(result, reuse), written: row => reuse.Return(row.Flow));
    }

    /// <summary>Writes fragments.parquet into <paramref name="directory"/>: fragments.csv's rows (no row when nothing was fragmented).</summary>
    public static void WriteFragments(AnalysisResult result, string directory) =>
        Write(Path.Combine(directory, "fragments.parquet"), CsvColumns.Fragments, FragmentRow.All(result));

    /// <summary>
    /// Writes a small table of the three kinds of columns into memory and throws it away: Parquet.Net's generic code
    /// over them (its column writers, encoders, statistics, compression and async machinery; 330 methods that
    /// ReadyToRun cannot compile ahead across its version bubble) is then compiled here, on another core while the
    /// capture is analysed, and not at the report's end: a small report with Parquet spent about 120 ms more than
    /// without. In the JIT build only: the native build has that code compiled, and analyze skips this there.
    /// Failures are left to the real writing to report.
    /// </summary>
    public static void Warm()
    {
        try
        {
            WriteWarmUpTable();
        }
        catch (Exception)
        {
            // Nothing to report from a warm-up.
        }
    }

    /// <summary>The warm-up's table: two rows of a whole number, a decimal number and a text; its file's bytes.</summary>
    internal static byte[] WriteWarmUpTable()
    {
        CsvColumn<long>[] columns =
        [
            CsvColumn<long>.Plain("whole", (d, v) => Utf8Cells.Number(d, v)) with { Kind = CellKind.Integer, Whole = v => v },
            CsvColumn<long>.Plain("number", (d, v) => Utf8Cells.Milliseconds(d, v)) with { Kind = CellKind.Number, Number = v => CellValues.Milliseconds(v) },
            CsvColumn<long>.Plain("text", (d, v) => Utf8Cells.Name(d, "x")) with { Kind = CellKind.Text, Text = v => "x" },
        ];
        using var memory = new MemoryStream();
        WritePlain(memory, columns, [0L, 1_500_000L], rowGroupRows: 2, written: null);
        return memory.ToArray();
    }

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
        GroupCells cells = new GroupBuffer<TRow>(kinds, rowGroupRows).Cells;
        AtomicFile.Write(path, stream =>
        {
            ParquetWriter writer = ParquetWriter.CreateAsync(schema, stream).GetAwaiter().GetResult();
            try
            {
                bool any = false;
                foreach (TRow[] chunk in rows.Chunk(rowGroupRows))
                {
                    any = true;
                    WriteParsed(writer, schema, cells, Cells(columns, chunk), chunk.Length);
                    Done(chunk, written);
                }
                if (!any)
                {
                    WriteParsed(writer, schema, cells, Cells(columns, Array.Empty<TRow>()), 0);   // an empty table: one empty group
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
    /// and values, but a cell is its column's typed value where it has one (a number, a name's one string), else
    /// formatted into a stack buffer and parsed from its bytes, and a text cell is its column's string as it is (what
    /// the general path reads back from CsvHelper), so a million flows (45 million cells) no longer make 90 million
    /// strings (flows.pcap: 31 s and 5.5 GB allocated before) nor format and parse their numbers.
    /// </summary>
    private static void WritePlain<TRow>(string path, IReadOnlyList<CsvColumn<TRow>> columns, IEnumerable<TRow> rows, int rowGroupRows,
        Action<TRow>? written) =>
        AtomicFile.Write(path, stream => WritePlain(stream, columns, rows, rowGroupRows, written));

    private static void WritePlain<TRow>(Stream stream, IReadOnlyList<CsvColumn<TRow>> columns, IEnumerable<TRow> rows, int rowGroupRows,
        Action<TRow>? written)
    {
        Utf8CellFormatter<TRow>?[] formats = columns.Select(c => c.Utf8).ToArray();
        Func<TRow, string?>?[] texts = columns.Select(c => c.Text).ToArray();
        Func<TRow, long?>?[] wholes = columns.Select(c => c.Kind is CellKind.Integer ? c.Whole : null).ToArray();
        Func<TRow, double?>?[] decimals = columns.Select(c => c.Kind is CellKind.Number ? c.Number : null).ToArray();
        var typed = new TypedCells<TRow>(formats, texts, wholes, decimals);
        ParquetSchema schema = Schema(columns, out CellKind[] kinds);
        // One row group's rows and cells, reused for every group. (Filling one group on the pool while the one before was
        // encoded here was tried: no faster, the encoding and the spool's reading on this thread are the longer part.)
        var buffer = new GroupBuffer<TRow>(kinds, rowGroupRows);
        ParquetWriter writer = ParquetWriter.CreateAsync(schema, stream).GetAwaiter().GetResult();
        try
        {
            bool any = false;
            foreach (TRow row in rows)
            {
                buffer.Rows[buffer.Count++] = row;
                if (buffer.Count == rowGroupRows)
                {
                    WriteGroup(writer, schema, buffer, typed, written);
                    any = true;
                }
            }
            if (buffer.Count > 0 || !any)
            {
                WriteGroup(writer, schema, buffer, typed, written);   // the rest, or an empty table's one empty group
            }
        }
        finally
        {
            writer.DisposeAsync().AsTask().GetAwaiter().GetResult();   // writes the footer
        }
    }

    /// <summary>A group's cells filled (on every core), written, and its rows told to <paramref name="written"/> and let go.</summary>
    private static void WriteGroup<TRow>(ParquetWriter writer, ParquetSchema schema, GroupBuffer<TRow> buffer, TypedCells<TRow> typed, Action<TRow>? written)
    {
        Fill(buffer.Rows, buffer.Count, typed, buffer.Cells);
        WriteGroup(writer, schema, buffer.Cells, buffer.Count);
        buffer.Release(written);
    }

    /// <summary>One row group's rows and cells, reused for group after group.</summary>
    private sealed class GroupBuffer<TRow>(CellKind[] kinds, int rows)
    {
        public readonly TRow[] Rows = new TRow[rows];
        public int Count;
        public readonly GroupCells Cells = new(kinds,
            kinds.Select(k => k == CellKind.Integer ? new long?[rows] : null).ToArray(),
            kinds.Select(k => k == CellKind.Number ? new double?[rows] : null).ToArray(),
            kinds.Select(k => k == CellKind.Text ? new string?[rows] : null).ToArray());

        /// <summary>Each row told to <paramref name="written"/> in order, and let go (the rows' objects are not kept alive by this buffer).</summary>
        public void Release(Action<TRow>? written)
        {
            for (int r = 0; r < Count; r++)
            {
                written?.Invoke(Rows[r]);
                Rows[r] = default!;
            }
            Count = 0;
        }
    }

    // Rows a pool thread fills at a time: enough that its start is worth it.
    private const int FillChunkRows = 4096;

    /// <summary>How a table's columns give their cells: by column, the formatter, the text, the whole or the decimal value (null where a column has none).</summary>
    private sealed record TypedCells<TRow>(Utf8CellFormatter<TRow>?[] Formats, Func<TRow, string?>?[] Texts, Func<TRow, long?>?[] Wholes,
        Func<TRow, double?>?[] Decimals);

    /// <summary>One row group's cells, by column, in the array of the column's kind (null for the other kinds).</summary>
    private sealed record GroupCells(CellKind[] Kinds, long?[]?[] Integers, double?[]?[] Numbers, string?[]?[] Strings);

    /// <summary>
    /// A row group's cells from its rows, column by column, on every core (formatting and parsing the cells was most of
    /// flows.parquet's time; each row's cells go to its own index, and the cells only read their rows).
    /// </summary>
    private static void Fill<TRow>(TRow[] rows, int count, TypedCells<TRow> typed, GroupCells cells)
    {
        int chunks = (count + FillChunkRows - 1) / FillChunkRows;
        if (chunks <= 1)
        {
            FillRows(rows, 0, count, typed, cells);
        }
        else
        {
            Parallel.For(0, chunks, i => FillRows(rows, i * FillChunkRows, Math.Min(count, (i + 1) * FillChunkRows), typed, cells));
        }
    }

    private static void FillRows<TRow>(TRow[] rows, int from, int to, TypedCells<TRow> typed, GroupCells cells)
    {
        Span<byte> bytes = stackalloc byte[Utf8Cells.MaxBytes];
        CellKind[] kinds = cells.Kinds;
        for (int r = from; r < to; r++)
        {
            TRow row = rows[r];
            for (int c = 0; c < kinds.Length; c++)
            {
                switch (kinds[c])
                {
                    case CellKind.Integer when typed.Wholes[c] is { } whole:
                        cells.Integers[c]![r] = whole(row);
                        continue;
                    case CellKind.Number when typed.Decimals[c] is { } number:
                        cells.Numbers[c]![r] = number(row);
                        continue;
                    case CellKind.Text when typed.Texts[c] is { } text:
                        cells.Strings[c]![r] = TextCell(text(row));
                        continue;
                }
                // No typed value: the cell's text, parsed as the general path parses it.
                string? v;
                if (typed.Formats[c] is { } format)
                {
                    int length = format(bytes, row);
                    ReadOnlySpan<byte> text = bytes[..length];
                    switch (kinds[c])
                    {
                        case CellKind.Integer:
                            cells.Integers[c]![r] = length == 0 ? null : long.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                            continue;
                        case CellKind.Number:
                            cells.Numbers[c]![r] = length == 0 ? null : double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
                            continue;
                    }
                    v = length == 0 ? null : System.Text.Encoding.ASCII.GetString(text);
                }
                else
                {
                    v = TextCell(typed.Texts[c]!(row));
                }
                SetParsed(cells, c, r, v);
            }
        }
    }

    /// <summary>A cell from its text (null: empty), as the general path reads every cell back.</summary>
    private static void SetParsed(GroupCells cells, int column, int row, string? v)
    {
        switch (cells.Kinds[column])
        {
            case CellKind.Integer:
                cells.Integers[column]![row] = v is null ? null : long.Parse(v, CultureInfo.InvariantCulture);
                break;
            case CellKind.Number:
                cells.Numbers[column]![row] = v is null ? null : double.Parse(v, CultureInfo.InvariantCulture);
                break;
            default:
                cells.Strings[column]![row] = v;
                break;
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

    private static void WriteGroup(ParquetWriter writer, ParquetSchema schema, GroupCells cells, int count)
    {
        using ParquetRowGroupWriter group = writer.CreateRowGroup();
        for (int c = 0; c < cells.Kinds.Length; c++)
        {
            DataField field = schema.DataFields[c];
            switch (cells.Kinds[c])
            {
                case CellKind.Integer:
                    group.WriteAsync<long>(field, cells.Integers[c].AsMemory(0, count)).GetAwaiter().GetResult();
                    break;
                case CellKind.Number:
                    group.WriteAsync<double>(field, cells.Numbers[c].AsMemory(0, count)).GetAwaiter().GetResult();
                    break;
                default:
                    group.WriteAsync(field, new ArraySegment<string?>(cells.Strings[c]!, 0, count)).GetAwaiter().GetResult();
                    break;
            }
        }
    }

    /// <summary>A group from its cells' texts (the general path): each parsed as the fast path parses a cell without a typed value.</summary>
    private static void WriteParsed(ParquetWriter writer, ParquetSchema schema, GroupCells cells, List<string?>[] texts, int count)
    {
        for (int c = 0; c < texts.Length; c++)
        {
            for (int r = 0; r < count; r++)
            {
                SetParsed(cells, c, r, texts[c][r]);
            }
        }
        WriteGroup(writer, schema, cells, count);
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
