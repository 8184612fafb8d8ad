using PcapInsight.Core.Events;
using PcapInsight.Core.UdpAnalysis;
using PcapInsight.Reporting;
using Xunit;

namespace PcapInsight.Cli.Tests;

/// <summary>
/// The report's own sorts (<see cref="ReportOrder"/>, written out so that no framework generic is compiled at run time
/// for them) give what LINQ's stable OrderBy gave: the report's bytes depend on it (the samples and the corpus are
/// compared whole elsewhere; these are the orders those captures may not reach).
/// </summary>
public class ReportOrderTests
{
    // Times of the events in the order they were reported; each event's Frame is its place, to tell equal times apart.
    public static TheoryData<long[]> Times() => new()
    {
        Array.Empty<long>(),
        new long[] { 5 },
        new long[] { 1, 2, 3, 4 },            // already in order: returned as they are
        new long[] { 4, 3, 2, 1 },
        new long[] { 3, 1, 3, 1, 3, 1, 2 },   // ties among unordered ones keep their order
        new long[] { 0, 7, 0, 7, 0 },         // events not tied to a frame (time 0) first, still in order
        new long[] { 9, 1, 8, 2, 7, 3, 6, 4, 5, 5, 5, 0, 10, 1, 1 },
    };

    [Theory]
    [MemberData(nameof(Times))]
    public void InTimeOrder_IsLinqsStableOrderBy(long[] times)
    {
        AnalysisEvent[] rows = times.Select((t, i) => new AnalysisEvent(EventKind.TcpDupAck, t, i + 1, 0, 0, default, 0, default, 0, -1, "")).ToArray();

        IReadOnlyList<AnalysisEvent> sorted = ReportOrder.InTimeOrder(rows);

        Assert.Equal(rows.OrderBy(e => e.TimestampNs).Select(e => e.Frame), sorted.Select(e => e.Frame));
        // Rows already in order are given back as they are, not copied (a million event rows, twice).
        bool inOrder = times.Zip(times.Skip(1)).All(p => p.First <= p.Second);
        Assert.Equal(inOrder, ReferenceEquals(rows, sorted));
    }

    [Theory]
    [MemberData(nameof(Times))]
    public void InDetectionOrder_IsLinqsStableOrderBy(long[] times)
    {
        // Each gap's First is its place, to tell equal times apart.
        SequenceGap[] gaps = times.Select((t, i) => new SequenceGap(i, i, t)).ToArray();

        SequenceGap[] sorted = ReportOrder.InDetectionOrder(gaps);

        Assert.Equal(gaps.OrderBy(g => g.DetectedNs), sorted);
    }

    [Fact]
    public void InTimeOrder_Random_IsLinqsStableOrderBy()
    {
        var random = new Random(11);
        for (int round = 0; round < 50; round++)
        {
            AnalysisEvent[] rows = Enumerable.Range(0, random.Next(0, 300))
                .Select(i => new AnalysisEvent(EventKind.TcpDupAck, random.Next(0, 20), i + 1, 0, 0, default, 0, default, 0, -1, "")).ToArray();

            Assert.Equal(rows.OrderBy(e => e.TimestampNs).Select(e => e.Frame), ReportOrder.InTimeOrder(rows).Select(e => e.Frame));
        }
    }

    [Fact]
    public void StableSort_Random_IsLinqsStableOrderBy()
    {
        var random = new Random(12);
        for (int round = 0; round < 50; round++)
        {
            List<string> items = Enumerable.Range(0, random.Next(0, 200)).Select(i => $"{random.Next(0, 9)}:{i}").ToList();
            List<string> expected = items.OrderByDescending(s => s[0]).ToList();

            ReportOrder.StableSort(items, (a, b) => b[0].CompareTo(a[0]));

            Assert.Equal(expected, items);
        }
    }

    [Theory]
    [InlineData(Severity.Error, Severity.Warning, -1)]
    [InlineData(Severity.Warning, Severity.Info, -1)]
    [InlineData(Severity.Info, Severity.Error, 1)]
    [InlineData(Severity.Warning, Severity.Warning, 0)]
    public void MoreSevereFirst_OrdersErrorsThenWarningsThenInfo(Severity a, Severity b, int sign) =>
        Assert.Equal(sign, Math.Sign(ReportOrder.MoreSevereFirst(a, b)));

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(500)]
    public void KeepFirst_IsLinqsOrderByThenTake(int max)
    {
        var random = new Random(13 + max);
        List<string> items = Enumerable.Range(0, 120).Select(i => $"{random.Next(0, 5)}:{i}").ToList();
        List<string> expected = items.OrderBy(s => s[0]).Take(max).ToList();

        ReportOrder.KeepFirst(items, (a, b) => a[0].CompareTo(b[0]), max);

        Assert.Equal(expected, items);
    }
}
