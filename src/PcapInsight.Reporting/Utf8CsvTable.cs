using System.Text;

namespace PcapInsight.Reporting;

/// <summary>
/// Writes a table whose every column has a <see cref="CsvColumn{TRow}.Utf8"/> formatter or is text
/// (<see cref="CsvColumn{TRow}.Text"/>): the header, then each row's cells formatted into one buffer, comma-separated,
/// CRLF-terminated: RFC 4180 as <see cref="CsvHelper.CsvWriter"/> writes it (plain cells need no quotes, text cells
/// get CsvHelper's own bytes where they need any, <see cref="CsvText"/>; tests read the file back with CsvHelper's
/// reader, and the bytes matched the CsvHelper-written tables of every sample and corpus capture when this replaced
/// it). flows.csv of a million flows is 45 million cells: the general writer's per-cell work (transcoding, quoting
/// and formula checks) took about 2.5 s of it, this about 1 s.
/// </summary>
/// <remarks>
/// A long table is formatted on every core: the rows are taken in batches on the calling thread (which reads them
/// from the spool, one enumerator), each batch is formatted into its own buffer by a pool thread, and the buffers are
/// written in the order of their batches, so the file's bytes are those of one thread. The cells only read their rows.
/// </remarks>
internal static class Utf8CsvTable
{
    // A batch's buffer: large enough that a pool thread's task is worth its start (about 200 rows of flows.csv).
    private const int BatchBytes = 1 << 19;

    public static bool Applies<TRow>(IReadOnlyList<CsvColumn<TRow>> columns) =>
        columns.Count > 0 && columns.All(c => (c.Utf8 is not null || c.Text is not null) && Utf8Cells.IsPlain(c.Name));

    /// <summary>
    /// Writes the table; <paramref name="written"/>, when given, is told of each row on the calling thread once its
    /// batch is written (its cells no longer read), in the rows' order.
    /// </summary>
    public static void Write<TRow>(Stream stream, IReadOnlyList<CsvColumn<TRow>> columns, IEnumerable<TRow> rows, Action<TRow>? written = null) =>
        Write(stream, columns, rows, Environment.ProcessorCount + 1, written);

    /// <summary>As <see cref="Write{TRow}(Stream, IReadOnlyList{CsvColumn{TRow}}, IEnumerable{TRow}, Action{TRow})"/>, with at most <paramref name="batchesInFlight"/> batches formatting at once (1: all on the calling thread).</summary>
    internal static void Write<TRow>(Stream stream, IReadOnlyList<CsvColumn<TRow>> columns, IEnumerable<TRow> rows, int batchesInFlight,
        Action<TRow>? written = null)
    {
        var cells = new Cells<TRow>(columns);
        int rowBytes = RowBytes(columns.Count);
        int batchRows = BatchRows(columns.Count);
        stream.Write(Encoding.ASCII.GetBytes(string.Join(',', columns.Select(c => c.Name)) + "\r\n"));

        var formatting = new Queue<Task<Batch<TRow>>>();
        var free = new Stack<Batch<TRow>>();
        Batch<TRow> batch = new(batchRows, rowBytes);
        long textBytes = 0;
        foreach (TRow row in rows)
        {
            batch.Rows[batch.Count++] = row;
            // A batch ends at its rows' count or at its texts' length, whichever comes first: a table of long texts
            // (details listing thousands of missing ranges) must not make each batch's buffer tens of megabytes.
            foreach (Func<TRow, string?> text in cells.Texts)
            {
                textBytes += text(row)?.Length ?? 0;
            }
            if (batch.Count < batchRows && textBytes < BatchBytes)
            {
                continue;
            }
            textBytes = 0;
            if (batchesInFlight <= 1)
            {
                batch.Format(cells);
                batch.WriteTo(stream, written);
                continue;
            }
            formatting.Enqueue(FormatElsewhere(batch, cells));
            if (formatting.Count >= batchesInFlight)
            {
                free.Push(WriteOldest(formatting, stream, written));
            }
            batch = free.Count > 0 ? free.Pop() : new Batch<TRow>(batchRows, rowBytes);
        }
        while (formatting.Count > 0)
        {
            WriteOldest(formatting, stream, written);
        }
        batch.Format(cells);   // the rows after the last full batch, and the whole of a short table
        batch.WriteTo(stream, written);
    }

    /// <summary>The columns' ways to their cells: each a plain formatter or a text; all plain, the formatters alone.</summary>
    private sealed class Cells<TRow>(IReadOnlyList<CsvColumn<TRow>> columns)
    {
        public readonly Utf8CellFormatter<TRow>?[] Plain = columns.Select(c => c.Utf8).ToArray();
        public readonly Func<TRow, string?>?[] Text = columns.Select(c => c.Utf8 is null ? c.Text : null).ToArray();
        public readonly bool AllPlain = columns.All(c => c.Utf8 is not null);

        /// <summary>The text columns' texts alone, to measure a batch by.</summary>
        public readonly Func<TRow, string?>[] Texts = columns.Where(c => c.Utf8 is null).Select(c => c.Text!).ToArray();

