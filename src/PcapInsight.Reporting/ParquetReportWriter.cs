using System.Globalization;
using CsvHelper;
using Parquet;
using Parquet.Schema;
using PcapInsight.Core.Analysis;

namespace PcapInsight.Reporting;

/// <summary>
/// flows.parquet and events.parquet: the same columns, in the same order, with the same values as the CSV files, as
/// Apache Parquet, so that DuckDB, Spark or Trino can query the reports of thousands of captures at once
/// (<c>select * from 'reports/*/events.parquet'</c>). Each column is typed from its values: INT64 when every cell is
/// an integer, DOUBLE when every cell is a number, else STRING; an empty cell is NULL. The cells are those the CSV
/// columns write, so the two formats cannot drift apart.
/// </summary>
public static class ParquetReportWriter
{
    /// <summary>Writes flows.parquet into <paramref name="directory"/>.</summary>
    public static void WriteFlows(AnalysisResult result, string directory) =>
        Write(Path.Combine(directory, "flows.parquet"), CsvColumns.Flows, ReportRows.Flows(result));

    /// <summary>Writes events.parquet into <paramref name="directory"/>.</summary>
    public static void WriteEvents(AnalysisResult result, string directory) =>
        Write(Path.Combine(directory, "events.parquet"), CsvColumns.Events, ReportRows.Events(result));

    /// <summary>Rows a row group holds: what the writer keeps in memory at once (a million flows are 15 groups).</summary>
    public const int RowGroupRows = 65_536;

    /// <summary>
    /// Writes a table atomically, in row groups of <paramref name="rowGroupRows"/>. Two passes over the rows (the
    /// flows come back from the spool each time): the first types each column from all its cells, the second writes
    /// the groups; memory holds one group's cells, whatever the table's length.
    /// </summary>
    public static void Write<TRow>(string path, IReadOnlyList<CsvColumn<TRow>> columns, IEnumerable<TRow> rows, int rowGroupRows = RowGroupRows)
    {
        var integer = Enumerable.Repeat(true, columns.Count).ToArray();
        var number = Enumerable.Repeat(true, columns.Count).ToArray();
        foreach (TRow[] chunk in rows.Chunk(rowGroupRows))
        {
            List<string?>[] cells = Cells(columns, chunk);
            for (int c = 0; c < columns.Count; c++)
            {
                Narrow(cells[c], ref integer[c], ref number[c]);
            }
        }
        var fields = new List<DataField>();
        var kinds = new ColumnKind[columns.Count];
        for (int c = 0; c < columns.Count; c++)
        {
            kinds[c] = integer[c] ? ColumnKind.Integer : number[c] ? ColumnKind.Number : ColumnKind.Text;
            fields.Add(kinds[c] switch
            {
                ColumnKind.Integer => new DataField<long?>(columns[c].Name),
                ColumnKind.Number => new DataField<double?>(columns[c].Name),
                _ => new DataField<string>(columns[c].Name),
            });
        }
        var schema = new ParquetSchema(fields);
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

    private static void WriteColumns(ParquetRowGroupWriter group, ParquetSchema schema, ColumnKind[] kinds, List<string?>[] cells)
    {
        for (int c = 0; c < kinds.Length; c++)
        {
            DataField field = schema.DataFields[c];
            List<string?> column = cells[c];
            switch (kinds[c])
            {
                case ColumnKind.Integer:
                    group.WriteAsync<long>(field, column.Select(v => v is null ? (long?)null : long.Parse(v, CultureInfo.InvariantCulture)).ToArray().AsMemory())
                        .GetAwaiter().GetResult();
                    break;
                case ColumnKind.Number:
                    group.WriteAsync<double>(field, column.Select(v => v is null ? (double?)null : double.Parse(v, CultureInfo.InvariantCulture)).ToArray().AsMemory())
                        .GetAwaiter().GetResult();
                    break;
                default:
                    group.WriteAsync(field, column).GetAwaiter().GetResult();
                    break;
            }
        }
    }

    private enum ColumnKind { Integer, Number, Text }

    /// <summary>Clears <paramref name="integer"/> and <paramref name="number"/> when a cell of <paramref name="column"/> is not one.</summary>
    private static void Narrow(List<string?> column, ref bool integer, ref bool number)
    {
        foreach (string? v in column)
        {
            if (v is null || (!integer && !number))
            {
                continue;
            }
            integer &= long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);
            number &= double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
        }
    }

    /// <summary>The cells each CSV column writes, read back column by column (empty = null).</summary>
    private static List<string?>[] Cells<TRow>(IReadOnlyList<CsvColumn<TRow>> columns, IEnumerable<TRow> rows)
    {
        if (Utf8CsvTable.Applies(columns))
        {
            return PlainCells(columns, rows);
        }
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

    /// <summary>The cells of a table of plain columns, from their formatters: the text flows.csv has, never escaped.</summary>
    private static List<string?>[] PlainCells<TRow>(IReadOnlyList<CsvColumn<TRow>> columns, IEnumerable<TRow> rows)
    {
        var cells = Enumerable.Range(0, columns.Count).Select(_ => new List<string?>()).ToArray();
        Span<byte> cell = stackalloc byte[Utf8Cells.MaxBytes];
        foreach (TRow row in rows)
        {
            for (int c = 0; c < columns.Count; c++)
            {
                int length = columns[c].Utf8!(cell, row);
                cells[c].Add(length == 0 ? null : System.Text.Encoding.ASCII.GetString(cell[..length]));
            }
        }
        return cells;
    }
}
