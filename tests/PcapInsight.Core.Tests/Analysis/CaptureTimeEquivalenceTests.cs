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
