using System.Globalization;
using System.Text;
using CsvHelper;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Flows;
using PcapInsight.Reporting;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Cli.Tests;

/// <summary>
/// flows.csv is written straight as UTF-8 (every cell plain: numbers, times, addresses, fixed names) instead of
/// through CsvHelper's per-cell escaping. These tests read it back with CsvHelper's reader and hold every cell to the
/// value's own text (invariant numbers, <see cref="CaptureTime"/>'s times and durations, <see cref="IpAddr"/>'s
/// addresses, empty for unknown): on every sample and corpus capture, and on random flows with extreme values.
/// </summary>
public class PlainCsvTests
{
    public static TheoryData<string> SampleFiles() => RepoPaths.SampleNames();

    [Theory]
    [MemberData(nameof(SampleFiles))]
    public void Sample_FlowsCsv_ReadsBackAsTheValues(string file) => AssertReadsBack(Captures.Analyze(RepoPaths.Sample(file)));

    [CorpusTheory]
    [MemberData(nameof(CorpusManifest.FileNames), MemberType = typeof(CorpusManifest))]
    public void Corpus_FlowsCsv_ReadsBackAsTheValues(string file)
    {
        if (CorpusManifest.Get(file).AnalyzeOrNull() is not { } result)
        {
            return; // refused as not a capture: no report (the packet-count test holds the reason)
        }
        AssertReadsBack(result);
    }

    [Fact]
    public void RandomFlows_WithExtremeValues_ReadBackAsTheValues()
    {
        var random = new Random(11);
        // The file column is text: names with a comma, quotes and non-ASCII letters are quoted and escaped.
        string[] files = ["", "part_00001_20261125120000.pcap", "capture, \"east\".pcapng", "überwachung.pcap"];
        AssertReadsBack(Enumerable.Range(0, 20_000).Select(i => new FlowRow(RandomFlow(random, i), random.Next(0, 10), files[random.Next(files.Length)])).ToArray());
    }

    /// <summary>
    /// No string, no boxed value per cell: flows.csv of a million flows is 45 million cells. Formatting 20,000 rows
    /// allocates one batch's buffer (measured with the thread's allocation counter, not a clock).
    /// </summary>
    [Fact]
    public void FlowsCsv_AllocatesNothingPerRow()
    {
        var random = new Random(5);
        FlowRow[] rows = Enumerable.Range(0, 20_000).Select(i => new FlowRow(RandomFlow(random, i), 6, i % 2 == 0 ? "part_1.pcap" : "a, \"b\".pcap")).ToArray();
        Utf8CsvTable.Write(Stream.Null, CsvColumns.Flows, rows.Take(2000), batchesInFlight: 1);   // JIT and statics first
        long before = GC.GetAllocatedBytesForCurrentThread();
        Utf8CsvTable.Write(Stream.Null, CsvColumns.Flows, rows, batchesInFlight: 1);
        long formatted = GC.GetAllocatedBytesForCurrentThread() - before;

        // One batch's rows and buffer (0.5 MB), nothing a row (an object a row would be 480 KB more). On many
        // threads each batch also takes a task, and each thread's counter sees only the batches it formatted.
            Assert.True(formatted < 600 * 1024, $"{formatted} bytes for {rows.Length} rows on one thread");
    }

    /// <summary>
    /// A long table is formatted in batches on pool threads and written in batch order: the bytes are those of one
    /// thread, for every count of rows around the batch's edges and any number of batches at once.
    /// </summary>
    [Fact]
    public void FlowsCsv_FormattedOnManyThreads_IsTheBytesOfOne()
    {
        var random = new Random(17);
        FlowRow[] rows = Enumerable.Range(0, 4000).Select(i => new FlowRow(RandomFlow(random, i), random.Next(0, 10))).ToArray();
        int batch = Utf8CsvTable.BatchRows(CsvColumns.Flows.Count);
        Assert.InRange(batch, 2, rows.Length / 4);   // the counts below cross several batches' edges
        foreach (int count in new[] { 0, 1, batch - 1, batch, batch + 1, 2 * batch, 3 * batch + 1, rows.Length })
        {
            byte[] one = Written(rows[..count], batchesInFlight: 1);
            Assert.Equal(count + 1, one.Count(b => b == (byte)'\n'));
            foreach (int inFlight in new[] { 2, 3, 8 })
            {
                Assert.True(one.AsSpan().SequenceEqual(Written(rows[..count], inFlight)), $"{count} rows, {inFlight} batches at once");
            }
        }

        static byte[] Written(FlowRow[] rows, int batchesInFlight)
        {
            using var stream = new MemoryStream();
            Utf8CsvTable.Write(stream, CsvColumns.Flows, rows, batchesInFlight);
            return stream.ToArray();
        }
    }

