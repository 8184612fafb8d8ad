using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Flows;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Core.Tests.Analysis;

/// <summary>
/// The report's flow ids in a sharded run (<see cref="FlowNumbering"/>) from the places the shards created their flows at
/// (<see cref="CreationPlaces"/>): the order one analyzer numbers them in, and what the numbering keeps.
/// </summary>
public class FlowNumberingTests
{
    public static TheoryData<long[]> PlaceSequences => new()
    {
        Array.Empty<long>(),
        new long[] { 0 },
        new long[] { 0, 0, 0, 1 },                                 // a frame's phases can create two flows at one place
        new long[] { 4, 8, 12, 16, 400, 401 },
        new long[] { 127, 128, 16_511, 16_512, 1L << 40, (1L << 40) + 1, long.MaxValue / 2, long.MaxValue },
    };

    [Theory]
    [MemberData(nameof(PlaceSequences))]
    public void CreationPlaces_GiveBackWhatWasAdded_InOrder(long[] places)
    {
        var kept = new CreationPlaces();
        foreach (long p in places)
        {
            kept.Add(p);
        }

        var read = new List<long>();
        CreationPlaces.Reader reader = kept.Read();
        while (reader.TryNext(out long p))
        {
            read.Add(p);
        }

        Assert.Equal(places, read);
        Assert.Equal(places.Length, kept.Count);
        Assert.False(reader.TryNext(out _));
    }

    [Fact]
    public void CreationPlaces_NewFlowsFrameAfterFrame_TakeAByteEach()
    {
        // Two shards taking turns, every frame a new flow (a scan past the table): a shard's places 8 apart.
        var kept = new CreationPlaces();
        for (long frame = 0; frame < 100_000; frame += 2)
        {
            kept.Add(frame * 4);
        }

        Assert.Equal(50_000, kept.Bytes);
    }

    [Fact]
    public void CreationPlaces_ManyBlocks_GiveBackEveryPlace()
    {
        // 200,000 places of one to nine bytes each: blocks of 64 KiB, each ended early where the next might not fit.
        var random = new Random(7);
        var places = new long[200_000];
        var kept = new CreationPlaces();
        long place = 0;
        for (int i = 0; i < places.Length; i++)
        {
            place += random.Next(4) switch { 0 => 0, 1 => random.Next(128), 2 => random.Next(1 << 20), _ => random.NextInt64(1L << 40) };
            places[i] = place;
            kept.Add(place);
        }

        var read = new List<long>(places.Length);
        CreationPlaces.Reader reader = kept.Read();
        while (reader.TryNext(out long p))
        {
            read.Add(p);
        }

        Assert.True(kept.Bytes > 2 * 64 * 1024, $"{kept.Bytes} bytes: more than two blocks");
        Assert.Equal(places, read);
    }

    [Fact]
    public void CreationPlaces_APlaceBeforeTheLast_IsRefused()
    {
        var kept = new CreationPlaces();
        kept.Add(10);

        Assert.Throws<ArgumentOutOfRangeException>(() => kept.Add(9));
        Assert.Equal(1, kept.Count);
    }

    public static TheoryData<long[][], (int Shard, int Local, int Id)[]> Walks => new()
    {
        // Two shards taking turns: numbered by place.
        { [[0, 8, 16], [4, 12]], [(0, 1, 1), (1, 1, 2), (0, 2, 3), (1, 2, 4), (0, 3, 5)] },
        // One place in two shards: the lower shard first; within a shard, its own order.
        { [[5, 9], [5], [2, 2]], [(2, 1, 1), (2, 2, 2), (0, 1, 3), (1, 1, 4), (0, 2, 5)] },
        // A shard that created nothing, and one that created everything.
        { [[], [1, 2, 3]], [(1, 1, 1), (1, 2, 2), (1, 3, 3)] },
        { [[], []], [] },
    };

    [Theory]
    [MemberData(nameof(Walks))]
    public void Walk_NumbersEveryFlowByItsPlace(long[][] shards, (int Shard, int Local, int Id)[] expected)
    {
        FlowNumbering numbering = FlowNumbering.Resolve(Places(shards), shards.Select(_ => Enumerable.Empty<int>()).ToArray());

        var walked = new List<(int, int, int)>();
        FlowNumbering.Walk walk = numbering.NewWalk();
        while (walk.TryNext(out int shard, out int local, out int id))
        {
            walked.Add((shard, local, id));
        }

        Assert.Equal(expected, walked);
    }

    [Fact]
    public void Resolve_KeepsTheIdsAskedFor_InAnyOrderAndRepeated()
    {
        CreationPlaces[] shards = Places([[0, 8, 16, 24], [4, 12, 20]]);

        FlowNumbering numbering = FlowNumbering.Resolve(shards, [[4, 1, 4, 0], [3, 2]]);   // 0: no flow (an event of none)

        Assert.Equal([1, 7], new[] { numbering.Of(0, 1), numbering.Of(0, 4) });
        Assert.Equal([4, 6], new[] { numbering.Of(1, 2), numbering.Of(1, 3) });
        Assert.Throws<KeyNotFoundException>(() => numbering.Of(0, 2));   // not asked for: not kept
    }

