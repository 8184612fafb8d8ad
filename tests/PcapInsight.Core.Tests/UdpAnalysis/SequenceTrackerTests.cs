using PcapInsight.Core.UdpAnalysis;
using Xunit;

namespace PcapInsight.Core.Tests.UdpAnalysis;

/// <summary>Sequence numbers in, loss / duplicates / reordering out, across the wrap.</summary>
public class SequenceTrackerTests
{
    public static TheoryData<string, ulong[], long, long, long> Cases => new()
    {
        { "in order", [1, 2, 3, 4], 0, 0, 0 },
        { "a gap", [1, 2, 5, 6], 2, 0, 0 },
        { "a duplicate", [1, 2, 2, 3], 0, 1, 0 },
        { "a swap", [1, 3, 2, 4], 0, 0, 1 },
        { "across the 16-bit wrap", [65534, 65535, 0, 2], 1, 0, 0 },
        { "a late one across the wrap", [65535, 1, 0, 2], 0, 0, 1 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Figures(string why, ulong[] numbers, long lost, long duplicates, long reordered)
    {
        var tracker = new SequenceTracker(16);
        foreach (ulong n in numbers)
        {
            tracker.Add(n);
        }

        Assert.True((lost, duplicates, reordered) == (tracker.Lost, tracker.Duplicates, tracker.Reordered),
            $"{why}: lost {tracker.Lost}, duplicates {tracker.Duplicates}, reordered {tracker.Reordered}");
    }

    [Theory]
    [InlineData("0:4", "be", 0, 4)]
    [InlineData("5004=4:8:ascii", "ascii", 4, 8)]
    [InlineData("2:2:le", "le", 2, 2)]
    public void Spec_Parses(string text, string format, int offset, int width)
    {
        UdpSequenceSpec spec = UdpSequenceSpec.Parse(text, out string? error)!;

        Assert.Null(error);
        Assert.Equal((format, offset, width), (spec.Format, spec.Offset, spec.Width));
    }

    [Theory]
    [InlineData("4")]
    [InlineData("0:9")]
    [InlineData("0:4:xx")]
    [InlineData("0=0:4")]
    public void Spec_RefusesNonsense(string text) => Assert.Null(UdpSequenceSpec.Parse(text, out _));
}
