using System.Globalization;
using PcapInsight.Core.Analysis;

namespace PcapInsight.Reporting;

/// <summary>
/// The typed values of cells whose CSV text <see cref="Utf8Cells"/> rounds or spells: the number the text says,
/// exactly, without formatting and parsing it (flows.parquet's million rows did both for every cell).
/// </summary>
public static class CellValues
{
    /// <summary>
    /// The milliseconds <see cref="CaptureTime.FormatMilliseconds"/> writes: rounded to the microsecond, half away from
    /// zero. <c>micro / 1000.0</c> is the double nearest the decimal text, as parsing it gives (a division of two exact
    /// doubles is correctly rounded, and so is the parse), and <c>-0</c> stays negative zero.
    /// </summary>
    public static double? Milliseconds(long? durationNs)
    {
        if (durationNs is not { } ns)
        {
            return null;
        }
        if (ns is <= -100_000_000_000_000 or >= 100_000_000_000_000)
        {
            return ParsedText(CaptureTime.FormatMilliseconds, ns);   // the formatter's own rounding of a double there
        }
        double value = ((Math.Abs(ns) + 500) / 1000) / 1000.0;
        return ns < 0 ? -value : value;
    }

    /// <summary>The seconds <see cref="CaptureTime.FormatSeconds"/> writes (six decimals), as <see cref="Milliseconds"/>.</summary>
    public static double Seconds(long durationNs)
    {
        if (durationNs is <= -100_000_000_000_000 or >= 100_000_000_000_000)
        {
            return ParsedText(CaptureTime.FormatSeconds, durationNs);
        }
        double value = ((Math.Abs(durationNs) + 500) / 1000) / 1_000_000.0;
        return durationNs < 0 ? -value : value;
    }

    /// <summary><see cref="Utf8Cells.Flag"/>'s 1 or 0.</summary>
    public static long? Flag(bool? value) => value is { } v ? (v ? 1 : 0) : null;

    private delegate int Format(Span<byte> into, long value);

    private static double ParsedText(Format format, long value)
    {
        Span<byte> text = stackalloc byte[CaptureTime.MaxChars];
        return double.Parse(text[..format(text, value)], NumberStyles.Float, CultureInfo.InvariantCulture);
    }
}
