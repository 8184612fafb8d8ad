using PcapInsight.Core.Decoding;
using PcapInsight.Core.Events;
using Xunit;

namespace PcapInsight.Core.Tests.Events;

/// <summary>
/// The kept rows of the kinds logged in full, against their definition: every reported row ranked by time, then
/// flow, then the order the flow reported them (rows tied to no flow by their content, here their frame), the first
/// <c>maxRows</c> kept. The collector merges the rows still in order with the few out of order rather than sorting
/// them all; the shapes here are those that path meets: in order, nearly in order (a row dated back), many dated back,
/// ties in time, and rows asked for, then more reported, then asked for again.
/// </summary>
public class EventCollectorRowsTests
{
    private const long T0 = 1_700_000_000_000_000_000, Ms = 1_000_000;

    public static TheoryData<int, string, int, int> Cases => new()
    {
        // seed, shape, events, row limit
        { 1, "in order", 3_000, 1_000_000 },
        { 2, "nearly", 5_000, 1_000_000 },
        { 3, "nearly", 5_000, 700 },          // the limit binds: a row dated back can still be among the first
        { 4, "many back", 4_000, 1_000_000 },
        { 5, "many back", 4_000, 1_500 },     // the log is sorted and cut at twice the limit while reported, too
        { 6, "ties", 3_000, 1_000_000 },
        { 7, "reversed", 2_000, 1_000_000 },
        // The limit binds from the start: rows ranked after the limit's last are dropped as they come.
        { 8, "in order", 5_000, 300 },
        { 9, "ties", 5_000, 300 },
        { 10, "reversed", 3_000, 200 },       // every row ranks before the last: the log is cut at twice the limit
        { 11, "nearly", 20_000, 1 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Rows_AreTheFirstByRank(int seed, string shape, int events, int maxRows)
    {
        var random = new Random(seed);
        EventKind[] logged = [EventKind.TcpRetransmission, EventKind.TcpReset, EventKind.CaptureTruncated];
        Assert.All(logged, k => Assert.Equal(EventPolicy.LogAll, EventCatalog.Get(k).Policy));
        var collector = new EventCollector(maxRows);
        collector.Timeline.Start(T0);
        var reported = new List<AnalysisEvent>();
        long clock = T0;
        for (int i = 0; i < events; i++)
        {
            clock += shape == "ties" ? random.Next(0, 2) * Ms : Ms;
            long time = shape switch
            {
                "nearly" => random.Next(100) == 0 ? clock - random.Next(1, 300) * Ms : clock,
                "many back" => random.Next(3) == 0 ? clock - random.Next(1, 3000) * Ms : clock,
                "reversed" => T0 + (events - i) * Ms,
                _ => clock,
            };
            EventKind kind = logged[random.Next(logged.Length)];
            int flow = kind == EventKind.CaptureTruncated ? 0 : random.Next(1, 40);
            var e = new AnalysisEvent(kind, time, i + 1, 0, flow, IpAddr.Parse("192.0.2.1"), (ushort)flow, IpAddr.Parse("198.51.100.1"), 80, -1, $"n={i}");
            collector.ClockNs = clock;
            collector.Report(e);
            reported.Add(e);
            if (i == events / 2)
            {
                AssertFirstByRank(reported, collector, maxRows);   // asked halfway: the log must still hold every row after
            }
        }

        AssertFirstByRank(reported, collector, maxRows);
        AssertFirstByRank(reported, collector, maxRows);   // and asked again with nothing new
    }

    /// <summary>
    /// The rows are read from where the collector holds them, not copied: rows taken before more were reported are
    /// refused rather than read from a log that has changed since, and the rows taken again are right.
    /// </summary>
    [Fact]
    public void Rows_TakenBeforeAChange_AreNotReadAfterIt()
    {
        var collector = new EventCollector(100);
        collector.Timeline.Start(T0);
        var reported = new List<AnalysisEvent>();
        for (int i = 0; i < 600; i++)
        {
            // every tenth dated back, so the rows come from the log and from those out of order
            var e = new AnalysisEvent(EventKind.TcpReset, T0 + (i % 10 == 9 ? i - 50 : i) * Ms, i + 1, 0, 1 + i % 3, IpAddr.Parse("192.0.2.1"), 1, IpAddr.Parse("198.51.100.1"), 80, -1, $"n={i}");
            collector.Report(e);
            reported.Add(e);
        }
        IReadOnlyList<AnalysisEvent> taken = collector.Rows;
        AnalysisEvent first = taken[0];
        Assert.Same(taken, collector.Rows);   // nothing new: the same rows

        collector.Report(first with { TimestampNs = T0 - Ms, Frame = 1_000 });

        Assert.Throws<InvalidOperationException>(() => taken[0]);
        Assert.Throws<InvalidOperationException>(() => taken.Count);
        Assert.Throws<InvalidOperationException>(() => taken.First());
        reported.Add(first with { TimestampNs = T0 - Ms, Frame = 1_000 });
        AssertFirstByRank(reported, collector, 100);
    }

    /// <summary>
    /// Once the log holds the limit's worth, a row ranked after the last of them can never be kept: it is counted, not
    /// held (a SYN scan's two million resets held two million candidates and sorted them), and a row dated later is
    /// not even built (<see cref="EventCollector.WouldKeep"/>). A late row dated back before the cutoff still is.
    /// </summary>
    [Fact]
    public void LoggedRowsPastTheLimit_AreCountedNotHeld_NorBuilt()
    {
        var collector = new EventCollector(1_000);
        collector.Timeline.Start(T0);
        var reported = new List<AnalysisEvent>();
        for (int i = 0; i < 100_000; i++)
        {
            long time = T0 + i * Ms;
            Assert.Equal(i < 1_000, collector.WouldKeep(EventKind.TcpReset, time));
            var e = new AnalysisEvent(EventKind.TcpReset, time, i + 1, 0, 1 + i % 7, IpAddr.Parse("192.0.2.1"), 1, IpAddr.Parse("198.51.100.1"), 80, -1, "");
            collector.ClockNs = time;
            collector.Report(e);
            reported.Add(e);
            Assert.True(collector.LoggedCandidates <= 1_000, $"{collector.LoggedCandidates} candidates after {i + 1} rows");
        }

        Assert.Equal(100_000, collector.Count(EventKind.TcpReset));
        AssertFirstByRank(reported, collector, 1_000);
        Assert.True(collector.WouldKeep(EventKind.TcpReset, T0 + 998 * Ms));   // before the cutoff's time
        Assert.True(collector.WouldKeep(EventKind.TcpReset, T0 + 999 * Ms));   // at it: Report decides by rank

        var late = new AnalysisEvent(EventKind.TcpReset, T0 + 500 * Ms, 200_000, 0, 1, IpAddr.Parse("192.0.2.1"), 1, IpAddr.Parse("198.51.100.1"), 80, -1, "late");
        collector.Report(late);
        reported.Add(late);
        AssertFirstByRank(reported, collector, 1_000);
        Assert.Contains(late, collector.Rows);
    }

    /// <summary>
    /// The rows out of rank order are sorted by their places, not as copies: a capture whose files go back in time
    /// (mixed.pcapng) has a hundred thousand of them, and copies of their 112-byte entries grew a list and the sort's
    /// buffer by 41 MB of large arrays, each past the runtime's budget a full collection. Here every other row is dated
    /// back: the selection allocates a few integers a row (places set aside, the sort's buffer, the kept rows' places).
    /// </summary>
    [Fact]
    public void RowsOutOfRank_AreSortedByPlace_NotCopied()
    {
        const int events = 100_000;
        var collector = new EventCollector(1_000_000);
        collector.Timeline.Start(T0);
        var reported = new List<AnalysisEvent>(events);
        for (int i = 0; i < events; i++)
        {
            var e = new AnalysisEvent(EventKind.TcpReset, T0 + (i % 2 == 1 ? i - 1_000 : i) * Ms, i + 1, 0, 1 + i % 7, IpAddr.Parse("192.0.2.1"), 1, IpAddr.Parse("198.51.100.1"), 80, -1, "");
            collector.ClockNs = T0 + i * Ms;
            collector.Report(e);
            reported.Add(e);
        }
        Assert.True(collector.LoggedOutOfRank() > events / 3, $"{collector.LoggedOutOfRank()} rows out of rank");

        long before = GC.GetAllocatedBytesForCurrentThread();
        int count = collector.Rows.Count;
        long perRow = (GC.GetAllocatedBytesForCurrentThread() - before) / events;

        Assert.Equal(events, count);
        Assert.True(perRow < 40, $"{perRow} bytes a row selected");
        AssertFirstByRank(reported, collector, 1_000_000);
    }

    private static void AssertFirstByRank(List<AnalysisEvent> reported, EventCollector collector, int maxRows)
    {
        // Frames are numbered in reporting order, so one flow's rows and rows tied to no flow both rank by frame here.
        AnalysisEvent[] expected = [.. reported.OrderBy(e => e.TimestampNs).ThenBy(e => e.FlowId).ThenBy(e => e.Frame).Take(maxRows)];
        Assert.Equal(expected, collector.Rows);
        Assert.Equal(Math.Max(0, reported.Count - maxRows), collector.RowsOverLimit);
    }
}
