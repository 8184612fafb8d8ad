using BenchmarkDotNet.Attributes;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Flows;
using PcapInsight.TestKit;

namespace PcapInsight.Benchmarks;

/// <summary>
/// The flow table past <c>--max-flows</c>: 200,000 new UDP flows through a table of 4,096 flows (one partition) and
/// of 65,536 (16 partitions, <see cref="FlowPartitions"/>), so nearly every new flow evicts the least recently active
/// of its partition; the evicted flows are released and their objects carry the next ones, as in an analysis. Per
/// new flow, with allocations.
/// Run: dotnet run -c Release --project bench/PcapInsight.Benchmarks -- --filter '*FlowTable*'
/// </summary>
[MemoryDiagnoser]
public class FlowTableBenchmarks
{
    private const int NewFlows = 200_000;
    private DecodedPacket[] _packets = [];

    /// <summary>--max-flows.</summary>
    [Params(4_096, 65_536)]
    public int MaxFlows { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _packets = new DecodedPacket[NewFlows];
        for (int i = 0; i < NewFlows; i++)
        {
            byte[] frame = FrameBuilder.Ethernet(0x0800, FrameBuilder.Ipv4($"192.0.2.{1 + i / 60_000}", "198.51.100.1", 17,
                FrameBuilder.Udp((ushort)(1_024 + i % 60_000), 53, payloadLength: 40)));
            FrameDecoder.Decode(frame, LinkType.Ethernet, ref _packets[i]);
        }
    }

    /// <summary>Each packet a new flow; past the limit each one evicts another.</summary>
    [Benchmark(OperationsPerInvoke = NewFlows)]
    public long NewFlowsPastTheLimit()
    {
        var table = new FlowTable(new FlowTableOptions { MaxFlows = MaxFlows, MaxListedFlows = 1 }) { RecycleReleased = true };
        for (int i = 0; i < _packets.Length; i++)
        {
            var info = new CaptureInfo(i + 1, 1_700_000_000_000_000_000 + 1_000L * i, 82, 82, 0, LinkType.Ethernet);
            table.ClockNs = info.TimestampNs;
            table.Update(_packets[i], info, out _, out _);
        }
        return table.Evicted;
    }
}