    /// <summary>
    /// flows.csv's writer tells of each row once its batch's bytes are out (so its summary can go back to the pool):
    /// every row once, in order, never before its line is in the stream, on one thread and on several.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void FlowsCsv_TellsOfEachRow_OnlyOnceItsLineIsWritten(int batchesInFlight)
    {
        var random = new Random(23);
        FlowRow[] rows = Enumerable.Range(0, 3 * Utf8CsvTable.BatchRows(CsvColumns.Flows.Count) + 5)
            .Select(i => new FlowRow(RandomFlow(random, i), 6)).ToArray();
        using var stream = new MemoryStream();
        var told = new List<(int Id, long Written)>();

        Utf8CsvTable.Write(stream, CsvColumns.Flows, rows, batchesInFlight, row => told.Add((row.FlowId, stream.Length)));

        Assert.Equal(rows.Select(r => r.FlowId), told.Select(t => t.Id));
        byte[] bytes = stream.ToArray();
        int[] lineEnds = Enumerable.Range(0, bytes.Length).Where(i => bytes[i] == (byte)'\n').ToArray();   // the header's first
        for (int i = 0; i < rows.Length; i++)
        {
            Assert.True(told[i].Written > lineEnds[i + 1], $"row {i} told of at {told[i].Written} bytes, its line ends at {lineEnds[i + 1]}");
        }
    }

    /// <summary>
    /// The flows released to the spool, decoded into summaries that each written row gives back (as flows.csv and
    /// flows.parquet do), make the bytes of new summaries: one thread, and shards whose spools are merged.
    /// </summary>
    [Theory]
    [InlineData("tcp-basic.pcap", 1)]
    [InlineData("tcp-basic.pcap", 3)]
    [InlineData("dns-unanswered.pcap", 1)]   // UDP flows: udp.csv's rows come from the spool too
    [InlineData("dns-unanswered.pcap", 2)]
    public void FlowsCsv_FromPooledSummaries_IsTheBytesOfNewOnes(string sample, int threads)
    {
        using var dir = new TempDir();
        var options = new AnalysisOptions { Flows = new FlowTableOptions { MaxListedFlows = 2 }, SpoolDirectory = dir.Path };
        using IPacketSource source = CaptureFile.Open(RepoPaths.Sample(sample), 0);
        AnalysisResult result = ShardedAnalysis.Run(source, [source.Stats], options, threads);
        using IDisposable spools = result.SpoolFiles();
        Assert.True(result.SpooledFlows > 0, "the sample's flows reach the spool");

        using var fresh = new MemoryStream();
        Utf8CsvTable.Write(fresh, CsvColumns.Flows, ReportRows.Flows(result));
        var reuse = new FlowSummaryPool();
        using var pooled = new MemoryStream();
        Utf8CsvTable.Write(pooled, CsvColumns.Flows, ReportRows.Flows(result, reuse), row => reuse.Return(row.Flow));

        Assert.Equal(Encoding.ASCII.GetString(fresh.ToArray()), Encoding.ASCII.GetString(pooled.ToArray()));
        Assert.InRange(reuse.Count, 1, 3 * Utf8CsvTable.BatchRows(CsvColumns.Flows.Count));
        // udp.csv reads the spool through a pool too.
        using var freshUdp = new MemoryStream();
        Utf8CsvTable.Write(freshUdp, CsvColumns.Udp, UdpRow.All(result));
        var udpReuse = new FlowSummaryPool();
        using var pooledUdp = new MemoryStream();
        Utf8CsvTable.Write(pooledUdp, CsvColumns.Udp, UdpRow.All(result, udpReuse), row => udpReuse.Return(row.Flow));
        Assert.Equal(Encoding.ASCII.GetString(freshUdp.ToArray()), Encoding.ASCII.GetString(pooledUdp.ToArray()));
    }

