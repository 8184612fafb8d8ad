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
        int fd = digits >= 9 ? 9 : 6;
        Span<byte> span = into[..(21 + fd)];
        // The rows of a table come in about the order of their times, so most share their second with the row before:
        // its date and time text, made once, is kept on the formatting thread.
        ref SecondText cached = ref t_lastSecond;
        if (cached.SecondPlusOne != seconds + 1)
        {
            cached.SecondPlusOne = seconds + 1;
            DateAndTime(cached.Text, seconds);
        }
        ((ReadOnlySpan<byte>)cached.Text).CopyTo(span);
        long fraction = digits >= 9 ? ns : ns / 1000;   // below 10^9
        span[19] = (byte)'.';
        Digits(span.Slice(20, fd), (uint)fraction);
        span[20 + fd] = (byte)'Z';
        return span.Length;
    }

    [ThreadStatic]
    private static SecondText t_lastSecond;

    /// <summary>A second's <c>yyyy-MM-ddTHH:mm:ss</c>, and which second (plus one: zero is a thread's empty cache).</summary>
    private struct SecondText
    {
        public long SecondPlusOne;
        public DateTimeText Text;
    }

    [System.Runtime.CompilerServices.InlineArray(19)]
    private struct DateTimeText
    {
        private byte _first;
    }

    /// <summary>
    /// Writes <c>yyyy-MM-ddTHH:mm:ss</c> of <paramref name="seconds"/> since the epoch: nanoseconds in a long reach
    /// 1677 to 2262, so the year always has four digits (no clamp to DateTime's years 1 to 9999 is needed).
    /// </summary>
    private static void DateAndTime(Span<byte> span, long seconds)
    {
        // The day and the second of the day from integers, with no DateTime (a little faster, and the same text: the
        // tests hold it to DateTime's on every day a timestamp can hold).
        long days = Math.DivRem(seconds, 86_400, out long secondOfDay);
        if (secondOfDay < 0)
        {
            days--;
            secondOfDay += 86_400;
        }
        (int year, int month, int day) = CivilDate(days);
        Pair(span, 0, year / 100);
        Pair(span, 2, year % 100);
        span[4] = (byte)'-';
        Pair(span, 5, month);
        span[7] = (byte)'-';
        Pair(span, 8, day);
        span[10] = (byte)'T';
        int clock = (int)secondOfDay;
        Pair(span, 11, clock / 3600);
        span[13] = (byte)':';
        Pair(span, 14, clock / 60 % 60);
        span[16] = (byte)':';
        Pair(span, 17, clock % 60);
    }

    /// <summary>
    /// The proleptic Gregorian date <paramref name="daysSinceEpoch"/> days after 1970-01-01: Howard Hinnant's
    /// civil_from_days (eras of 400 years, years starting in March so that the leap day ends one).
    /// </summary>
    internal static (int Year, int Month, int Day) CivilDate(long daysSinceEpoch)
    {
        long z = daysSinceEpoch + 719_468;   // days since 0000-03-01
        long era = (z >= 0 ? z : z - 146_096) / 146_097;
        int dayOfEra = (int)(z - era * 146_097);                                                      // [0, 146096]
        int yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365;   // [0, 399]
        int dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);               // [0, 365], from March
        int shiftedMonth = (5 * dayOfYear + 2) / 153;                                                 // [0, 11], March = 0
        int day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1;
        int month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
        return ((int)(era * 400) + yearOfEra + (month <= 2 ? 1 : 0), month, day);
    }

    // Two digits of 0-99 at once.
    private static void Pair(Span<byte> into, int at, int value)
    {
        into[at] = (byte)('0' + value / 10);
        into[at + 1] = (byte)('0' + value % 10);
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
    /// <remarks>
    /// Below 27 hours the whole milliseconds are under 10^8, so every digit is made with 32-bit arithmetic here: through
    /// <see cref="long.TryFormat(Span{byte}, out int, ReadOnlySpan{char}, IFormatProvider?)"/> the cell took 1.3 to 1.8
    /// times as long, and flows.csv has nine such cells a row (bench/RESULTS.md).
    /// </remarks>
    public static int FormatMilliseconds(Span<byte> into, long durationNs)
    {
        if (durationNs is <= -100_000_000_000_000 or >= 100_000_000_000_000)
        {
            return Reference(into, durationNs / 1e6, "0.###");
        }
        ulong micro = ((ulong)(durationNs < 0 ? -durationNs : durationNs) + 500) / 1000;   // rounded to the microsecond, half away from zero
        uint whole = (uint)(micro / 1000);
        uint thousandths = (uint)(micro - whole * 1000UL);
        int n = Whole(into, durationNs < 0, whole);   // "-0" too, as the format writes it
        if (thousandths == 0)
        {
            return n;
        }
        // Trailing zeros go, as "0.###" drops them.
        uint tenths = thousandths / 100, hundredths = thousandths / 10 % 10, last = thousandths % 10;
        into[n] = (byte)'.';
        into[n + 1] = (byte)('0' + tenths);
        if (hundredths == 0 && last == 0)
        {
            return n + 2;
        }
        into[n + 2] = (byte)('0' + hundredths);
        if (last == 0)
        {
            return n + 3;
        }
        into[n + 3] = (byte)('0' + last);
        return n + 4;
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
        ulong micro = ((ulong)(durationNs < 0 ? -durationNs : durationNs) + 500) / 1000;
        uint whole = (uint)(micro / 1_000_000);
        int n = Whole(into, durationNs < 0, whole);
        into[n++] = (byte)'.';
        Digits(into.Slice(n, 6), (uint)(micro - whole * 1_000_000UL));
        return n + 6;
    }

    // The sign, then the digits of a whole part below 10^9 (below 27 hours: milliseconds under 10^8, seconds under 10^5).
    private static int Whole(Span<byte> into, bool negative, uint value)
    {
        int n = 0;
        if (negative)
        {
            into[n++] = (byte)'-';
        }
        int length = 1;
        for (uint rest = value; rest >= 10; rest /= 10)
        {
            length++;
        }
        Digits(into.Slice(n, length), value);
        return n + length;
    }

    private static int Reference(Span<byte> into, double value, string format)
    {
        // Beyond 27 hours (10^14 ns): at most 15 digits before the point, so it fits in MaxChars.
        value.TryFormat(into, out int written, format, CultureInfo.InvariantCulture);
        return written;
    }

    // The last into.Length digits of a value below 10^9 (32-bit division: a fraction's six or nine digits).
    private static void Digits(Span<byte> into, uint value)
    {
        for (int i = into.Length - 1; i >= 0; i--)
        {
            into[i] = (byte)('0' + (int)(value % 10));
            value /= 10;
        }
    }
}
