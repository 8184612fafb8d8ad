using PcapInsight.Core.Analysis;
using Xunit;

namespace PcapInsight.Core.Tests.Analysis;

/// <summary>The report's timestamps (CONTRACT.md: UTC ISO 8601, 6 or 9 digits), at the edges of what a capture can hold.</summary>
public class CaptureTimeTests
{
    [Theory]
    [InlineData(0L, 6, "1970-01-01T00:00:00.000000Z")]
    [InlineData(1_795_631_326_086_643_000L, 6, "2026-11-25T18:28:46.086643Z")]
    [InlineData(1_795_631_326_086_643_123L, 9, "2026-11-25T18:28:46.086643123Z")]
    [InlineData(-1L, 9, "1969-12-31T23:59:59.999999999Z")]
    [InlineData(long.MaxValue, 9, "2262-04-11T23:47:16.854775807Z")]
    [InlineData(long.MinValue, 6, "1677-09-21T00:12:43.145224Z")]
    public void ToIso_KnownValues(long ns, int digits, string expected) => Assert.Equal(expected, CaptureTime.ToIso(ns, digits));
}
