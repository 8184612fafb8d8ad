using System.Globalization;
using System.Text;

namespace PcapInsight.Core.Analysis;

/// <summary>Formats capture timestamps as CONTRACT.md says: UTC ISO 8601, microseconds, or nanoseconds where the capture has them.</summary>
public static class CaptureTime
{
    /// <summary>The most characters (bytes) <see cref="FormatIso"/>, <see cref="FormatMilliseconds"/> or <see cref="FormatSeconds"/> writes.</summary>
    public const int MaxChars = 32;

    /// <summary><c>2026-11-25T16:23:34.123456Z</c> (6 digits) or <c>...34.123456789Z</c> (9 digits).</summary>
    /// <remarks>
    /// Written digit by digit: every row of flows.csv and events.csv has one or two, and the custom DateTime format
    /// this replaced (kept in the tests as the reference it must equal) cost four strings each.
    /// </remarks>
    public static string ToIso(long timestampNs, int digits)
    {
        Span<byte> text = stackalloc byte[MaxChars];
        return Encoding.ASCII.GetString(text[..FormatIso(text, timestampNs, digits)]);
    }

    /// <summary>
    /// <see cref="ToIso"/> as UTF-8 (ASCII) into <paramref name="into"/> (at least <see cref="MaxChars"/> long), for a CSV
    /// or Parquet writer's buffer; returns the length.
    /// </summary>
    /// <remarks>
    /// Each text of this class is made as ASCII bytes, what the CSV and Parquet writers put in their buffers, and its
    /// string (events, report.html, summary.json) decoded from them: flows.csv has nine such cells a row, and
    /// narrowing a UTF-16 text for each, with the profile counters of that code's instrumented tier, took nearly a
    /// third of its formatting threads' CPU (bench/RESULTS.md).
    /// </remarks>
    public static int FormatIso(Span<byte> into, long timestampNs, int digits)
    {
        long seconds = Math.DivRem(timestampNs, 1_000_000_000L, out long ns);
        if (ns < 0)
        {
            seconds--;
            ns += 1_000_000_000L;
        }
        DateTime t = DateTime.UnixEpoch.AddSeconds(Math.Clamp(seconds, -62135596800L, 253402300799L));
        (int year, int month, int day) = t;   // the date computed once, not once a part
        int fd = digits >= 9 ? 9 : 6;
        long fraction = digits >= 9 ? ns : ns / 1000;
        Span<byte> span = into[..(21 + fd)];
        Digits(span[..4], year);
        span[4] = (byte)'-';
        Digits(span.Slice(5, 2), month);
        span[7] = (byte)'-';
        Digits(span.Slice(8, 2), day);
        span[10] = (byte)'T';
        Digits(span.Slice(11, 2), t.Hour);
        span[13] = (byte)':';
        Digits(span.Slice(14, 2), t.Minute);
        span[16] = (byte)':';
        Digits(span.Slice(17, 2), t.Second);
        span[19] = (byte)'.';
        Digits(span.Slice(20, fd), fraction);
        span[20 + fd] = (byte)'Z';
        return span.Length;
    }

    /// <summary>Milliseconds with up to three decimals, invariant culture.</summary>
    /// <remarks>
    /// The same text as <c>(ns / 1e6).ToString("0.###")</c> (the reference in the tests), made from the integer: a
    /// custom numeric format is the slowest way .NET formats a number, and flows.csv has seven such cells a row. A
    /// double keeps 15 significant digits for a custom format, so below 10^14 ns (27 hours) it rounds the exact
    /// value, half away from zero, as the integer does; longer durations take the reference path.
    /// </remarks>
    public static string Milliseconds(long durationNs)
    {
        Span<byte> text = stackalloc byte[MaxChars];
        return Encoding.ASCII.GetString(text[..FormatMilliseconds(text, durationNs)]);
    }

    /// <summary><see cref="Milliseconds"/> as UTF-8 (ASCII) into <paramref name="into"/> (at least <see cref="MaxChars"/> long); returns the length.</summary>
    public static int FormatMilliseconds(Span<byte> into, long durationNs)
    {
        if (durationNs is <= -100_000_000_000_000 or >= 100_000_000_000_000)
        {
            return Reference(into, durationNs / 1e6, "0.###");
        }
        long micro = (Math.Abs(durationNs) + 500) / 1000;   // rounded to the microsecond, half away from zero
        int n = Whole(into, durationNs < 0, micro / 1000);   // "-0" too, as the format writes it
        int thousandths = (int)(micro % 1000);
        if (thousandths == 0)
        {
            return n;
        }
        into[n++] = (byte)'.';
        // Trailing zeros go, as "0.###" drops them.
        int places = thousandths % 100 == 0 ? 1 : thousandths % 10 == 0 ? 2 : 3;
        Digits(into.Slice(n, places), places == 1 ? thousandths / 100 : places == 2 ? thousandths / 10 : thousandths);
        return n + places;
    }

    /// <summary>Seconds with exactly six decimals, invariant culture (flows.csv's <c>duration_s</c>).</summary>
    /// <remarks>The same text as <c>(ns / 1e9).ToString("0.000000")</c>, made from the integer below 10^14 ns, as <see cref="Milliseconds"/>.</remarks>
    public static string Seconds(long durationNs)
    {
        Span<byte> text = stackalloc byte[MaxChars];
        return Encoding.ASCII.GetString(text[..FormatSeconds(text, durationNs)]);
    }

    /// <summary><see cref="Seconds"/> as UTF-8 (ASCII) into <paramref name="into"/> (at least <see cref="MaxChars"/> long); returns the length.</summary>
    public static int FormatSeconds(Span<byte> into, long durationNs)
    {
        if (durationNs is <= -100_000_000_000_000 or >= 100_000_000_000_000)
        {
            return Reference(into, durationNs / 1e9, "0.000000");
        }
        long micro = (Math.Abs(durationNs) + 500) / 1000;
        int n = Whole(into, durationNs < 0, micro / 1_000_000);
        into[n++] = (byte)'.';
        Digits(into.Slice(n, 6), micro % 1_000_000);
        return n + 6;
    }

    private static int Whole(Span<byte> into, bool negative, long value)
    {
        int n = 0;
        if (negative)
        {
            into[n++] = (byte)'-';
        }
        value.TryFormat(into[n..], out int written, default, CultureInfo.InvariantCulture);
        return n + written;
    }

    private static int Reference(Span<byte> into, double value, string format)
    {
        // Beyond 27 hours (10^14 ns): at most 15 digits before the point, so it fits in MaxChars.
        value.TryFormat(into, out int written, format, CultureInfo.InvariantCulture);
        return written;
    }

    private static void Digits(Span<byte> into, long value)
    {
        for (int i = into.Length - 1; i >= 0; i--)
        {
            into[i] = (byte)('0' + (int)(value % 10));
            value /= 10;
        }
    }
}
