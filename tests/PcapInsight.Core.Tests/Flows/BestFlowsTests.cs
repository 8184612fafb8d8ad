using PcapInsight.Core.Flows;
using Xunit;

namespace PcapInsight.Core.Tests.Flows;

public class BestFlowsTests
{
    private static FlowSummary Flow(int id, long bytes, bool trouble) => new()
    {
        Id = id,
        Protocol = 6,
        BytesC2S = bytes,
        Tcp = new TcpSummary { C2S = new TcpDirectionSummary(trouble ? 1 : 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) },
    };

    [Theory]
    [InlineData(10, 1)]          // fewer than it keeps: all of them
    [InlineData(5_000, 2)]       // many, with ties on bytes: the lower id wins
    [InlineData(20_000, 3)]
    public void Offer_AnyOrder_KeepsWhatAFullSortPutsFirst(int count, int seed)
    {
        var random = new Random(seed);
        var flows = Enumerable.Range(1, count).Select(id => Flow(id, random.Next(50) * 100, random.Next(20) == 0)).ToList();
        var best = new BestFlows();

        foreach (FlowSummary f in flows.OrderBy(_ => random.Next()))
        {
            best.Offer(f);
        }

        var expected = flows.OrderByDescending(f => f.HasTrouble).ThenByDescending(f => f.BytesC2S).ThenBy(f => f.Id)
            .Take(BestFlows.Capacity).Select(f => f.Id).Order();
        Assert.Equal(expected, best.Items.Select(f => f.Id).Order());
    }

    [Fact]
    public void HasTrouble_RetransmissionsZeroWindowsOrNagleStalls_AndNothingElse()
    {
        static FlowSummary With(TcpDirectionSummary d) => new() { Tcp = new TcpSummary { S2C = d } };

        Assert.True(With(new TcpDirectionSummary(Retransmissions: 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)).HasTrouble);
        Assert.True(With(new TcpDirectionSummary(0, ZeroWindowEpisodes: 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)).HasTrouble);
        Assert.True(With(new TcpDirectionSummary(0, 0, 0, 0, 0, NagleStalls: 1, 0, 0, 0, 0, 0, 0)).HasTrouble);
        Assert.False(With(new TcpDirectionSummary(0, 0, 0, ZeroWindowProbes: 3, WindowFull: 2, 0, 0, MaxBytesInFlight: 9, 0, 0, 0, 0)).HasTrouble);
        Assert.False(new FlowSummary { Protocol = 17 }.HasTrouble);
    }
}
