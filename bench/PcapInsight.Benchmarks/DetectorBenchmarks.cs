using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.Core.TcpAnalysis;
using PcapInsight.TestKit;

namespace PcapInsight.Benchmarks;

/// <summary>
/// The analysis per frame, one sample capture per detector: each capture is real Linux traffic whose frames
/// exercise one detector's paths (sample-captures/README.md). Frames are read into memory first, so the figures
/// are the analyzer's alone (decoder, flow table, TCP tracker and the detectors); a fresh analyzer is made outside
/// the measurement for every pass, so "allocated" is what the per-frame path allocates: flow and per-direction
/// state on a flow's first frames, event rows, reassembly buffers; zero on the in-order path of a known flow.
/// Figures are per capture (the frame counts are in sample-captures/README.md); compare the median.
/// Run: dotnet run -c Release --project bench/PcapInsight.Benchmarks -- --filter '*Detector*'
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, warmupCount: 5, iterationCount: 30, invocationCount: 1)]
public class DetectorBenchmarks
{
    /// <summary>Detector name = the capture that exercises it.</summary>
    public static IEnumerable<string> Scenarios =>
    [
        "tcp-in-order:bulk-window-scaling.server.pcap",
        "tcp-loss-reorder:bulk-loss-reorder.server.pcap",
        "tcp-rto:rto-outage.client.pcap",
        "zero-window:zero-window.server.pcap",
        "nagle-delayed-ack:nagle-delack.server.pcap",
        "pmtu:pmtu-icmp.client.pcap",
        "ip-fragments:udp-fragment-loss.server.pcap",
        "fragment-overlaps:ip-fragments-overlap.pcap",
        "udp-rtp:rtp-gaps-jitter.pcap",
        "dns:dns-unanswered.pcap",
    ];

    [ParamsSource(nameof(Scenarios))]
    public string Scenario { get; set; } = "";

    private CaptureInfo[] _infos = [];
    private byte[][] _frames = [];
    private CaptureAnalyzer _analyzer = new();

    [GlobalSetup]
    public void Setup()
    {
        string file = Scenario[(Scenario.IndexOf(':') + 1)..];
        var infos = new List<CaptureInfo>();
        var frames = new List<byte[]>();
        using IPacketSource source = CaptureFile.Open(RepoPaths.Sample(file));
        while (source.TryRead(out CaptureInfo info, out ReadOnlySpan<byte> data))
        {
            infos.Add(info);
            frames.Add(data.ToArray());
        }
        _infos = [.. infos];
        _frames = [.. frames];
    }

    [IterationSetup]
    public void FreshAnalyzer() => _analyzer = new CaptureAnalyzer();

    /// <summary>Every frame of the capture through the analyzer; per frame.</summary>
    [Benchmark]
    public long AnalyzeCapture()
    {
        CaptureAnalyzer analyzer = _analyzer;
        for (int i = 0; i < _frames.Length; i++)
        {
            analyzer.Process(_infos[i], _frames[i]);
        }
        return analyzer.FramesSeen;
    }
}

/// <summary>
/// The follow command's stream assembler on an in-order stream of 1,448-byte segments, and the census of
/// <c>pcapinsight info</c> (read + decode only) on one frame.
/// </summary>
[MemoryDiagnoser]
public class StreamAndCensusBenchmarks
{
    private const int Segments = 10_000;
    private readonly byte[] _segment = new byte[1448];
    private byte[] _frame = [];
    private readonly CaptureCensus _census = new();

    [GlobalSetup]
    public void Setup() => _frame = FrameBuilder.Ethernet(0x0800, FrameBuilder.Ipv4("192.0.2.1", "198.51.100.1", 6,
        FrameBuilder.Tcp(40000, 443, seq: 1, ack: 1, flags: Core.Decoding.TcpFlags.Ack, options: FrameBuilder.TimestampOption(1, 2), payloadLength: 10)));

    /// <summary>In-order segments into the assembler (writing to Stream.Null); per segment.</summary>
    [Benchmark(OperationsPerInvoke = Segments)]
    public long StreamAssemblerInOrder()
    {
        var assembler = new TcpStreamAssembler(Stream.Null);
        uint seq = 1_000;
        assembler.Add(seq, syn: true, [], 0);
        seq++;
        for (int i = 0; i < Segments; i++)
        {
            assembler.Add(seq, syn: false, _segment, _segment.Length);
            seq += (uint)_segment.Length;
        }
        return assembler.Length;
    }

    /// <summary>One frame counted by the census (read-and-decode floor).</summary>
    [Benchmark]
    public long Census()
    {
        _census.Add(new CaptureInfo(1, 1, _frame.Length, _frame.Length, 0, LinkType.Ethernet), _frame);
        return _census.Frames;
    }
}
