using System.Runtime.CompilerServices;
using CsvHelper;

namespace PcapInsight.Reporting;

/// <summary>
/// A text cell of a table written straight as UTF-8 (<see cref="Utf8CsvTable"/>) with exactly the bytes the general
/// CSV writer gives it: a text of the characters that writer leaves alone (<see cref="IsVerbatim"/>: the report's own
/// texts, such as fragments.csv's missing ranges and events.csv's details) is copied as it is; any other (a file name
/// from the command line, the advice with its commas) is written by CsvHelper itself, with the report's quoting and
/// formula escaping, so the two paths cannot disagree.
/// </summary>
internal static class CsvText
{
    // The report's texts escaped once: advice and file names repeat on every row. Keyed by the string object, so a
    // text is looked up by reference, and entries go with their strings.
    private static readonly ConditionalWeakTable<string, byte[]> Escaped = new();

    /// <summary>
    /// Whether the general writer writes <paramref name="text"/> as it is: ASCII letters, digits, spaces inside and a
    /// few marks; a letter, a digit or ':' first (nothing a spreadsheet takes for a formula, no leading space; ':'
    /// begins an IPv6 address) and no space last. Commas, quotes, line breaks, tabs and anything outside ASCII are
    /// not. A test holds this to CsvHelper.
    /// </summary>
    /// <remarks>
    /// Compiled optimised at its first call: an event's detail can list thousands of missing ranges, and the first
    /// tier's loop (or a vectorised search instantiated for this set, compiled at run time too) cost more than the
    /// general writer it replaces.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool IsVerbatim(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
        {
            return true;
        }
        if (!(char.IsAsciiLetterOrDigit(text[0]) || text[0] == ':') || text[^1] == ' ')
        {
            return false;
        }
        ReadOnlySpan<bool> allowed = Allowed;
        foreach (char c in text)
        {
            if (c >= allowed.Length || !allowed[c])
            {
                return false;
            }
        }
        return true;
    }

    // By character code: letters, digits, the space and " .:_-+/?;=()%#[]<>!*&'".
    private static readonly bool[] Allowed = MakeAllowed("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .:_-+/?;=()%#[]<>!*&'");

    private static bool[] MakeAllowed(string chars)
    {
        var allowed = new bool[128];
        foreach (char c in chars)
        {
            allowed[c] = true;
        }
        return allowed;
    }

    /// <summary>The cell's bytes as the general CSV writer writes <paramref name="text"/> (quoted and escaped as needed).</summary>
    public static byte[] ThroughCsvHelper(string text)
    {
        // A record of the cell and one more: a record of one empty cell alone is written as "" (an empty line would be
        // no record), which no row of ours is.
        using var stream = new MemoryStream();
        using (CsvWriter csv = CsvWriter.Create(stream, CsvReportWriter.Options, leaveOpen: true))
        {
            csv.WriteField(text);
            csv.WriteField("x");
            csv.EndRecord();
            csv.Flush();
        }
        return stream.ToArray()[..^4];   // ",x" and the record's CRLF
    }

    /// <summary>
    /// The bytes <paramref name="text"/> takes as a cell; <paramref name="escaped"/> is CsvHelper's form of it when it
    /// is not written as it is. Then <see cref="Write"/>.
    /// </summary>
    public static int Measure(string? text, out byte[]? escaped)
    {
        escaped = null;
        if (text is null || IsVerbatim(text))
        {
            return text?.Length ?? 0;
        }
        escaped = Cached(text);
        return escaped.Length;
    }

    /// <summary>Writes the cell <see cref="Measure"/> measured into <paramref name="destination"/>; returns its length.</summary>
    public static int Write(Span<byte> destination, string? text, byte[]? escaped)
    {
        if (escaped is not null)
        {
            escaped.CopyTo(destination);
            return escaped.Length;
        }
        if (text is null)
        {
            return 0;
        }
        System.Text.Ascii.FromUtf16(text, destination, out int written);
        return written;
    }

    private static byte[] Cached(string text) => Escaped.GetValue(text, ThroughCsvHelper);
}