    /// <summary>
    /// flows.csv of flows read back from the spool allocates no summary a row: the writer gives each back and the
    /// reader decodes the next into it (20,000 connections made 8 MB of summaries before; a million made 400 MB).
    /// Measured with the thread's allocation counter, everything formatted on it.
    /// </summary>
    [Fact]
    public void FlowsCsv_OfSpooledFlows_AllocatesNoSummaryARow()
    {
        using var dir = new TempDir();
        string capture = dir.File("short.pcap");
        ShortConnections.Write(capture, 20_000);
        var options = new AnalysisOptions { Flows = new FlowTableOptions { MaxListedFlows = 100 }, SpoolDirectory = dir.Path };
        using IPacketSource source = CaptureFile.Open(capture, 0);
        AnalysisResult result = ShardedAnalysis.Run(source, [source.Stats], options, 1);
        using IDisposable spools = result.SpoolFiles();
        Assert.True(result.SpooledFlows >= 19_000, $"{result.SpooledFlows} flows spooled");

        long written = Written(2_000);   // JIT and statics first
        long before = GC.GetAllocatedBytesForCurrentThread();
        written = Written(int.MaxValue);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(20_000, written);
        // One batch's buffer and rows (0.5 MB), the spool's read blocks (64 KB a run) and a batch's summaries: nothing
        // that grows with the rows (a summary a row would be 8 MB more).
        Assert.True(allocated < 2 * 1024 * 1024, $"{allocated} bytes for {written} rows");

        long Written(int rows)
        {
            var reuse = new FlowSummaryPool();
            long count = 0;
            Utf8CsvTable.Write(Stream.Null, CsvColumns.Flows, ReportRows.Flows(result, reuse).Take(rows), batchesInFlight: 1,
                row => { count++; reuse.Return(row.Flow); });
            return count;
        }
    }

    /// <summary>
    /// udp.csv's sequence cells from its two directions (written straight as UTF-8 since udp.csv became a view over
    /// the summary; the texts are those the row's strings had): kinds joined when they differ, counts added, the
    /// worse jitter, the RTP directions' SSRCs, the first RTP direction's payload type.
    /// </summary>
    [Theory]
    [InlineData("none", "none", ",,,,,,,")]
    [InlineData("rtp", "none", "rtp,5,1,2,2.009,c2s,0x11223344,0")]
    [InlineData("none", "rtp", "rtp,5,1,2,2.009,s2c,0x11223344,0")]
    [InlineData("rtp", "rtp2", "rtp,15,2,4,7.500,both,0x11223344;0x000000aa,0")]   // the client's payload type
    [InlineData("custom", "rtp", "custom+rtp,15,2,4,2.009,both,0x11223344,0")]
    [InlineData("rtp", "custom", "rtp+custom,15,2,4,2.009,both,0x11223344,0")]
    [InlineData("custom", "custom", "custom,20,2,4,,both,,")]
    public void UdpCsv_SequenceCells_FromBothDirections(string c2s, string s2c, string expected)
    {
        var flow = new FlowSummary
        {
            Id = 7, Protocol = 17, Client = IpAddr.Parse("192.0.2.1"), ClientPort = 5004, Server = IpAddr.Parse("2001:db8::2"),
            ServerPort = 5006, PacketsC2S = 3, PacketsS2C = 4, PayloadBytesC2S = 100, PayloadBytesS2C = 200,
            Udp = new UdpSummary(1200, 1, 0) { C2S = Stream(c2s), S2C = Stream(s2c) },
        };
        using var stream = new MemoryStream();

        Utf8CsvTable.Write(stream, CsvColumns.Udp, [new UdpRow(flow)]);

        string row = Encoding.ASCII.GetString(stream.ToArray()).Split("\r\n")[1];
        Assert.Equal("7,192.0.2.1,5004,2001:db8::2,5006,7,300,1200,1,0," + expected, row);

        static UdpStreamSummary? Stream(string kind) => kind switch
        {
            "rtp" => new UdpStreamSummary(true, 5, 1, 2, 2.0091, 0x11223344, 0),
            "rtp2" => new UdpStreamSummary(true, 10, 1, 2, 7.4996, 0xaa, 8),
            "custom" => new UdpStreamSummary(false, 10, 1, 2, double.NaN, 0, -1),
            _ => null,
        };
    }

