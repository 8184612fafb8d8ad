using PcapInsight.Core.Decoding;
using PcapInsight.Core.Flows;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Core.Tests.Flows;

/// <summary>The spool's record: written from a released flow, read back as the summary that flow had.</summary>
public class FlowRecordTests
{
    public static TheoryData<string> Samples => new()
    {
        "tcp-basic.pcap",                   // TCP, UDP and ICMP flows, IPv4 and IPv6
        "rtp-gaps-jitter.pcap",             // UDP with RTP sequence figures (loss, jitter, SSRC)
        "udp-fragment-loss.server.pcap",    // fragmented datagrams, some lost with a fragment
        "bulk-loss-reorder.client.pcap",    // retransmissions, RTT samples, bytes in flight
        "zero-window.server.pcap",          // zero-window episodes and probes
        "nagle-delack.client.pcap",         // Nagle stalls
        "pmtu-icmp.client.pcap",            // PMTU messages
    };

    [Theory]
    [MemberData(nameof(Samples))]
    public void WrittenFromTheFlow_ReadsBackAsItsSummary_AndMatchesTheSummarysRecord(string sample)
    {
        var result = Captures.Analyze(RepoPaths.Sample(sample));
        var fromFlow = new byte[FlowRecord.MaxEncodedBytes];
        var fromSummary = new byte[FlowRecord.MaxEncodedBytes];
        Assert.NotEmpty(result.Flows);

        foreach (Flow flow in result.Flows)
        {
            FlowSummary summary = FlowSummary.Of(flow);
            int length = FlowRecord.Write(fromFlow, flow);

            Assert.Equal(fromSummary.AsSpan(0, FlowRecord.Write(fromSummary, summary)).ToArray(), fromFlow.AsSpan(0, length).ToArray());
            Assert.Equal(summary, FlowRecord.Read(fromFlow, out int read));
            Assert.Equal(length, read);
        }
    }

    [Fact]
    public void AShortConnection_TakesAboutAHundredBytes()
    {
        // Variable-length numbers: the records of a million connections are written to the spool and read back once
        // per table. Fixed widths took 344 bytes a TCP record.
        var result = Captures.Analyze(RepoPaths.Sample("tcp-basic.pcap"));
        var bytes = new byte[FlowRecord.MaxEncodedBytes];

        foreach (Flow flow in result.Flows.Where(f => f.Protocol == 6))
        {
            Assert.InRange(FlowRecord.Write(bytes, flow), 60, 130);
        }
    }

    [Fact]
    public void MaxEncodedBytes_IsWhatTheLongestRecordTakes()
    {
        // Every number at its longest (zig-zag puts the most negative value last), and both the UDP and TCP parts,
        // which no flow has together: a reader holding this many bytes can always decode the next record.
        var stream = new UdpStreamSummary(true, long.MinValue, long.MinValue, long.MinValue, 1.5, uint.MaxValue, int.MinValue);
        var direction = new TcpDirectionSummary(long.MinValue, long.MinValue, long.MinValue, long.MinValue, long.MinValue,
            long.MinValue, long.MinValue, long.MinValue, long.MinValue, long.MinValue, long.MinValue, long.MinValue);
        IpAddr widest = IpAddr.Parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
        var longest = new FlowSummary
        {
            Id = int.MinValue, Protocol = 255, Client = widest, ClientPort = ushort.MaxValue, Server = widest,
            ServerPort = ushort.MaxValue, Vlan = ushort.MaxValue, FirstTimeNs = long.MinValue, LastTimeNs = 0,   // 0 - min: min again
            FirstFrame = long.MinValue, PacketsC2S = long.MinValue, PacketsS2C = long.MinValue, BytesC2S = long.MinValue,
            BytesS2C = long.MinValue, PayloadBytesC2S = long.MinValue, PayloadBytesS2C = long.MinValue,
            PmtuMessages = int.MinValue, LowestPmtu = int.MinValue, Close = FlowCloseReason.Reset,
            Udp = new UdpSummary(int.MinValue, long.MinValue, long.MinValue) { C2S = stream, S2C = stream },
            Tcp = new TcpSummary
            {
                SawSyn = true, MssC2S = int.MinValue, MssS2C = int.MinValue, WindowScaleC2S = int.MinValue,
                WindowScaleS2C = int.MinValue, InitialRttNs = long.MinValue, C2S = direction, S2C = direction,
            },
        };
        var bytes = new byte[FlowRecord.MaxEncodedBytes + 16];

        Assert.Equal(FlowRecord.MaxEncodedBytes, FlowRecord.Write(bytes, longest));
        Assert.Equal(longest, FlowRecord.Read(bytes, out int length));
        Assert.Equal(FlowRecord.MaxEncodedBytes, length);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(-1L)]
    [InlineData(63L)]
    [InlineData(64L)]                     // zig-zag 128: the first two-byte value
    [InlineData(-65L)]
    [InlineData(1_700_000_000_000_000_000L)]   // a capture time in ns
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    public void VariableLengthNumbers_ComeBackAsWritten(long value)
    {
        var bytes = new byte[10];
        var w = new ByteWriter(bytes);
        w.WriteVar(value);
        var r = new ByteCursor(bytes);

        Assert.Equal(value, r.VarInt64());
        Assert.Equal(w.Position, r.Position);
        Assert.InRange(w.Position, 1, 10);
    }
}
