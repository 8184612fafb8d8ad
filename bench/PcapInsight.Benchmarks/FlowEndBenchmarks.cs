using BenchmarkDotNet.Attributes;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Flows;
using PcapInsight.TestKit;

namespace PcapInsight.Benchmarks;

/// <summary>
/// The end of a capture of many connections still in the table: <see cref="FlowTable.FinishAll"/> over 200,000 open
/// TCP flows in the 64 partitions of the default table (each closed least recently active first over all of them),
/// and the spool's record of one short connection written and read back (<see cref="FlowRecord"/>: a million times a
/// million-connection report). Per flow or record, with allocations.
/// Run: dotnet run -c Release --project bench/PcapInsight.Benchmarks -- --filter '*FlowEnd*'
/// </summary>
[MemoryDiagnoser]
public class FlowEndBenchmarks
{
    private const int OpenFlows = 200_000;
    private DecodedPacket[] _packets = [];
    private FlowTable _table = null!;
    private Flow _flow = null!;
    private readonly byte[] _buffer = new byte[FlowRecord.MaxEncodedBytes];
    private byte[] _record = [];
    private readonly FlowSummary _summary = new();

    [GlobalSetup]
    public void Setup()
    {
        _packets = new DecodedPacket[OpenFlows];
        for (int i = 0; i < OpenFlows; i++)
        {
            byte[] frame = FrameBuilder.Ethernet(0x0800, FrameBuilder.Ipv4($"192.0.2.{1 + i / 60_000}", "198.51.100.1", 6,
                FrameBuilder.Tcp((ushort)(1_024 + i % 60_000), 80, seq: 1000, flags: TcpFlags.Ack | TcpFlags.Psh, payloadLength: 40)));
            FrameDecoder.Decode(frame, LinkType.Ethernet, ref _packets[i]);
        }
        // One short connection as a client and server exchange it: handshake, a request, its answer, FIN both ways.
        var table = new FlowTable(new FlowTableOptions());
        (string src, string dst, ushort sp, ushort dp, uint seq, uint ack, TcpFlags flags, int payload)[] exchange =
        [
            ("192.0.2.1", "198.51.100.1", 40_000, 80, 1000, 0, TcpFlags.Syn, 0),
            ("198.51.100.1", "192.0.2.1", 80, 40_000, 9000, 1001, TcpFlags.Syn | TcpFlags.Ack, 0),
            ("192.0.2.1", "198.51.100.1", 40_000, 80, 1001, 9001, TcpFlags.Ack, 0),
            ("192.0.2.1", "198.51.100.1", 40_000, 80, 1001, 9001, TcpFlags.Ack | TcpFlags.Psh, 120),
            ("198.51.100.1", "192.0.2.1", 80, 40_000, 9001, 1121, TcpFlags.Ack | TcpFlags.Psh, 900),
            ("192.0.2.1", "198.51.100.1", 40_000, 80, 1121, 9901, TcpFlags.Ack | TcpFlags.Fin, 0),
            ("198.51.100.1", "192.0.2.1", 80, 40_000, 9901, 1122, TcpFlags.Ack | TcpFlags.Fin, 0),
        ];
        for (int i = 0; i < exchange.Length; i++)
        {
            var e = exchange[i];
            byte[] frame = FrameBuilder.Ethernet(0x0800, FrameBuilder.Ipv4(e.src, e.dst, 6,
                FrameBuilder.Tcp(e.sp, e.dp, seq: e.seq, ack: e.ack, flags: e.flags, payloadLength: e.payload)));
            var p = new DecodedPacket();
            FrameDecoder.Decode(frame, LinkType.Ethernet, ref p);
            var info = new CaptureInfo(i + 1, 1_700_000_000_000_000_000 + 150_000L * i, frame.Length, frame.Length, 0, LinkType.Ethernet);
            table.ClockNs = info.TimestampNs;
            _flow = table.Update(p, info, out _, out _);
        }
        _record = _buffer[..FlowRecord.Write(_buffer, _flow)];
    }

    [IterationSetup(Target = nameof(FinishAll))]
    public void FillTheTable()
    {
        _table = new FlowTable(new FlowTableOptions());
        for (int i = 0; i < _packets.Length; i++)
        {
            var info = new CaptureInfo(i + 1, 1_700_000_000_000_000_000 + 1_000L * i, 94, 94, 0, LinkType.Ethernet);
            _table.ClockNs = info.TimestampNs;
            _table.Update(_packets[i], info, out _, out _);
        }
    }

    /// <summary>Every open flow closed at the end of the capture; per flow.</summary>
    [Benchmark(OperationsPerInvoke = OpenFlows)]
    public int FinishAll()
    {
        _table.FinishAll();
        return _table.FinishedCount;
    }

    /// <summary>The record of a short connection written from its flow.</summary>
    [Benchmark]
    public int WriteRecord() => FlowRecord.Write(_buffer, _flow);

    /// <summary>That record read back into a summary given back for reuse.</summary>
    [Benchmark]
    public int ReadRecord()
    {
        FlowRecord.ReadInto(_record, _summary, out int length);
        return length;
    }
}
