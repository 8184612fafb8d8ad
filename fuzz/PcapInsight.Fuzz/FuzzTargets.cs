using System.Buffers.Binary;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Flows;
using PcapInsight.Core.TcpAnalysis;
using PcapInsight.Reporting;

namespace PcapInsight.Fuzz;

/// <summary>
/// What the fuzzer drives. An input passes when it is analysed or refused as "not a capture"
/// (<see cref="CaptureFormatException"/>, exit code 3 in the CLI); any other exception is a crash, and a run that
/// does not end is a hang. Both become regression captures (fuzz/README.md).
/// </summary>
public static class FuzzTargets
{
    /// <summary>Link types the <c>frames</c> target chooses from with its first byte: every one the decoder knows.</summary>
    private static readonly LinkType[] LinkTypes = Enum.GetValues<LinkType>();

    /// <summary>
    /// The whole file path, as <c>pcapinsight analyze</c> and <c>follow</c> take it: reader (pcap, pcapng, gzip),
    /// decoder, flow table, TCP analyses, IP reassembly, UDP analyses, and the TCP stream assembler on the client
    /// side of the first TCP flow.
    /// </summary>
    public static void Capture(Stream input)
    {
        IPacketSource source;
        try
        {
            source = CaptureFile.Open(input, "fuzz");
        }
        catch (CaptureFormatException)
        {
            return; // refused with a message: the defined outcome for a file that is not a capture
        }
        using (source)
        {
            // A small hold limit so the assembler's overflow path is reached by small inputs too.
            var assembler = new TcpStreamAssembler(Stream.Null, maxHeldBytes: 64 << 10, recentBytes: 4 << 10);
            long followed = -1;
            var analyzer = new CaptureAnalyzer
            {
                OnTcpSegment = (Flow flow, bool fromClient, in DecodedPacket p, ReadOnlySpan<byte> frame) =>
                {
                    if (followed < 0)
                    {
                        followed = flow.Id;
                    }
                    if (flow.Id == followed && fromClient)
                    {
                        assembler.Add(p.Seq, (p.Flags & TcpFlags.Syn) != 0, frame.Slice(p.PayloadOffset, p.CapturedPayloadLength), p.PayloadLength);
                    }
                },
            };
            analyzer.RunAll(source, [source.Stats]);
            assembler.Finish();
        }
    }

    /// <summary>
    /// Frames without a file around them, so that mutations land in packet bytes rather than in record headers.
    /// Layout: one byte choosing the link type, then records of [time step in 10 ms units: 1 byte]
    /// [length: 2 bytes, big-endian] [frame bytes]. Turned into a pcap and analysed as <see cref="Capture"/> does,
    /// so a crash it finds is already a capture file.
    /// </summary>
    public static void Frames(ReadOnlySpan<byte> input) => Capture(new MemoryStream(FramesToPcap(input), writable: false));

    /// <summary>
    /// The sharded analysis (<c>--threads</c>) against one analyzer, on the same frames: every CSV table and
    /// summary.json must be the same bytes (the README's promise, held by ThreadsTests on real captures; here on
    /// whatever the fuzzer makes of them: times that step back, flows that reuse ports, fragments of anything).
    /// Input: the <see cref="Frames"/> layout, whose first byte also chooses the limits (<see cref="LimitsFor"/>).
    /// A difference is thrown as <see cref="ShardedReportDiffersException"/>: a crash to the fuzzer.
    /// </summary>
    public static void Threads(ReadOnlySpan<byte> input)
    {
        byte[] pcap = FramesToPcap(input);
        AnalysisOptions options = LimitsFor(input.Length > 0 ? input[0] : (byte)0);
        Dictionary<string, byte[]> one = Report(pcap, options, 1), sharded = Report(pcap, options, ShardedThreads);
        foreach ((string name, byte[] bytes) in one)
        {
            if (!sharded.TryGetValue(name, out byte[]? other) || !bytes.AsSpan().SequenceEqual(other))
            {
                throw new ShardedReportDiffersException(name, bytes, other, ShardedThreads);
            }
        }
        if (sharded.Count != one.Count)
        {
            string extra = sharded.Keys.First(k => !one.ContainsKey(k));
            throw new ShardedReportDiffersException(extra, null, sharded[extra], ShardedThreads);
        }
    }

    /// <summary>Shards for <see cref="Threads"/>: three, so that shard 0 (on the reading thread) and two workers each take flows.</summary>
    private const int ShardedThreads = 3;

    /// <summary>
    /// The limits of a <see cref="Threads"/> run, from its first byte past the link type's choice: the defaults with
    /// a few series slots, or every capture-wide limit tight (two series slots, one profiled host, two listed flows,
    /// seven event rows, fragments given up after 10 ms), where which shard claims or ends first could show.
    /// </summary>
    internal static AnalysisOptions LimitsFor(byte first) => !IsTight(first)
        ? new AnalysisOptions { SeriesFlows = 16 }
        : new AnalysisOptions
        {
            SeriesFlows = 2,
            Nagle = new NagleOptions { MaxProfiledHosts = 1 },
            Flows = new FlowTableOptions { MaxListedFlows = 2 },
            MaxEventRows = 7,
            Fragments = new Core.Fragments.FragmentOptions { Ipv4Timeout = TimeSpan.FromMilliseconds(10), Ipv6Timeout = TimeSpan.FromMilliseconds(10) },
        };

