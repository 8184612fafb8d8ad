using System.Globalization;
using System.Text;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Decoding;

namespace PcapInsight.Reporting;

/// <summary>
/// Formats a cell as UTF-8 into <paramref name="destination"/> (at least <see cref="Utf8Cells.MaxBytes"/> bytes) and
/// returns its length, 0 for an empty cell. The text never needs quoting or escaping (see <see cref="Utf8Cells"/>).
/// </summary>
public delegate int Utf8CellFormatter<TRow>(Span<byte> destination, TRow row);

/// <summary>
/// Cells that are numbers, capture times, durations, addresses or one of our own fixed texts: their text is ASCII
/// digits, letters, '.', ':', '-' and '_' (and inside our texts '+' and ';'), led by a letter, a digit, ':' (an IPv6
/// address) or the '-' of a negative number, so RFC 4180 never quotes it and a spreadsheet cannot take it for a
/// formula. Such a column is written straight into a buffer of rows (<see cref="Utf8CsvTable"/>), not through a
/// general CSV writer's escaping.
/// </summary>
public static class Utf8Cells
{
    /// <summary>The longest cell: an IPv6 address (45), a capture time (32) or a 64-bit number (20).</summary>
    public const int MaxBytes = 48;

    public static int Number(Span<byte> destination, long value)
    {
        value.TryFormat(destination, out int written, default, CultureInfo.InvariantCulture);
        return written;
    }

    public static int Number(Span<byte> destination, long? value) => value is { } v ? Number(destination, v) : 0;

    // Times, durations and addresses are formatted as UTF-8 straight into the row's buffer. Through a UTF-16 text and
    // Ascii.FromUtf16, flows.csv of a million flows spent nearly a third of its formatting threads' CPU in the
    // narrowing and the profile counters of its instrumented tier (bench/RESULTS.md, 2026-11-27).

    public static int Time(Span<byte> destination, long timestampNs, int digits) =>
        CaptureTime.FormatIso(destination, timestampNs, digits);

    public static int Milliseconds(Span<byte> destination, long? durationNs) =>
        durationNs is { } ns ? CaptureTime.FormatMilliseconds(destination, ns) : 0;

    public static int Seconds(Span<byte> destination, long durationNs) => CaptureTime.FormatSeconds(destination, durationNs);

    public static int Address(Span<byte> destination, IpAddr address)
    {
        address.TryFormat(destination, out int written);
        return written;
    }

    /// <summary><c>1</c>, <c>0</c>, or empty.</summary>
    public static int Flag(Span<byte> destination, bool? value)
    {
        if (value is not { } v)
        {
            return 0;
        }
        destination[0] = v ? (byte)'1' : (byte)'0';
        return 1;
    }

    /// <summary>One of our fixed names (a protocol, a close reason): ASCII letters, digits and '_'.</summary>
    public static int Name(Span<byte> destination, string name) => Narrow(name, destination);

    /// <summary>
    /// One of our own texts or empty: udp.csv's <c>rtp+custom</c> and <c>0x1a2b3c4d;0x5e6f7a8b</c> besides plain names.
    /// A '+' or ';' inside a cell needs no quoting (RFC 4180 quotes only commas, quotes and line breaks), and the
    /// text starts with a letter or a digit, so a spreadsheet does not take it for a formula.
    /// </summary>
    public static int Text(Span<byte> destination, string? text) => text is null ? 0 : Narrow(text, destination);

    /// <summary>A number with three decimals (<c>0.000</c>, invariant), or empty.</summary>
    public static int ThreeDecimals(Span<byte> destination, double? value)
    {
        if (value is not { } v)
        {
            return 0;
        }
        v.TryFormat(destination, out int written, "0.000", CultureInfo.InvariantCulture);
        return written;
    }

    /// <summary>Whether <paramref name="text"/> is a cell these formatters may write: nothing to quote, nothing a spreadsheet would run.</summary>
    public static bool IsPlain(string text) =>
        text.Length <= MaxBytes && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or ':' or '-' or '_')
        && (text.Length == 0 || char.IsAsciiLetterOrDigit(text[0]) || text[0] == ':'
            || (text[0] == '-' && text.Length > 1 && char.IsAsciiDigit(text[1])));

    private static int Narrow(ReadOnlySpan<char> text, Span<byte> destination)
    {
        Ascii.FromUtf16(text, destination, out int written);
        return written;
    }
}
