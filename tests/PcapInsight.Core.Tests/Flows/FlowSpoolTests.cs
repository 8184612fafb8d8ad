using PcapInsight.Core.Decoding;
using PcapInsight.Core.Flows;
using Xunit;

namespace PcapInsight.Core.Tests.Flows;

public sealed class FlowSpoolTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pcapinsight-spool-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static FlowSummary Summary(int id, bool tcp = true) => new()
    {
        Id = id,
        Protocol = tcp ? (byte)6 : (byte)17,
        Client = IpAddr.Parse(id % 2 == 0 ? "192.0.2.1" : "2001:db8::1"),
        ClientPort = (ushort)(1024 + id % 60_000),
        Server = IpAddr.Parse(id % 2 == 0 ? "198.51.100.1" : "2001:db8::2"),
        ServerPort = 80,
        Vlan = (ushort)(id % 3),
        FirstTimeNs = 1_700_000_000_000_000_000 + id,
        LastTimeNs = 1_700_000_000_000_000_000 + 2L * id,
        FirstFrame = id * 8L,
        PacketsC2S = 4,
        PacketsS2C = 4,
        BytesC2S = 400 + id,
        BytesS2C = 500,
        PayloadBytesC2S = 100,
        PayloadBytesS2C = 200,
        PmtuMessages = id % 5 == 0 ? 1 : 0,
        LowestPmtu = id % 5 == 0 ? 1400 : 0,
        Close = (FlowCloseReason)(id % 7),
        Udp = tcp ? null : new UdpSummary(1200, id % 4, id % 2)
        {
            C2S = id % 2 == 0 ? new UdpStreamSummary(Rtp: true, Lost: id, Duplicates: 1, Reordered: 2, JitterMs: 0.25 * id, Ssrc: 0xdeadbeef, PayloadType: 96) : null,
            S2C = new UdpStreamSummary(Rtp: false, Lost: 3, Duplicates: 0, Reordered: 0, JitterMs: double.NaN, Ssrc: 0, PayloadType: -1),
        },
        Tcp = !tcp ? null : new TcpSummary
        {
            SawSyn = true,
            SawSynAck = id % 2 == 0,
            MssC2S = 1460,
            MssS2C = 1400,
            WindowScaleC2S = 7,
            WindowScaleS2C = -1,
            SackPermittedC2S = true,
            TimestampsS2C = true,
            InitialRttNs = id,
            C2S = new TcpDirectionSummary(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12),
            S2C = new TcpDirectionSummary(id, 0, 0, 0, 0, 0, 0, 65_535, 0, 0, 0, 0),
        },
    };

    // Ids in the order flows end, not the order they began: a spool must give them back sorted.
    private static List<int> Shuffled(int count, int seed)
    {
        var ids = Enumerable.Range(1, count).ToList();
        var random = new Random(seed);
        for (int i = ids.Count - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (ids[i], ids[j]) = (ids[j], ids[i]);
        }
        return ids;
    }

    [Theory]
    [InlineData(0, 4)]        // nothing spooled
    [InlineData(3, 4)]        // all in the buffer, no file
    [InlineData(4, 4)]        // exactly one run
    [InlineData(1_000, 7)]    // many runs and a partial buffer
    [InlineData(1_000, 1)]    // a run a summary
    [InlineData(1_000, 600)]  // a run of 600 summaries (over 200 KiB): records cross the reader's 64 KiB blocks
    public void ReadSorted_AnyMixOfRunsAndBuffer_GivesEverySummaryBackInIdOrder(int count, int runLength)
    {
        using var spool = new FlowSpool(_dir, runLength);
        List<int> ids = Shuffled(count, seed: count + runLength);
        foreach (int id in ids)
        {
            spool.Add(Summary(id, tcp: id % 3 != 0));
        }

        List<FlowSummary> read = spool.ReadSorted().ToList();

        Assert.Equal(Enumerable.Range(1, count), read.Select(s => s.Id));
        Assert.Equal(read.Select(s => Summary(s.Id, tcp: s.Id % 3 != 0)), read);   // every field survives the disk
        Assert.Equal(count / runLength, spool.Runs);
        Assert.Equal(read, spool.ReadSorted().ToList());                           // and can be read again
    }

    /// <summary>The read block of each run as the runs grow: the same 64 KiB to 128 runs, then a shared 8 MiB.</summary>
    [Theory]
    [InlineData(1, 65_536)]
    [InlineData(128, 65_536)]
    [InlineData(129, 65_027)]
    [InlineData(1_000, 8_388)]
    [InlineData(2_048, 4_096)]
    [InlineData(100_000, 4_096)]   // past 2,048 runs, 4 KiB each: still room for several of the longest records
    public void ReadBlock_SharesABudget_ButHoldsSeveralRecords(int runs, int expected)
    {
        Assert.Equal(expected, FlowSpool.ReadBlockBytes(runs));
        Assert.True(FlowSpool.MinReadBlockBytes >= 4 * FlowRecord.MaxEncodedBytes);
    }

    /// <summary>
    /// Thousands of runs are merged through blocks that share one budget (64 KiB a run took 190 MiB for 3,000 runs,
    /// a byte for every flow a capture spooled), and records still cross the smaller blocks whole.
    /// </summary>
    [Theory]
    [InlineData(3_000, 1)]       // a run a summary
    [InlineData(210_000, 100)]   // 2,100 runs of about 10 KB: records across 4 KiB blocks
    public void ReadSorted_ThousandsOfRuns_InOrder_ThroughBlocksOfABoundedTotal(int count, int runLength)
    {
        using var spool = new FlowSpool(_dir, runLength);
        foreach (int id in Shuffled(count, seed: count))
        {
            spool.Add(Summary(id, tcp: id % 3 != 0));
        }
        var reuse = new FlowSummaryPool();
        int expected = 1;

        long before = GC.GetAllocatedBytesForCurrentThread();
        foreach (FlowSummary s in spool.ReadSorted(reuse))
        {
            if (s.Id != expected++)
            {
                Assert.Fail($"summary {s.Id} where {expected - 1} was due");
            }
            reuse.Return(s);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(count + 1, expected);
        expected = 1;
        foreach (FlowSummary s in spool.ReadSorted(reuse))
        {
            Assert.Equal(Summary(expected++, tcp: s.Id % 3 != 0), s);   // every field, also of records across blocks
            reuse.Return(s);
        }
        Assert.True(spool.Runs >= 2_000, $"{spool.Runs} runs");
        // The blocks (at most 8 MiB, or 4 KiB a run), and a reader, a queue entry and a summary a run.
        long bound = Math.Max(FlowSpool.ReadBudgetBytes, spool.Runs * (long)FlowSpool.MinReadBlockBytes) + spool.Runs * 2_048L;
        Assert.True(allocated < bound, $"{allocated:N0} bytes allocated reading {spool.Runs} runs (bound {bound:N0})");
    }

    [Theory]
    [InlineData(3, 4)]        // all in the buffer
    [InlineData(1_000, 7)]    // many runs and a partial buffer
    [InlineData(1_000, 600)]  // records across the reader's blocks
    public void ReadSorted_IntoAPool_GivesTheSameSummaries_InAFewObjects(int count, int runLength)
    {
        // Each summary is given back as soon as it is checked, as flows.csv gives a batch's back once written: the
        // reader then needs one summary a run (the merge's heads) and one for the buffer's, whatever the count.
        using var spool = new FlowSpool(_dir, runLength);
        foreach (int id in Shuffled(count, seed: count))
        {
            spool.Add(Summary(id, tcp: id % 3 != 0));
        }
        var reuse = new FlowSummaryPool();
        var objects = new HashSet<FlowSummary>(ReferenceEqualityComparer.Instance);
        int expected = 1;

        foreach (FlowSummary s in spool.ReadSorted(reuse))
        {
            Assert.Equal(Summary(expected++, tcp: s.Id % 3 != 0), s);
            objects.Add(s);
            reuse.Return(s);
        }

        Assert.Equal(count + 1, expected);
        Assert.InRange(objects.Count, 1, spool.Runs + 2);
    }

    [Fact]
    public void Keeping_YieldsTheAccepted_AndGivesTheOthersBackAtOnce()
    {
        using var spool = new FlowSpool(_dir, runLength: 4);
        for (int id = 1; id <= 10; id++)
        {
            spool.Add(Summary(id, tcp: id % 3 != 0));
        }
        var reuse = new FlowSummaryPool();
        var kept = new List<int>();

        foreach (FlowSummary s in reuse.Keeping(spool.ReadSorted(reuse), f => f.Tcp is null))
        {
            kept.Add(s.Id);
            Assert.Null(s.Tcp);
            Assert.True(reuse.Count <= 1, "a rejected summary is given back before the next one is read into it");
        }

        Assert.Equal([3, 6, 9], kept);
    }

    [Fact]
    public void MayHold_SaysWhichProtocolsWereAdded()
    {
        using var spool = new FlowSpool(_dir, runLength: 2);
        spool.Add(Summary(1, tcp: true));
        spool.Add(Summary(2, tcp: true));

        Assert.True(spool.MayHold(6));
        Assert.False(spool.MayHold(17));   // udp.csv skips reading this spool
        spool.Add(Summary(3, tcp: false));
        Assert.True(spool.MayHold(17));
    }

    [Fact]
    public void Dispose_RemovesTheSpoolFile()
    {
        var spool = new FlowSpool(_dir, runLength: 2);
        spool.Add(Summary(2));
        spool.Add(Summary(1));
        string path = spool.FilePath!;
        Assert.True(File.Exists(path));
        Assert.StartsWith(".", Path.GetFileName(path));   // hidden beside the report

        spool.Dispose();

        Assert.False(File.Exists(path));
        Assert.Empty(Directory.GetFiles(_dir, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public void NewSpoolFile_DeletesTheSpoolsOfProcessesNoLongerRunning_AndNothingElse()
    {
        // A process killed outright never closed its spool: the next run into the folder removes it.
        string orphan = Path.Combine(_dir, ".pcapinsight-flows-2147483646-0123abcd.spool");   // no such process
        string running = Path.Combine(_dir, $".pcapinsight-flows-{Environment.ProcessId}-89abcdef.spool");
        string other = Path.Combine(_dir, "flows.csv");
        foreach (string path in (string[])[orphan, running, other])
        {
            File.WriteAllText(path, "x");
        }
        using var spool = new FlowSpool(_dir, runLength: 1);

        spool.Add(Summary(1));

        Assert.False(File.Exists(orphan));
        Assert.True(File.Exists(running));
        Assert.True(File.Exists(other));
        Assert.True(File.Exists(spool.FilePath));
    }

    [Fact]
    public void Add_FolderCannotBeCreated_SaysWhyAndCountsWhatItDrops()
    {
        string notAFolder = Path.Combine(_dir, "file");
        File.WriteAllText(notAFolder, "");
        using var spool = new FlowSpool(Path.Combine(notAFolder, "sub"), runLength: 2);

        for (int id = 1; id <= 5; id++)
        {
            spool.Add(Summary(id));
        }

        Assert.NotNull(spool.Failure);
        Assert.Equal(5, spool.Lost);          // the two of the run that failed, and the three after
        Assert.Empty(spool.ReadSorted());
    }
}
