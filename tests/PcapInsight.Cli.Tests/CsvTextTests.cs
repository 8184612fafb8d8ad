using System.Text;
using CsvHelper;
using PcapInsight.Reporting;
using Xunit;

namespace PcapInsight.Cli.Tests;

/// <summary>
/// Tables with text cells (events.csv's details and advice, fragments.csv's missing ranges and file names) are
/// written straight as UTF-8 too: a text of the characters CsvHelper leaves alone is copied, any other is written by
/// CsvHelper. These tests hold the copy to CsvHelper, character by character and on random texts, and a whole table
/// to the table CsvHelper writes.
/// </summary>
public class CsvTextTests
{
    // Every printable ASCII character, some controls, and characters past ASCII.
    private const string Alphabet = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\t\r\né€😀";

    [Fact]
    public void EveryCharacter_InsideAText_IsCopiedOnlyWhereCsvHelperCopiesIt()
    {
        foreach (char c in Alphabet)
        {
            string text = "a" + c + "b";
            byte[] csvHelper = CsvText.ThroughCsvHelper(text);
            if (CsvText.IsVerbatim(text))
            {
                Assert.Equal(text, Encoding.UTF8.GetString(csvHelper));
            }
        }
    }

    [Theory]
    [InlineData("", true)]
    [InlineData("ip_id=7 missing=0-1480;2960-? reason=timeout", true)]
    [InlineData("first+windows+solaris/bsd/linux+last", true)]
    [InlineData("::1", true)]                     // an IPv6 address
    [InlineData("2001:db8::1", true)]
    [InlineData("capture 1.pcap", true)]
    [InlineData("=HYPERLINK(\"x\")", false)]     // a formula: CsvHelper escapes it
    [InlineData("-1", false)]
    [InlineData("+1", false)]
    [InlineData("@x", false)]
    [InlineData("a,b", false)]                    // quoted
    [InlineData("say \"hi\"", false)]
    [InlineData(" leading", false)]
    [InlineData("trailing ", false)]
    [InlineData("two\nlines", false)]
    [InlineData("caf\u00e9.pcap", false)]
    public void Text_IsCopiedOrEscaped_AsCsvHelperWritesIt(string text, bool verbatim)
    {
        Assert.Equal(verbatim, CsvText.IsVerbatim(text));
        byte[] written = Cell(text);
        Assert.Equal(CsvText.ThroughCsvHelper(text), written);
        if (verbatim)
        {
            Assert.Equal(text, Encoding.ASCII.GetString(written));
        }
    }

    [Fact]
    public void RandomTexts_AreWrittenAsCsvHelperWritesThem()
    {
        var random = new Random(29);
        for (int i = 0; i < 5_000; i++)
        {
            // Mostly the report's own kind of text, some with anything at all.
            string alphabet = random.Next(4) == 0 ? Alphabet : "ab09 .:_-+/?;=()%#[]<>!*&'";
            string text = new(Enumerable.Range(0, random.Next(0, 12)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
            Assert.Equal(CsvText.ThroughCsvHelper(text), Cell(text));
        }
    }

    private readonly record struct Line(long Number, string? Text, string? Other);

    // A text first (events.csv's time is one, empty when an event has none) and last.
    private static readonly IReadOnlyList<CsvColumn<Line>> Columns =
    [
        CsvColumn<Line>.OfText("text", r => r.Text),
        CsvColumn<Line>.Plain("number", (d, r) => Utf8Cells.Number(d, r.Number)),
        CsvColumn<Line>.OfText("other", r => r.Other),
    ];

    /// <summary>
    /// A table of plain and text cells, texts long and short, some repeated (as advice is), on one thread and on
    /// several: the bytes CsvHelper writes for the same rows.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void TableWithTextCells_IsTheBytesCsvHelperWrites(int batchesInFlight)
    {
        var random = new Random(31);
        string[] repeated = ["Send datagrams no larger than the path MTU, less the headers.", "plain advice", "=formula"];
        string longText = string.Join(' ', Enumerable.Range(0, 4000).Select(i => $"{16 * i}-{16 * i + 8}"));   // past a batch's row room
        Line[] rows = Enumerable.Range(0, 3 * Utf8CsvTable.BatchRows(Columns.Count) + 7).Select(i => new Line(
            random.NextInt64(0, long.MaxValue),
            random.Next(50) == 0 ? longText : random.Next(10) == 0 ? null : random.Next(10) == 0 ? "" : new string(Enumerable.Range(0, random.Next(0, 30)).Select(_ => Alphabet[random.Next(Alphabet.Length)]).ToArray()),
            repeated[random.Next(repeated.Length)])).ToArray();
        Assert.True(Utf8CsvTable.Applies(Columns));
        Assert.Contains(Columns, c => c.Utf8 is null);   // the mixed loop: text cells among the plain ones

        using var utf8 = new MemoryStream();
        Utf8CsvTable.Write(utf8, Columns, rows, batchesInFlight);

        Assert.Equal(ThroughCsvHelper(rows), utf8.ToArray());
    }

    /// <summary>
    /// A batch of rows ends at its texts' length too: 200 rows of 100 KB texts (an event detail can list thousands of
    /// missing ranges) are formatted a few rows at a time, not into one 20 MB buffer a batch. Measured with the
    /// thread's allocation counter, everything formatted on it.
    /// </summary>
    [Fact]
    public void LongTexts_AreFormattedInBatchesOfBoundedBytes()
    {
        string text = new('7', 100_000);
        Line[] rows = Enumerable.Range(0, 200).Select(i => new Line(i, text, "x")).ToArray();
        Utf8CsvTable.Write(Stream.Null, Columns, rows.Take(3), batchesInFlight: 1);   // JIT and statics first

        long before = GC.GetAllocatedBytesForCurrentThread();
        Utf8CsvTable.Write(Stream.Null, Columns, rows, batchesInFlight: 1);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated < 4 << 20, $"{allocated} bytes allocated for {rows.Length} rows of {text.Length} bytes");
    }

    private static byte[] Cell(string text)
    {
        var buffer = new byte[CsvText.Measure(text, out byte[]? escaped)];
        Assert.Equal(buffer.Length, CsvText.Write(buffer, text, escaped));
        return buffer;
    }

    private static byte[] ThroughCsvHelper(Line[] rows)
    {
        using var stream = new MemoryStream();
        using (CsvWriter csv = CsvWriter.Create(stream, CsvReportWriter.Options, leaveOpen: true))
        {
            csv.WriteHeader(Columns.Select(c => c.Name).ToArray());
            foreach (Line row in rows)
            {
                foreach (CsvColumn<Line> column in Columns)
                {
                    column.Write(csv, row);
                }
                csv.EndRecord();
            }
            csv.Flush();
        }
        return stream.ToArray();
    }
}