    [Fact]
    public void FixedNames_ArePlain()
    {
        for (int protocol = 0; protocol < 256; protocol++)
        {
            Assert.True(Utf8Cells.IsPlain(ProtocolNames.Name((byte)protocol)), ProtocolNames.Name((byte)protocol));
        }
        foreach (FlowCloseReason reason in Enum.GetValues<FlowCloseReason>())
        {
            Assert.True(Utf8Cells.IsPlain(ReportRows.CloseName(reason)), reason.ToString());
        }
        // Every column plain but the input file's name, which may need quoting (a comma in it) and is text.
        Assert.All(CsvColumns.Flows.Where(c => c.Name != "file"), c => Assert.NotNull(c.Utf8));
        Assert.NotNull(Assert.Single(CsvColumns.Flows, c => c.Utf8 is null).Text);
    }

    [Theory]
    [InlineData("tcp", true)]
    [InlineData("half_closed", true)]
    [InlineData("2001:db8::1", true)]
    [InlineData("::1", true)]
    [InlineData("-12.5", true)]
    [InlineData("", true)]
    [InlineData("=cmd", false)]
    [InlineData("-x", false)]
    [InlineData("+1", false)]
    [InlineData("@a", false)]
    [InlineData("a,b", false)]
    [InlineData("a\"b", false)]
    [InlineData("a b", false)]
    [InlineData("_a", false)]
    public void IsPlain_OnlyTextNeitherQuotedNorEscaped(string text, bool plain) => Assert.Equal(plain, Utf8Cells.IsPlain(text));

    private static void AssertReadsBack(AnalysisResult result) => AssertReadsBack(ReportRows.Flows(result).ToArray());

    /// <summary>What each cell must read back as: the value's own text, written here without the writer's formatters.</summary>
    private static readonly Dictionary<string, Func<FlowRow, object?>> Expected = new()
    {
        ["flow_id"] = r => r.FlowId, ["proto"] = r => r.Proto, ["client"] = r => r.Client, ["client_port"] = r => r.ClientPort,
        ["server"] = r => r.Server, ["server_port"] = r => r.ServerPort,
        ["first_time"] = r => CaptureTime.ToIso(r.FirstTimeNs, r.TimestampDigits), ["last_time"] = r => CaptureTime.ToIso(r.LastTimeNs, r.TimestampDigits),
        ["packets_c2s"] = r => r.PacketsC2S, ["packets_s2c"] = r => r.PacketsS2C, ["bytes_c2s"] = r => r.BytesC2S, ["bytes_s2c"] = r => r.BytesS2C,
        ["mss_c2s"] = r => r.MssC2S, ["mss_s2c"] = r => r.MssS2C, ["wscale_c2s"] = r => r.WscaleC2S, ["wscale_s2c"] = r => r.WscaleS2C,
        ["irtt_ms"] = r => Ms(r.IrttNs), ["retransmissions"] = r => r.Retransmissions,
        ["zero_window_episodes"] = r => r.ZeroWindowEpisodes, ["zero_window_ms"] = r => Ms(r.ZeroWindowNs),
        ["nagle_stalls"] = r => r.NagleStalls, ["nagle_stall_ms"] = r => Ms(r.NagleStallNs), ["close"] = r => r.Close, ["vlan"] = r => r.Vlan,
        ["payload_bytes_c2s"] = r => r.PayloadBytesC2S, ["payload_bytes_s2c"] = r => r.PayloadBytesS2C,
        ["duration_s"] = r => CaptureTime.Seconds(r.DurationNs), ["first_frame"] = r => r.FirstFrame,
        ["rtt_c2s_min_ms"] = r => Ms(r.RttC2SMinNs), ["rtt_c2s_avg_ms"] = r => Ms(r.RttC2SAvgNs), ["rtt_c2s_max_ms"] = r => Ms(r.RttC2SMaxNs),
        ["rtt_s2c_min_ms"] = r => Ms(r.RttS2CMinNs), ["rtt_s2c_avg_ms"] = r => Ms(r.RttS2CAvgNs), ["rtt_s2c_max_ms"] = r => Ms(r.RttS2CMaxNs),
        ["max_in_flight_c2s"] = r => r.MaxInFlightC2S, ["max_in_flight_s2c"] = r => r.MaxInFlightS2C,
        ["window_full_c2s"] = r => r.WindowFullC2S, ["window_full_s2c"] = r => r.WindowFullS2C, ["zero_window_probes"] = r => r.ZeroWindowProbes,
        ["sack"] = r => Flag(r.Sack), ["timestamps"] = r => Flag(r.Timestamps), ["pmtu_messages"] = r => r.PmtuMessages, ["lowest_pmtu"] = r => r.LowestPmtu,
        ["tunnel"] = r => r.Tunnel, ["file"] = r => r.File,
    };

