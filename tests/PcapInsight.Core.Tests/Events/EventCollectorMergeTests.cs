using Xunit;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Events;

namespace PcapInsight.Core.Tests.Events;

/// <summary>
/// The merge of a sharded analysis: collectors that each saw some flows' events, merged, keep the rows, counts and
/// timeline one collector that saw them all keeps, whatever the interleaving.
/// </summary>
public class EventCollectorMergeTests
{
    private const long T0 = 1_700_000_000_000_000_000, Ms = 1_000_000;

    public static TheoryData<int, int, int, int> Cases => new()
    {
        // seed, shards, events, row limit
        { 1, 2, 500, 1_000_000 },
        { 2, 3, 5_000, 1_000_000 },
        { 3, 4, 20_000, 1_000_000 },
        { 4, 2, 20_000, 150 },       // the row limit binds
        { 5, 5, 3_000, 1 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ShardsMerged_KeepTheRowsOneCollectorKeeps(int seed, int shards, int events, int maxRows)
    {
        var random = new Random(seed);
        EventKind[] kinds = [EventKind.TcpDupAck, EventKind.TcpRetransmission, EventKind.TcpReset, EventKind.CaptureMalformedPacket, EventKind.TcpOutOfOrder];
        var single = new EventCollector(maxRows);
        single.Timeline.Start(T0);
        var parts = new EventCollector[shards + 1];   // part 0 names no flow (the reading thread's)
        for (int i = 0; i < parts.Length; i++)
        {
            parts[i] = new EventCollector(maxRows);
            parts[i].Timeline.Start(T0);
        }
        // Flow f (1..60) lives in shard f % shards; its local id there is its rank among that shard's flows.
        int flows = 60;
        int ShardOf(int flow) => flow % shards;
        int LocalId(int flow) => Enumerable.Range(1, flow).Count(f => ShardOf(f) == ShardOf(flow));
        long clock = T0;
        for (int i = 0; i < events; i++)
        {
            clock += random.Next(0, 3) * Ms;   // ties in time are common
            EventKind kind = kinds[random.Next(kinds.Length)];
            int flow = kind == EventKind.CaptureMalformedPacket ? 0 : random.Next(1, flows + 1);
            // Some rows are dated back (an episode reported when it ends, dated when it began).
            long time = random.Next(10) == 0 ? clock - random.Next(0, 500) * Ms : clock;
            var e = new AnalysisEvent(kind, time, i + 1, 0, flow, IpAddr.Parse("192.0.2.1"), (ushort)flow, IpAddr.Parse("198.51.100.1"), 80, -1, $"n={i % 7}");
            single.ClockNs = clock;
            if (single.BuildRow(kind, time))
            {
                single.Report(e);
            }
            EventCollector part = flow == 0 ? parts[0] : parts[1 + ShardOf(flow)];
            part.ClockNs = clock;
            if (part.BuildRow(kind, time))
            {
                part.Report(flow == 0 ? e : e with { FlowId = LocalId(flow) });
            }
        }
        var globalIds = new Dictionary<(int Part, int Local), int>();
        for (int f = 1; f <= flows; f++)
        {
            globalIds[(1 + ShardOf(f), LocalId(f))] = f;
        }

        EventCollector merged = EventCollector.Merge(parts, maxRows, (part, id) => globalIds[(part, id)]);

        Assert.Equal(single.Rows, merged.Rows);
        Assert.Equal(single.RowsOverLimit, merged.RowsOverLimit);
        Assert.Equal(single.Counts().Select(c => (c.Info.Kind, c.Count)), merged.Counts().Select(c => (c.Info.Kind, c.Count)));
        Assert.Equal(single.Timeline.WidthNs, merged.Timeline.WidthNs);
        Assert.Equal(single.Timeline.Kinds().Select(k => (k.Kind, string.Join(',', k.Counts))), merged.Timeline.Kinds().Select(k => (k.Kind, string.Join(',', k.Counts))));
        Assert.True(single.Rows.Count <= maxRows);
    }

    /// <summary>
    /// A full flow table is reported once by one analyzer and once by each shard whose partitions filled: the merge
    /// keeps the earliest, in the rows, the counts and the timeline, where the later shards' would have added dots and,
    /// here 300 ms after the capture's start (past 256 intervals of 1 ms), widened every interval.
    /// </summary>
    [Theory]
    [InlineData(1_000_000)]
    [InlineData(1)]   // the row limit binds: an earlier row takes the only place, the timeline still counts the event
    public void FlowTableFull_FromTwoShards_IsTheOneAnalyzersOnce(int maxRows)
    {
        var single = new EventCollector(maxRows);
        EventCollector[] parts = [new(maxRows), new(maxRows) { LeavesOnceKindsOutOfTimeline = true }, new(maxRows) { LeavesOnceKindsOutOfTimeline = true }];
        foreach (EventCollector c in parts.Append(single))
        {
            c.Timeline.Start(T0);
        }
        AnalysisEvent Event(EventKind kind, long time, int flow) =>
            new(kind, time, time / Ms, 0, flow, IpAddr.Parse("192.0.2.1"), 1, IpAddr.Parse("198.51.100.1"), 80, -1, "");
        single.Report(Event(EventKind.TcpReset, T0 + 5 * Ms, 1));
        parts[1].Report(Event(EventKind.TcpReset, T0 + 5 * Ms, 1));
        single.Report(Event(EventKind.CaptureFlowTableFull, T0 + 20 * Ms, 0));
        parts[2].Report(Event(EventKind.CaptureFlowTableFull, T0 + 20 * Ms, 0));
        parts[1].Report(Event(EventKind.CaptureFlowTableFull, T0 + 300 * Ms, 0));   // one analyzer had said it already

        EventCollector merged = EventCollector.Merge(parts, maxRows, (_, id) => id);
        merged.KeepOnce(EventKind.CaptureFlowTableFull);

        Assert.Equal(single.Rows, merged.Rows);
        Assert.Equal(single.Counts().Select(c => (c.Info.Kind, c.Count)), merged.Counts().Select(c => (c.Info.Kind, c.Count)));
        Assert.Equal(1_000_000, merged.Timeline.WidthNs);
        Assert.Equal(single.Timeline.Kinds().Select(k => (k.Kind, string.Join(',', k.Counts))), merged.Timeline.Kinds().Select(k => (k.Kind, string.Join(',', k.Counts))));
    }
}