        /// <summary>Where the text columns are.</summary>
        public readonly int[] TextColumns = Enumerable.Range(0, columns.Count).Where(i => columns[i].Utf8 is null).ToArray();

        /// <summary>The most a row's plain cells take with every separator and the line's end (its texts come on top).</summary>
        public readonly int PlainRowBytes = columns.Count(c => c.Utf8 is not null) * Utf8Cells.MaxBytes + columns.Count + 2;
    }

    /// <summary>The most a row of <paramref name="columns"/> plain cells takes (text cells make room as they need it).</summary>
    private static int RowBytes(int columns) => columns * (Utf8Cells.MaxBytes + 1) + 2;

    /// <summary>The rows of a table of <paramref name="columns"/> columns formatted in one batch.</summary>
    internal static int BatchRows(int columns) => Math.Max(1, BatchBytes / RowBytes(columns));

    // Its own method: a lambda in the loop would capture the loop's scope, one closure object a row.
    private static Task<Batch<TRow>> FormatElsewhere<TRow>(Batch<TRow> batch, Cells<TRow> cells) =>
        Task.Run(() => batch.Format(cells));

    private static Batch<TRow> WriteOldest<TRow>(Queue<Task<Batch<TRow>>> formatting, Stream stream, Action<TRow>? written)
    {
        Batch<TRow> done = formatting.Dequeue().GetAwaiter().GetResult();
        done.WriteTo(stream, written);
        return done;
    }

    /// <summary>Rows taken from the table and the bytes of their lines once formatted; reused once written.</summary>
    private sealed class Batch<TRow>(int rows, int rowBytes)
    {
        public readonly TRow[] Rows = new TRow[rows];
        public int Count;
        private byte[] _bytes = [];
        private int _length;
        private string?[]? _values;      // a row's text cells, by column (FormatMixed)
        private byte[]?[]? _escaped;     // their escaped bytes where they need any

        public Batch<TRow> Format(Cells<TRow> cells)
        {
            if (_bytes.Length < Count * rowBytes)
            {
                _bytes = new byte[Count * rowBytes];   // a full batch's room once; a short table's, its own rows
            }
            _length = cells.AllPlain ? FormatPlain(cells.Plain!) : FormatMixed(cells);
            return this;
        }

        // Every cell plain (flows.csv, udp.csv): a row's room is known, no check a cell.
        private int FormatPlain(Utf8CellFormatter<TRow>?[] cells)
        {
            byte[] buffer = _bytes;
            int at = 0;
            for (int r = 0; r < Count; r++)
            {
                TRow row = Rows[r];
                for (int c = 0; c < cells.Length; c++)
                {
                    if (c > 0)
                    {
                        buffer[at++] = (byte)',';
                    }
                    at += cells[c]!(buffer.AsSpan(at, Utf8Cells.MaxBytes), row);
                }
                buffer[at++] = (byte)'\r';
                buffer[at++] = (byte)'\n';
            }
            return at;
        }

        // Text cells too (events.csv, fragments.csv, flows.csv's file): a row's texts are measured first, so its room is
        // known and checked once, and its cells are then written as the plain loop writes them (a check a cell cost
        // flows.csv of a million rows, one text among 44 cells, 0.3 s against the plain loop).
        private int FormatMixed(Cells<TRow> cells)
        {
            byte[] buffer = _bytes;
            int at = 0;
            Utf8CellFormatter<TRow>?[] plain = cells.Plain;
            int[] textColumns = cells.TextColumns;
            string?[] values = _values ??= new string?[plain.Length];
            byte[]?[] escaped = _escaped ??= new byte[]?[plain.Length];
            for (int r = 0; r < Count; r++)
            {
                TRow row = Rows[r];
                int room = cells.PlainRowBytes;
                foreach (int c in textColumns)
                {
                    values[c] = cells.Text[c]!(row);
                    room += 1 + CsvText.Measure(values[c], out escaped[c]);
                }
                if (buffer.Length - at < room)
                {
                    Array.Resize(ref _bytes, Math.Max(2 * buffer.Length, at + room));   // long texts: past a row's usual room
                    buffer = _bytes;
                }
                for (int c = 0; c < plain.Length; c++)
                {
                    if (c > 0)
                    {
                        buffer[at++] = (byte)',';
                    }
                    at += plain[c] is { } cell ? cell(buffer.AsSpan(at, Utf8Cells.MaxBytes), row) : CsvText.Write(buffer.AsSpan(at), values[c], escaped[c]);
                }
                buffer[at++] = (byte)'\r';
                buffer[at++] = (byte)'\n';
            }
            Array.Clear(values);   // the texts are not kept alive by a reused batch
            Array.Clear(escaped);
            return at;
        }

        public void WriteTo(Stream stream, Action<TRow>? written)
        {
            stream.Write(_bytes, 0, _length);
            if (written is not null)
            {
                for (int r = 0; r < Count; r++)
                {
                    written(Rows[r]);
                }
            }
            Array.Clear(Rows, 0, Count);   // the rows' objects (flow summaries) are not kept alive by a reused batch
            Count = 0;
            _length = 0;
        }
    }
}