    [Fact]
    public void Resolve_AnIdPastTheShardsFlows_Fails()
    {
        CreationPlaces[] shards = Places([[0, 8], [4]]);

        Assert.Throws<InvalidOperationException>(() => FlowNumbering.Resolve(shards, [[3], []]));
        Assert.Throws<ArgumentException>(() => FlowNumbering.Resolve(shards, [[1]]));
    }

    private static CreationPlaces[] Places(long[][] shards) => shards.Select(places =>
    {
        var kept = new CreationPlaces();
        foreach (long p in places)
        {
            kept.Add(p);
        }
        return kept;
    }).ToArray();
}

/// <summary>
/// A two-thread run of flows past the table (a scan: every flow evicted before it is seen again), most of them spooled:
/// every flow of the report, listed or read back from the shards' spools, has the id one analyzer gives it.
/// </summary>
public class ShardedNumberingTests
{
    private static readonly AnalysisOptions ScanOptions = new()
    {
        Flows = new() { MaxFlows = 16_384, MaxListedFlows = 1_000 },
    };

    [Fact]
    public void FlowsPastTheTable_TwoThreads_ListAndSpoolTheFlowsOneAnalyzerNumbers()
    {
        using var dir = new TempFolder();
        string capture = Path.Combine(dir.Path, "scan.pcap");
        SmallPackets.Write(capture, 100_000, 50_000);

        List<(int, string, ushort, long)> one = Flows(Run(capture, dir.Path, threads: 1));
        List<(int, string, ushort, long)> two = Flows(Run(capture, dir.Path, threads: 2));

        Assert.Equal(100_000, one.Count);
        Assert.Equal(Enumerable.Range(1, 100_000), one.Select(f => f.Item1));
        Assert.Equal(one, two);
    }

    /// <summary>
    /// A SYN scan (bench's make-scan) past the table and past the row limit: every probe a flow and a reset, the
    /// rows the earliest by rank, and two threads' rows, flows and counts those of one.
    /// </summary>
    [Fact]
    public void SynScan_PastTheTableAndTheRowLimit_TwoThreadsAsOne()
    {
        using var dir = new TempFolder();
        string capture = Path.Combine(dir.Path, "scan.pcap");
        ShortConnections.WriteScan(capture, 30_000);
        AnalysisOptions options = ScanOptions with { MaxEventRows = 1_000 };

        AnalysisResult one = Run(capture, dir.Path, threads: 1, options);
        List<(int, string, ushort, long)> oneFlows = Flows(one);
        AnalysisResult two = Run(capture, dir.Path, threads: 2, options);

        Assert.Equal(30_000, oneFlows.Count);
        Assert.Equal(30_000, one.Events.Count(Core.Events.EventKind.TcpReset));
        Assert.True(one.FlowTable!.Evicted > 0, "the table evicted");
        Assert.Equal(1_000, one.Events.Rows.Count);
        Assert.True(one.Events.RowsOverLimit >= 29_000, $"{one.Events.RowsOverLimit} rows over the limit");
        Assert.All(one.Events.Rows.Take(999), e => Assert.True(e.Frame <= 2_100, $"frame {e.Frame}: not among the earliest"));
        Assert.Equal(one.Events.Rows.Select(e => (e.TimestampNs, e.FlowId, e.Detail)), two.Events.Rows.Select(e => (e.TimestampNs, e.FlowId, e.Detail)));
        Assert.Equal(one.Events.RowsOverLimit, two.Events.RowsOverLimit);
        Assert.Equal(oneFlows, Flows(two));
    }

    private static AnalysisResult Run(string capture, string spools, int threads, AnalysisOptions? options = null)
    {
        using IPacketSource source = CaptureFile.Open(capture, 0);
        return ShardedAnalysis.Run(source, [source.Stats], (options ?? ScanOptions) with { SpoolDirectory = spools }, threads);
    }

    /// <summary>Every flow of the report, listed or spooled, in id order: id, client, port, packets.</summary>
    private static List<(int, string, ushort, long)> Flows(AnalysisResult result)
    {
        try
        {
            return result.Flows.Select(f => (f.Id, f.Client.ToString(), f.ClientPort, f.PacketsC2S + f.PacketsS2C))
                .Concat(result.ReleasedFlows.Select(f => (f.Id, f.Client.ToString(), f.ClientPort, f.PacketsC2S + f.PacketsS2C)))
                .OrderBy(f => f.Item1)
                .ToList();
        }
        finally
        {
            foreach (FlowSpool spool in result.Spools)
            {
                spool.Dispose();
            }
        }
    }

    private sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("pcapinsight-numbering-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
