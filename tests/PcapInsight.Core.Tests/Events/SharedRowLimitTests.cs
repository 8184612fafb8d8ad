using PcapInsight.Core.Decoding;
using PcapInsight.Core.Events;
using Xunit;

namespace PcapInsight.Core.Tests.Events;

/// <summary>
/// The row limit the shards of a sharded analysis share: what each says it holds moves the cutoff only once the
/// shards' rows together reach the limit, and collectors sharing it hold about the limit's rows between them, not
/// the limit each, while the merge keeps exactly the rows one collector keeps.
/// </summary>
public class SharedRowLimitTests
{
    private const long T0 = 1_700_000_000_000_000_000, Ms = 1_000_000;

    public static TheoryData<string, (int Part, long Rows, long LatestNs)[], long> Publications => new()
    {
        { "nothing said", [], long.MaxValue },
        { "one part under the limit", [(0, 60, 5)], long.MaxValue },
        { "two parts under it together", [(0, 60, 5), (1, 39, 9)], long.MaxValue },
        { "two parts at it: the later's time", [(0, 60, 5), (1, 40, 9)], 9 },
        { "one part past it alone", [(1, 100, 7)], 7 },
        { "a part saying more later: its new time, but the cutoff never rises", [(0, 100, 7), (0, 150, 12)], 7 },
        { "the earliest time at which enough was said", [(0, 50, 20), (1, 50, 30), (2, 100, 10)], 10 },
        { "a part that holds none does not lend its time", [(0, 0, 99), (1, 100, 4)], 4 },
    };

    [Theory]
    [MemberData(nameof(Publications))]
    public void Cutoff_IsTheLatestTime_OnceThePartsHoldTheLimitsRows(string why, (int Part, long Rows, long LatestNs)[] said, long expected)
    {
        var limit = new SharedRowLimit(parts: 3, maxRows: 100);
        foreach ((int part, long rows, long latest) in said)
        {
            limit.Publish(part, rows, latest);
        }
        Assert.True(expected == limit.CutoffNs, $"{why}: {limit.CutoffNs}");
    }

    public static TheoryData<int, string, int, int> Cases => new()
    {
        // shards, shape, rows, row limit
        { 2, "in order", 40_000, 5_000 },     // a scan's resets: every shard's rows up to the end, without the sharing
        { 3, "in order", 40_000, 5_000 },
        { 2, "nearly", 30_000, 4_000 },       // rows dated back: kept where they rank before the cutoff
        { 3, "ties", 30_000, 3_000 },
        { 2, "in order", 5_000, 40 },         // a limit under the steps the shards say it in
        { 2, "in order", 3_000, 10_000 },     // the limit never reached: nothing dropped
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ShardsSharingTheLimit_HoldAboutItsRows_AndMergeToTheFirstByRank(int shards, string shape, int events, int maxRows)
    {
        var random = new Random(shards * 31 + maxRows);
        var limit = new SharedRowLimit(shards, maxRows);
        var parts = new EventCollector[shards];
        for (int s = 0; s < shards; s++)
        {
            parts[s] = new EventCollector(maxRows) { LeavesOnceKindsOutOfTimeline = true };
            parts[s].Timeline.Start(T0);
            parts[s].ShareLimit(limit, s);
        }
        var reported = new List<AnalysisEvent>();
        long clock = T0;
        int mostHeld = 0;
        for (int i = 0; i < events; i++)
        {
            clock += shape == "ties" ? random.Next(0, 2) * Ms : Ms;
            long time = shape == "nearly" && random.Next(50) == 0 ? clock - random.Next(1, 300) * Ms : clock;
            int flow = random.Next(1, 200);
            var e = new AnalysisEvent(EventKind.TcpReset, time, i + 1, 0, flow, IpAddr.Parse("198.51.100.7"), (ushort)flow, IpAddr.Parse("203.0.113.1"), 80, -1, "");
            EventCollector shard = parts[flow % shards];   // a flow's rows in one shard, as the flow hash places them
            shard.ClockNs = clock;
            if (shard.BuildRow(e.Kind, e.TimestampNs))
            {
                shard.Report(e);
            }
            reported.Add(e);
            if (i == events / 3)
            {
                // Each shard's table filled once: the merge keeps the earliest of these rows, as one analyzer's.
                foreach (EventCollector part in parts)
                {
                    part.Report(new AnalysisEvent(EventKind.CaptureFlowTableFull, time, i + 1, 0, 0, default, 0, default, 0, -1, "max_flows=1"));
                }
                reported.Add(new AnalysisEvent(EventKind.CaptureFlowTableFull, time, i + 1, 0, 0, default, 0, default, 0, -1, "max_flows=1"));
            }
            mostHeld = Math.Max(mostHeld, parts.Sum(p => p.LoggedCandidates));
        }

        int partsOutOfRank = parts.Sum(p => p.LoggedOutOfRank());
        EventCollector merged = EventCollector.Merge(parts, maxRows, (_, id) => id);
        // Taken from the shards by rank, the merged rows are out of rank only where a shard's own were (appended shard
        // after shard, the second shard's rows all came out of order, and the selection sorted a copy of them).
        Assert.InRange(merged.LoggedOutOfRank(), 0, partsOutOfRank);
        merged.KeepOnce(EventKind.CaptureFlowTableFull);

        Assert.Equal(events, merged.Count(EventKind.TcpReset));
        AnalysisEvent[] expected = [.. reported.OrderBy(e => e.TimestampNs).ThenBy(e => e.FlowId).ThenBy(e => e.Frame).Take(maxRows)];
        Assert.Equal(expected, merged.Rows);
        // Without the sharing each shard held up to the limit: the shards together up to shards times it.
        int steps = Math.Clamp(maxRows / 8, 1, 1_024);
        Assert.True(mostHeld <= Math.Min(events + shards, maxRows + shards * (steps + 1) + 300),
            $"{mostHeld:N0} rows held at most by {shards} shards, limit {maxRows:N0}");
    }
}
