using PcapInsight.Core.Events;
using Xunit;

namespace PcapInsight.Core.Tests.Events;

/// <summary>The event timeline: every event counted by time in fixed memory, bins widening as the capture goes on.</summary>
public class EventTimelineTests
{
    private const long Ms = 1_000_000;

    [Theory]
    [InlineData(0, 1)]                 // within the first 256 ms: 1 ms bins
    [InlineData(255, 1)]
    [InlineData(256, 2)]               // past them: the bins double
    [InlineData(3_600_000, 16384)]     // an hour: 16.4 s bins (the smallest power of two that spans it in 256)
    public void Add_BinsWidenToSpanTheLatestEvent(long latestMs, long widthMs)
    {
        var tl = new EventTimeline();
        tl.Start(1000 * Ms);
        tl.Add(EventKind.TcpRetransmission, 1000 * Ms);
        tl.Add(EventKind.TcpRetransmission, (1000 + latestMs) * Ms);

        Assert.Equal(widthMs * Ms, tl.WidthNs);
        long[] bins = Assert.Single(tl.Kinds()).Counts;
        Assert.Equal(EventTimeline.Bins, bins.Length);
        Assert.Equal(2, bins.Sum());
        Assert.Equal(latestMs == 0 ? 2 : 1, bins[0]);
        Assert.Equal(latestMs == 0 ? 2 : 1, bins[latestMs / widthMs]);
    }

    [Fact]
    public void Widen_KeepsEveryCount_InTheBinItsTimeFallsIn()
    {
        var tl = new EventTimeline();
        tl.Start(0);
        for (long t = 0; t < 10_000; t++)
        {
            tl.Add(t % 3 == 0 ? EventKind.TcpDupAck : EventKind.TcpOutOfOrder, t * Ms);
        }

        Assert.Equal(64 * Ms, tl.WidthNs);   // 10 s in 256 bins of a power-of-two ms width
        var kinds = tl.Kinds().ToDictionary(k => k.Kind, k => k.Counts);
        Assert.Equal(3334, kinds[EventKind.TcpDupAck].Sum());
        Assert.Equal(6666, kinds[EventKind.TcpOutOfOrder].Sum());
        Assert.Equal(64, kinds[EventKind.TcpDupAck][0] + kinds[EventKind.TcpOutOfOrder][0]);
    }

    /// <summary>
    /// A shard's timeline merged into one a jump of the clock widened 2^33 times (ndpi__discord-rtp.pcap: a frame
    /// stamped 1970, then 2022): its events keep their bin. C# shifts an int by the count modulo 32, which once moved
    /// an event of the first 256 ms 27 bins on (at 3 threads, not at 1).
    /// </summary>
    [Theory]
    [InlineData(1, 0, 0)]
    [InlineData(1, 255, 127)]
    [InlineData(33, 55, 0)]
    [InlineData(34, 255, 0)]
    public void MergeFrom_ANarrowerTimeline_KeepsEachEventInTheBinItsTimeFallsIn(int doublings, long eventMs, int expectedBin)
    {
        long latestNs = (EventTimeline.Bins - 1) * (Ms << doublings);   // the last bin once widened that far
        var wide = new EventTimeline();
        wide.Start(0);
        wide.Add(EventKind.CaptureTimeBackwards, latestNs);
        var narrow = new EventTimeline();
        narrow.Start(0);
        narrow.Add(EventKind.TcpAckUnseenSegment, eventMs * Ms);

        wide.MergeFrom(narrow);

        Assert.Equal(Ms << doublings, wide.WidthNs);
        long[] bins = wide.Kinds().Single(k => k.Kind == EventKind.TcpAckUnseenSegment).Counts;
        Assert.Equal(1, bins[expectedBin]);
        Assert.Equal(1, bins.Sum());
    }

    [Fact]
    public void Collector_CountsSampledEventsToo_WhoseRowsItDoesNotKeep()
    {
        var events = new EventCollector(maxRows: 10);
        events.ClockNs = 5 * Ms;
        for (int i = 0; i < 1000; i++)
        {
            if (events.BuildRow(EventKind.TcpDupAck, 5 * Ms))
            {
                events.Report(new AnalysisEvent(EventKind.TcpDupAck, 5 * Ms, 1, 0, 1, default, 0, default, 0, -1, ""));
            }
        }

        Assert.Equal(10, events.Rows.Count);
        Assert.Equal(1000, events.Timeline.Kinds().Single().Counts.Sum());
    }
}
