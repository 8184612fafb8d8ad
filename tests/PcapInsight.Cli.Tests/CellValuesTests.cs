using System.Globalization;
using PcapInsight.Core.Analysis;
using PcapInsight.Reporting;
using Xunit;

namespace PcapInsight.Cli.Tests;

/// <summary>
/// flows.parquet's decimal cells come from <see cref="CellValues"/>, not from parsing their CSV text: each must be the
/// double the text says, bit for bit, at the edges of the formatters' rounding and ranges too (the samples hold none
/// of these: negative durations, half microseconds, beyond 10^14 ns).
/// </summary>
public class CellValuesTests
{
    public static TheoryData<long> Durations() =>
    [
        0, 1, 499, 500, 501, 999, 1_000, 1_500, 123_456_789, 40_000_000, 200_000_499, 200_000_500,
        -1, -499, -500, -501, -1_000, -123_456_789,
        99_999_999_999_999, 100_000_000_000_000, 100_000_000_000_001, 987_654_321_012_345_678, long.MaxValue,
        -99_999_999_999_999, -100_000_000_000_000, -987_654_321_012_345_678, long.MinValue + 1,
    ];

    [Theory]
    [MemberData(nameof(Durations))]
    public void Milliseconds_IsTheNumberItsTextSays(long ns)
    {
        Span<byte> text = stackalloc byte[CaptureTime.MaxChars];
        double parsed = double.Parse(text[..CaptureTime.FormatMilliseconds(text, ns)], NumberStyles.Float, CultureInfo.InvariantCulture);

        Assert.Equal(BitConverter.DoubleToInt64Bits(parsed), BitConverter.DoubleToInt64Bits(CellValues.Milliseconds(ns)!.Value));
    }

    [Theory]
    [MemberData(nameof(Durations))]
    public void Seconds_IsTheNumberItsTextSays(long ns)
    {
        Span<byte> text = stackalloc byte[CaptureTime.MaxChars];
        double parsed = double.Parse(text[..CaptureTime.FormatSeconds(text, ns)], NumberStyles.Float, CultureInfo.InvariantCulture);

        Assert.Equal(BitConverter.DoubleToInt64Bits(parsed), BitConverter.DoubleToInt64Bits(CellValues.Seconds(ns)));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData(true, 1L)]
    [InlineData(false, 0L)]
    public void Flag_IsItsCell(bool? flag, long? expected)
    {
        Span<byte> text = stackalloc byte[Utf8Cells.MaxBytes];
        int length = Utf8Cells.Flag(text, flag);

        Assert.Equal(expected, CellValues.Flag(flag));
        Assert.Equal(expected?.ToString(CultureInfo.InvariantCulture) ?? "", System.Text.Encoding.ASCII.GetString(text[..length]));
        Assert.Null(CellValues.Milliseconds(null));
    }
}
