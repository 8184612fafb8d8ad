using System.Globalization;

namespace PcapInsight.Core.Analysis;

/// <summary>Formats capture timestamps as CONTRACT.md says: UTC ISO 8601, microseconds, or nanoseconds where the capture has them.</summary>
public static class CaptureTime
{
    /// <summary><c>2026-11-25T16:23:34.123456Z</c> (6 digits) or <c>...34.123456789Z</c> (9 digits).</summary>
    public static string ToIso(long timestampNs, int digits)
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

    /// <summary>Milliseconds with up to three decimals, invariant culture.</summary>
    public static string Milliseconds(long durationNs) =>
        (durationNs / 1e6).ToString("0.###", CultureInfo.InvariantCulture);
}