    private static string? Ms(long? ns) => ns is { } v ? CaptureTime.Milliseconds(v) : null;

    private static string? Flag(bool? value) => value is { } v ? v ? "1" : "0" : null;

    private static void AssertReadsBack(FlowRow[] rows)
    {
        string path = Path.Combine(Path.GetTempPath(), $"pcapinsight-plain-{Guid.NewGuid():N}.csv");
        try
        {
            CsvReportWriter.Write(path, CsvColumns.Flows, rows);
            using CsvReader csv = CsvReader.FromFile(path, new CsvReaderOptions(), FileOptions.None);
            csv.ReadHeader();
            string[] header = CsvColumns.Flows.Select(c => c.Name).ToArray();
            Assert.Equal(header, csv.Headers);
            Assert.Equal(header.Order(StringComparer.Ordinal), Expected.Keys.Order(StringComparer.Ordinal));
            foreach (FlowRow row in rows)
            {
                Assert.True(csv.Read());
                Assert.Equal(header.Length, csv.FieldCount);
                for (int c = 0; c < header.Length; c++)
                {
                    string expected = Convert.ToString(Expected[header[c]](row), CultureInfo.InvariantCulture) ?? "";
                    Assert.True(expected == csv.GetString(c), $"flow {row.FlowId} {header[c]}: wrote '{csv.GetString(c)}', value '{expected}'");
                }
            }
            Assert.False(csv.Read());
            Assert.EndsWith("\r\n", File.ReadAllText(path, Encoding.UTF8));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static FlowSummary RandomFlow(Random r, int id)
    {
        long Any() => r.Next(6) switch
        {
            0 => long.MaxValue,
            1 => long.MinValue + 1,
            2 => 0,
            3 => -r.NextInt64(1, 1_000_000_000),
            _ => r.NextInt64(),
        };
        IpAddr Address()
        {
            if (r.Next(2) == 0)
            {
                return IpAddr.FromIpv4(BitConverter.GetBytes(r.Next()));
            }
            var bytes = new byte[16];
            r.NextBytes(bytes);
            return IpAddr.FromIpv6(bytes);
        }
        TcpDirectionSummary Direction() => new(Any(), Any(), Any(), Any(), Any(), Any(), Any(), Any(),
            r.Next(3) == 0 ? 0 : r.NextInt64(1, 1_000), Any(), Any(), Any());
        return new FlowSummary
        {
            Id = id,
            Protocol = (byte)r.Next(256),
            Client = Address(),
            ClientPort = (ushort)r.Next(65536),
            Server = Address(),
            ServerPort = (ushort)r.Next(65536),
            Vlan = (ushort)r.Next(4096),
            Tunnels = (PcapInsight.Core.Decoding.TunnelKinds)r.Next(128),
            // Capture times within what a pcapng timestamp can say (before and after 1970).
            FirstTimeNs = r.NextInt64(-(1L << 62), 1L << 62),
            LastTimeNs = r.NextInt64(-(1L << 62), 1L << 62),
            FirstFrame = r.NextInt64(1, long.MaxValue),
            PacketsC2S = Any(),
            PacketsS2C = Any(),
            BytesC2S = Any(),
            BytesS2C = Any(),
            PayloadBytesC2S = Any(),
            PayloadBytesS2C = Any(),
            PmtuMessages = r.Next(),
            LowestPmtu = r.Next(-1, 70_000),
            Close = (FlowCloseReason)r.Next(Enum.GetValues<FlowCloseReason>().Length),
            Tcp = r.Next(4) == 0 ? null : new TcpSummary
            {
                SawSyn = r.Next(2) == 0,
                SawSynAck = r.Next(2) == 0,
                MssC2S = r.Next(-1, 65536),
                MssS2C = r.Next(-1, 65536),
                WindowScaleC2S = r.Next(-1, 15),
                WindowScaleS2C = r.Next(-1, 15),
                SackPermittedC2S = r.Next(2) == 0,
                SackPermittedS2C = r.Next(2) == 0,
                TimestampsC2S = r.Next(2) == 0,
                TimestampsS2C = r.Next(2) == 0,
                InitialRttNs = r.Next(3) == 0 ? -1 : Any(),
                C2S = Direction(),
                S2C = Direction(),
            },
        };
    }
}
