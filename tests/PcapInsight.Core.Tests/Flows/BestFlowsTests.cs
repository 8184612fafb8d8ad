using PcapInsight.Core.Flows;
using PcapInsight.TestKit;
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

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    public void OfferAFlow_KeepsWhatOfferingItsSummaryKeeps(int capacity)
    {
        // A spool offers the released flow itself and makes a summary only for one it keeps: the ranking of a flow
        // must be the ranking of its summary (trouble, bytes, id).
        List<Flow> flows = new[] { "tcp-basic.pcap", "bulk-loss-reorder.client.pcap", "zero-window.server.pcap", "nagle-delack.client.pcap" }
            .SelectMany(s => Captures.Analyze(RepoPaths.Sample(s)).Flows).ToList();
        Assert.Contains(flows, f => FlowSummary.Of(f).HasTrouble);
        var byFlow = new BestFlows(capacity);
        var bySummary = new BestFlows(capacity);

        foreach (Flow f in flows)
        {
            byFlow.Offer(f);
            bySummary.Offer(FlowSummary.Of(f));
        }

        Assert.Equal(bySummary.Items.OrderBy(f => f.Id), byFlow.Items.OrderBy(f => f.Id));
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
