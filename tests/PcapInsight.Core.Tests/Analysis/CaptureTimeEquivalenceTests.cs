using System.Globalization;
using PcapInsight.Core.Analysis;
using Xunit;

namespace PcapInsight.Core.Tests.Analysis;

/// <summary>
/// The fast formatters of capture times and durations give, character for character, what the .NET formats they
/// replaced give (the references below): every CSV cell written before them stays the same. The UTF-8 overloads,
/// which write the CSV and Parquet cells, give the same text as bytes.
/// </summary>
public class CaptureTimeEquivalenceTests
{
    private static string ReferenceIso(long timestampNs, int digits)
    {
        long seconds = Math.DivRem(timestampNs, 1_000_000_000L, out long ns);
        if (ns < 0)
        {
            seconds--;
            ns += 1_000_000_000L;
        }
        DateTime utc = DateTime.UnixEpoch.AddSeconds(Math.Clamp(seconds, -62135596800L, 253402300799L));
        string fraction = digits >= 9
            ? ns.ToString("D9", CultureInfo.InvariantCulture)
            : (ns / 1000).ToString("D6", CultureInfo.InvariantCulture);
        return utc.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + "." + fraction + "Z";
    }

    private static string ReferenceMilliseconds(long ns) => (ns / 1e6).ToString("0.###", CultureInfo.InvariantCulture);

    private static string ReferenceSeconds(long ns) => (ns / 1e9).ToString("0.000000", CultureInfo.InvariantCulture);

    private static string Utf8(Func<byte[], int> format)
    {
        byte[] utf8 = new byte[CaptureTime.MaxChars];
        return System.Text.Encoding.ASCII.GetString(utf8, 0, format(utf8));
    }

    private static IEnumerable<long> Values(int seed)
    {
        long[] edges =
        [
            0, 1, -1, 499, 500, 501, -499, -500, -501, 999, 1000, 1499, 1500, 1501, 999_499, 999_500, 999_999, 1_000_000,
            1_000_500, 1_234_567_890, 99_999_999_999_999, 99_999_999_999_500, -99_999_999_999_500, 100_000_000_000_000,
            123_456_789_012_345_678, long.MaxValue, long.MinValue, long.MinValue + 1, 1_700_000_000_123_456_789,
            -9_223_372_036_854_775_000, 9_223_372_036_854_775_500,
        ];
        foreach (long e in edges)
        {
            yield return e;
        }
        var random = new Random(seed);
        for (int i = 0; i < 200_000; i++)
        {
            // Every magnitude from nanoseconds to centuries, and midpoints (…500) where rounding could differ.
            long magnitude = (long)Math.Pow(10, random.Next(0, 19));
            long v = random.NextInt64(0, magnitude) * (random.Next(2) == 0 ? 1 : -1);
            yield return random.Next(4) == 0 ? v / 1000 * 1000 + 500 : v;
        }
    }

    [Fact]
    public void Milliseconds_IsTheReferenceFormatToTheCharacter()
    {
        foreach (long ns in Values(seed: 1))
        {
            string reference = ReferenceMilliseconds(ns);
            Assert.True(reference == CaptureTime.Milliseconds(ns), $"{ns} ns: {reference} against {CaptureTime.Milliseconds(ns)}");
            string utf8 = Utf8(b => CaptureTime.FormatMilliseconds(b, ns));
            Assert.True(reference == utf8, $"{ns} ns: {reference} against UTF-8 {utf8}");
        }
    }

    [Fact]
    public void Seconds_IsTheReferenceFormatToTheCharacter()
    {
        foreach (long ns in Values(seed: 2))
        {
            string reference = ReferenceSeconds(ns);
            Assert.True(reference == CaptureTime.Seconds(ns), $"{ns} ns: {reference} against {CaptureTime.Seconds(ns)}");
            string utf8 = Utf8(b => CaptureTime.FormatSeconds(b, ns));
            Assert.True(reference == utf8, $"{ns} ns: {reference} against UTF-8 {utf8}");
        }
    }

    [Fact]
    public void ToIso_EveryDayATimestampCanHold_IsTheReferenceDate()
    {
        // The date is computed from the day number (CivilDate), not by DateTime: every day that nanoseconds since the
        // epoch in a long reach (1677-09-21 to 2262-04-11), each at its first and last second and at a second that
        // walks through the day, and the ends of that range.
        long firstDay = long.MinValue / 1_000_000_000L / 86_400 + 1, lastDay = long.MaxValue / 1_000_000_000L / 86_400 - 1;
        int checkedDays = 0;
        for (long day = firstDay; day <= lastDay; day++)
        {
            foreach (long s in (ReadOnlySpan<long>)[day * 86_400, day * 86_400 + (day * 7919 % 86_400 + 86_400) % 86_400, day * 86_400 + 86_399])
            {
                long ns = s * 1_000_000_000L + 123_456_789;
                string reference = ReferenceIso(ns, 9);
                string utf8 = Utf8(b => CaptureTime.FormatIso(b, ns, 9));
                if (reference != utf8)
                {
                    Assert.Fail($"{ns} ns: {reference} against UTF-8 {utf8}");
                }
            }
            checkedDays++;
        }
        Assert.Equal(213_501, checkedDays);
        Assert.Equal("1677-09-21T00:12:43.145224192Z", CaptureTime.ToIso(long.MinValue, 9));
        Assert.Equal("2262-04-11T23:47:16.854775807Z", CaptureTime.ToIso(long.MaxValue, 9));
        Assert.Equal("1969-12-31T23:59:59.999999999Z", CaptureTime.ToIso(-1, 9));
        Assert.Equal("1970-01-01T00:00:00.000000Z", CaptureTime.ToIso(0, 6));
        Assert.Equal("2000-02-29T12:00:00.000000Z", CaptureTime.ToIso(951_825_600_000_000_000, 6));
        Assert.Equal("2100-03-01T00:00:00.000000Z", CaptureTime.ToIso(4_107_542_400_000_000_000, 6));   // 2100: no leap day
    }

    [Fact]
    public void ToIso_TimesInOrder_ShareTheirSecondsText_AndAreTheReference()
    {
        // A table's rows come about in time order, and the text of a second is kept for the next cell of that second
        // (on the formatting thread): steps within a second, across a second, a day (2023-12-30 to 31, and 2000's leap
        // day into March) and the epoch, in 6 and 9 digits alternately, and back in time.
        foreach (long start in (ReadOnlySpan<long>)[1_703_980_798_500_000_000, -2_000_000_000, 951_868_799_000_000_000])
        {
            for (int step = 0; step < 40; step++)
            {
                long ns = start + step * 111_111_111L * (step % 7 == 6 ? -1 : 1);
                int digits = step % 2 == 0 ? 6 : 9;
                string utf8 = Utf8(b => CaptureTime.FormatIso(b, ns, digits));
                Assert.True(ReferenceIso(ns, digits) == utf8, $"{ns} ns: {ReferenceIso(ns, digits)} against UTF-8 {utf8}");
            }
        }
    }

    [Theory]
    [InlineData(6)]
    [InlineData(9)]
    public void ToIso_IsTheReferenceFormatToTheCharacter(int digits)
    {
        foreach (long ns in Values(seed: digits))
        {
            string reference = ReferenceIso(ns, digits);
            Assert.True(reference == CaptureTime.ToIso(ns, digits), $"{ns} ns: {reference} against {CaptureTime.ToIso(ns, digits)}");
            string utf8 = Utf8(b => CaptureTime.FormatIso(b, ns, digits));
            Assert.True(reference == utf8, $"{ns} ns: {reference} against UTF-8 {utf8}");
        }
    }
}
