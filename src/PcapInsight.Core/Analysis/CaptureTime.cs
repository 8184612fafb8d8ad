using System.Globalization;

namespace PcapInsight.Core.Analysis;

/// <summary>Formats capture timestamps as CONTRACT.md says: UTC ISO 8601, microseconds, or nanoseconds where the capture has them.</summary>
public static class CaptureTime
{
    /// <summary><c>2026-11-25T16:23:34.123456Z</c> (6 digits) or <c>...34.123456789Z</c> (9 digits).</summary>
    /// <remarks>
    /// Written digit by digit: every row of flows.csv and events.csv has one or two, and the custom DateTime format
    /// this replaced (kept in the tests as the reference it must equal) cost four strings each.
    /// </remarks>
    public static string ToIso(long timestampNs, int digits)
    {
        long seconds = Math.DivRem(timestampNs, 1_000_000_000L, out long ns);
        if (ns < 0)
        {
            seconds--;
            ns += 1_000_000_000L;
        }
        DateTime utc = DateTime.UnixEpoch.AddSeconds(Math.Clamp(seconds, -62135596800L, 253402300799L));
        int fractionDigits = digits >= 9 ? 9 : 6;
        long fraction = digits >= 9 ? ns : ns / 1000;
        return string.Create(21 + fractionDigits, (utc, fraction, fractionDigits), static (span, state) =>
        {
            (DateTime t, long f, int fd) = state;
            Digits(span[..4], t.Year);
            span[4] = '-';
            Digits(span.Slice(5, 2), t.Month);
            span[7] = '-';
            Digits(span.Slice(8, 2), t.Day);
            span[10] = 'T';
            Digits(span.Slice(11, 2), t.Hour);
            span[13] = ':';
            Digits(span.Slice(14, 2), t.Minute);
            span[16] = ':';
            Digits(span.Slice(17, 2), t.Second);
            span[19] = '.';
            Digits(span.Slice(20, fd), f);
            span[20 + fd] = 'Z';
        });
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
        if (durationNs is <= -100_000_000_000_000 or >= 100_000_000_000_000)
        {
            return (durationNs / 1e6).ToString("0.###", CultureInfo.InvariantCulture);
        }
        long micro = (Math.Abs(durationNs) + 500) / 1000;   // rounded to the microsecond, half away from zero
        long whole = micro / 1000;
        int thousandths = (int)(micro % 1000);
        string sign = durationNs < 0 ? "-" : "";   // "-0" too, as the format writes it
        if (thousandths == 0)
        {
            return sign + whole.ToString(CultureInfo.InvariantCulture);
        }
        string decimals = thousandths % 100 == 0 ? (thousandths / 100).ToString(CultureInfo.InvariantCulture)
            : thousandths % 10 == 0 ? (thousandths / 10).ToString("D2", CultureInfo.InvariantCulture)
            : thousandths.ToString("D3", CultureInfo.InvariantCulture);
        return string.Concat(sign, whole.ToString(CultureInfo.InvariantCulture), ".", decimals);
    }

    /// <summary>Seconds with exactly six decimals, invariant culture (flows.csv's <c>duration_s</c>).</summary>
    /// <remarks>The same text as <c>(ns / 1e9).ToString("0.000000")</c>, made from the integer below 10^14 ns, as <see cref="Milliseconds"/>.</remarks>
    public static string Seconds(long durationNs)
    {
        if (durationNs is <= -100_000_000_000_000 or >= 100_000_000_000_000)
        {
            return (durationNs / 1e9).ToString("0.000000", CultureInfo.InvariantCulture);
        }
        long micro = (Math.Abs(durationNs) + 500) / 1000;
        return string.Concat(durationNs < 0 ? "-" : "", (micro / 1_000_000).ToString(CultureInfo.InvariantCulture), ".",
            (micro % 1_000_000).ToString("D6", CultureInfo.InvariantCulture));
    }

    private static void Digits(Span<char> into, long value)
    {
        for (int i = into.Length - 1; i >= 0; i--)
        {
            into[i] = (char)('0' + (int)(value % 10));
            value /= 10;
        }
    }
}