    private static bool IsTight(byte first) => first / LinkTypes.Length % 2 == 1;

    /// <summary>A first byte that chooses the same link type as <paramref name="first"/> and the limits asked for.</summary>
    internal static byte ChooseLimits(byte first, bool tight)
    {
        int linkType = first % LinkTypes.Length;
        return (byte)(linkType + (tight ? LinkTypes.Length : 0));
    }

    /// <summary>Analyses <paramref name="pcap"/> on <paramref name="threads"/> threads; returns the tables and summary.json, by name.</summary>
    private static Dictionary<string, byte[]> Report(byte[] pcap, AnalysisOptions options, int threads)
    {
        string dir = Path.Combine(ScratchRoot, $"t{threads}");
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
        Directory.CreateDirectory(dir);
        using (IPacketSource source = CaptureFile.Open(new MemoryStream(pcap, writable: false), "fuzz"))
        {
            AnalysisResult result = ShardedAnalysis.Run(source, [source.Stats], options with { SpoolDirectory = dir }, threads);
            using IDisposable spools = result.SpoolFiles();
            CsvReportWriter.WriteTables(result, dir, series: true);
            JsonSummaryWriter.Write(result, dir, "fuzz");
        }
        return Directory.GetFiles(dir).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
    }

    /// <summary>
    /// Where <see cref="Threads"/> writes its two reports, a folder of this process's: under PCAPINSIGHT_FUZZ_SCRATCH
    /// (fuzz/fuzz.sh makes one in /dev/shm and removes it at the end), else in /dev/shm (memory: thousands of runs a
    /// minute) or the temporary folder, removed by <see cref="RemoveScratch"/>.
    /// </summary>
    private static readonly string ScratchRoot = Path.Combine(
        Environment.GetEnvironmentVariable("PCAPINSIGHT_FUZZ_SCRATCH") is { Length: > 0 } given ? given
            : Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(),
        $"pcapinsight-fuzz-threads-{Environment.ProcessId}");

    /// <summary>Removes what <see cref="Threads"/> wrote (a replay's end; afl-fuzz stops its targets without one).</summary>
    public static void RemoveScratch()
    {
        if (Directory.Exists(ScratchRoot))
        {
            Directory.Delete(ScratchRoot, recursive: true);
        }
    }

    /// <summary>Writes the <see cref="Frames"/> layout as a nanosecond pcap.</summary>
    public static byte[] FramesToPcap(ReadOnlySpan<byte> input)
    {
        var output = new MemoryStream();
        LinkType linkType = input.Length > 0 ? LinkTypes[input[0] % LinkTypes.Length] : LinkType.Ethernet;
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xA1B23C4D); // pcap, nanosecond timestamps
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], 262_144);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], (uint)linkType);
        output.Write(header);
        long t = 1_700_000_000_000_000_000;
        Span<byte> record = stackalloc byte[16];
        int i = 1;
        while (i + 3 <= input.Length)
        {
            t += input[i] * 10_000_000L;
            int length = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(input[(i + 1)..]), input.Length - i - 3);
            ReadOnlySpan<byte> frame = input.Slice(i + 3, length);
            i += 3 + length;
            BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)(t / 1_000_000_000));
            BinaryPrimitives.WriteUInt32LittleEndian(record[4..], (uint)(t % 1_000_000_000));
            BinaryPrimitives.WriteUInt32LittleEndian(record[8..], (uint)frame.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(record[12..], (uint)frame.Length);
            output.Write(record);
            output.Write(frame);
        }
        return output.ToArray();
    }
}

/// <summary>The sharded analysis wrote another report than one analyzer: the file, and the first line that differs.</summary>
public sealed class ShardedReportDiffersException(string file, byte[]? single, byte[]? sharded, int threads)
    : Exception(Describe(file, single, sharded, threads))
{
    private static string Describe(string file, byte[]? single, byte[]? sharded, int threads)
    {
        if (single is null || sharded is null)
        {
            return $"{file} was written by {(single is null ? "the sharded analysis only" : "one analyzer only")}";
        }
        string[] a = System.Text.Encoding.UTF8.GetString(single).Split('\n'), b = System.Text.Encoding.UTF8.GetString(sharded).Split('\n');
        int line = 0;
        while (line < a.Length && line < b.Length && a[line] == b[line])
        {
            line++;
        }
        string At(string[] lines) => line < lines.Length ? lines[line] : "(the end)";
        return $"{file} differs at line {line + 1}:\n  one thread:  {At(a)}\n  {threads} threads:  {At(b)}";
    }
}
