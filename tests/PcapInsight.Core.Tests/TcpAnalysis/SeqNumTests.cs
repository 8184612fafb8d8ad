using PcapInsight.Core.TcpAnalysis;
using Xunit;

namespace PcapInsight.Core.Tests.TcpAnalysis;

public class SeqNumTests
{
    [Theory]
    [InlineData(100u, 200u, 100)]
    [InlineData(200u, 100u, -100)]
    [InlineData(0xFFFFFFF0u, 0x10u, 0x20)]        // across the wrap
    [InlineData(0x10u, 0xFFFFFFF0u, -0x20)]
    [InlineData(0u, 0x7FFFFFFFu, int.MaxValue)]
    public void DistanceTo_IsSignedModulo2To32(uint from, uint to, int expected) =>
        Assert.Equal(expected, new SeqNum(from).DistanceTo(new SeqNum(to)));

    [Fact]
    public void Operators_CompareAcrossTheWrap()
    {
        var before = new SeqNum(0xFFFFFF00);
        var after = before + 0x200;

        Assert.Equal(0x100u, after.Value);
        Assert.True(before < after);
        Assert.True(after > before);
        var same = new SeqNum(before.Value);
        Assert.True(before <= same && before >= same);
        Assert.False(after < before);
    }
}
