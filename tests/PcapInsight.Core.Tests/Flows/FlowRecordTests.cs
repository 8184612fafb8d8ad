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

    [Theory]
    [MemberData(nameof(Samples))]
    public void ReadIntoAndFill_ASummaryThatHeldOtherFlows_KeepNothingOfThem(string sample)
    {
        // A pool hands a summary from flow to flow (TCP after UDP after ICMP): each decode and each summarising must
        // leave it equal to a new one's, in either order of the flows.
        var result = Captures.Analyze(RepoPaths.Sample(sample));
        var bytes = new byte[FlowRecord.MaxEncodedBytes];
        var decoded = new FlowSummary();
        var filled = new FlowSummary();

        foreach (Flow flow in result.Flows.Concat(result.Flows.Reverse()))
        {
            FlowRecord.Write(bytes, flow);
            FlowSummary fresh = FlowSummary.Of(flow);

            Assert.Equal(fresh, FlowRecord.ReadInto(bytes, decoded, out _));
            Assert.Equal(fresh, FlowSummary.Fill(filled, flow));
        }
    }

    [Fact]
    public void ReadIntoAndFill_SetEveryProperty()
    {
        // Every settable property of a summary and its TCP part given a value no flow has: a property that a new
        // field adds and ReadInto or Fill forgets keeps it, and the comparison fails.
        var result = Captures.Analyze(RepoPaths.Sample("tcp-basic.pcap"));
        var bytes = new byte[FlowRecord.MaxEncodedBytes];
        foreach (Flow flow in result.Flows)
        {
            FlowRecord.Write(bytes, flow);

            Assert.Equal(FlowSummary.Of(flow), FlowRecord.ReadInto(bytes, Junk(), out _));
            Assert.Equal(FlowSummary.Of(flow), FlowSummary.Fill(Junk(), flow));
        }

        static FlowSummary Junk()
        {
            var tcp = new TcpSummary();
            var udp = new UdpSummary(0, 0, 0);
            var summary = new FlowSummary { Tcp = tcp, Udp = udp };
            foreach (object target in new object[] { summary, tcp, udp })
            {
                foreach (System.Reflection.PropertyInfo p in target.GetType().GetProperties().Where(p => p.SetMethod is not null && p.Name != "EqualityContract"))
                {
                    object? junk = p.PropertyType switch
                    {
                        Type t when t == typeof(int) => -7,
                        Type t when t == typeof(long) => -7L,
                        Type t when t == typeof(ushort) => (ushort)7,
                        Type t when t == typeof(byte) => (byte)77,
                        Type t when t == typeof(bool) => true,
                        Type t when t == typeof(IpAddr) => IpAddr.Parse("203.0.113.77"),
                        Type t when t == typeof(FlowCloseReason) => (FlowCloseReason)77,
                        Type t when t == typeof(TunnelKinds) => (TunnelKinds)77,
                        Type t when t == typeof(TcpDirectionSummary) => new TcpDirectionSummary(-7, -7, -7, -7, -7, -7, -7, -7, -7, -7, -7, -7),
                        Type t when t == typeof(UdpStreamSummary?) => new UdpStreamSummary(true, -7, -7, -7, -7, 7, -7),
                        _ => p.GetValue(target),   // the TCP and UDP parts, set above
                    };
                    if (p.PropertyType != typeof(TcpSummary) && p.PropertyType != typeof(UdpSummary))
                    {
                        Assert.NotEqual(p.GetValue(target), junk);   // a type added without a junk value above fails here
                    }
                    p.SetValue(target, junk);
                }
            }
            return summary;
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
            FirstFrame = long.MinValue, FirstFileIndex = int.MinValue, PacketsC2S = long.MinValue, PacketsS2C = long.MinValue, BytesC2S = long.MinValue,
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

    /// <summary>LEB128 as the format defines it (the bytes, not only the round trip), each value after a one-byte one, so positions carry over.</summary>
    [Theory]
    [InlineData(0UL, "00")]
    [InlineData(1UL, "01")]
    [InlineData(127UL, "7F")]
    [InlineData(128UL, "8001")]
    [InlineData(300UL, "AC02")]
    [InlineData(16_383UL, "FF7F")]
    [InlineData(16_384UL, "808001")]
    [InlineData(0x8000_0000_0000_0000UL, "80808080808080808001")]
    [InlineData(ulong.MaxValue, "FFFFFFFFFFFFFFFFFF01")]
    public void UnsignedNumbers_AreWrittenAsLeb128_AndReadBackInTurn(ulong value, string hex)
    {
        var bytes = new byte[1 + 10 + 1];
        var w = new ByteWriter(bytes);
        w.WriteVar(5UL);
        w.WriteVar(value);
        w.WriteVar(0x42UL);

        Assert.Equal("05" + hex + "42", Convert.ToHexString(bytes, 0, w.Position));
        var r = new ByteCursor(bytes);
        Assert.Equal(5UL, r.VarUInt64());
        Assert.Equal(value, r.VarUInt64());
        Assert.Equal(1 + hex.Length / 2, r.Position);
        Assert.Equal(0x42UL, r.VarUInt64());
        Assert.Equal(w.Position, r.Position);
    }
}
