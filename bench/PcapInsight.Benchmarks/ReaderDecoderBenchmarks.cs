using BenchmarkDotNet.Attributes;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using PcapInsight.TestKit;

namespace PcapInsight.Benchmarks;

/// <summary>
/// Reader, decoder and the whole per-packet pipeline over an in-memory capture of 100,000 header-only frames.
/// Run: dotnet run -c Release --project bench/PcapInsight.Benchmarks -- --filter '*'
/// </summary>
[MemoryDiagnoser]
public class ReaderDecoderBenchmarks
{
    private const int Frames = 100_000;
    private byte[] _capture = [];
    private byte[] _frame = [];
    private byte[] _udpFrame = [];
    private byte[] _vxlanFrame = [];

    [GlobalSetup]
    public void Setup()
    {
        string path = Path.GetTempFileName();
        SmallPackets.Write(path, Frames, 1_000);
        _capture = File.ReadAllBytes(path);
        File.Delete(path);
        _frame = FrameBuilder.Ethernet(0x0800, FrameBuilder.Ipv4("192.0.2.1", "198.51.100.1", 6,
            FrameBuilder.Tcp(40000, 443, seq: 1, ack: 1, flags: TcpFlags.Ack, options: FrameBuilder.TimestampOption(1, 2), payloadLength: 10)));
        _udpFrame = FrameBuilder.Ethernet(0x0800, FrameBuilder.Ipv4("192.0.2.1", "198.51.100.1", 17, FrameBuilder.Udp(40000, 5004, 160)));
        _vxlanFrame = FrameBuilder.Ethernet(0x0800, FrameBuilder.Ipv4("192.0.2.1", "198.51.100.1", 17, TunnelFrames.UdpCarrying(40000, 4789,
            TunnelFrames.Vxlan(42, _frame))));
    }

    /// <summary>Reading only: frames per call = 100,000.</summary>
    [Benchmark(OperationsPerInvoke = Frames)]
    public long Read()
    {
        using IPacketSource source = CaptureFile.Open(new MemoryStream(_capture, writable: false), "bench");
        long bytes = 0;
        while (source.TryRead(out CaptureInfo info, out ReadOnlySpan<byte> data))
        {
            bytes += data.Length;
        }
        return bytes;
    }

    /// <summary>Decoding one Ethernet/IPv4/TCP frame with timestamps.</summary>
    [Benchmark]
    public uint Decode()
    {
        var p = new DecodedPacket();
        FrameDecoder.Decode(_frame, LinkType.Ethernet, ref p);
        return p.Seq;
    }

    /// <summary>Decoding one Ethernet/IPv4/UDP frame of an RTP-sized datagram (a port no tunnel uses).</summary>
    [Benchmark]
    public int DecodeUdp()
    {
        var p = new DecodedPacket();
        FrameDecoder.Decode(_udpFrame, LinkType.Ethernet, ref p);
        return p.PayloadLength;
    }

    /// <summary>Decoding the TCP frame of <see cref="Decode"/> inside VXLAN: the tunnel's header and the frame inside.</summary>
    [Benchmark]
    public uint DecodeVxlan()
    {
        var p = new DecodedPacket();
        FrameDecoder.Decode(_vxlanFrame, LinkType.Ethernet, ref p);
        return p.Seq;
    }

    /// <summary>Read + decode + flow table + counters, per frame.</summary>
    [Benchmark(OperationsPerInvoke = Frames)]
    public long Pipeline()
    {
        using IPacketSource source = CaptureFile.Open(new MemoryStream(_capture, writable: false), "bench");
        var analyzer = new CaptureAnalyzer();
        while (source.TryRead(out CaptureInfo info, out ReadOnlySpan<byte> data))
        {
            analyzer.Process(info, data);
        }
        return analyzer.Finish([source.Stats]).Flows.Count;
    }

    /// <summary>
    /// The same whole pipeline sharded over 2 and 4 analyzers (--threads), per frame: what a run costs beyond its
    /// frames (threads, batches, the merge) is spread over these 100,000, and the allocation column shows it.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Frames)]
    [Arguments(2)]
    [Arguments(4)]
    public long ShardedPipeline(int threads)
    {
        using IPacketSource source = CaptureFile.Open(new MemoryStream(_capture, writable: false), "bench");
        return ShardedAnalysis.Run(source, [source.Stats], new AnalysisOptions(), threads).Flows.Count;
    }
}
