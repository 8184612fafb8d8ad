using PcapInsight.Core.Decoding;
using PcapInsight.Core.TcpAnalysis;

namespace PcapInsight.Core.Flows;

/// <summary>
/// The spool's record of one released flow: what <see cref="FlowSummary"/> holds, written straight from the
/// <see cref="Flow"/> (no summary object a release) or from a summary, and read back as a summary, in the same process.
/// </summary>
/// <remarks>
/// Numbers are variable-length (LEB128, signed ones zig-zagged; the last time as a distance from the first): most
/// counters of a short connection are zero or small, so a TCP record takes about 100 bytes where fixed widths took
/// about 350. On a million connections that is the difference between writing and reading back 90 MB and 320 MB, and
/// the summary objects a release made were 420 MB of garbage collected while every live flow sat in the old
/// generation (flows.pcap: the end of the capture, which releases 900,000 flows at once, took 2.7-3.2 s, now
/// 0.9-1.5 s; see bench/RESULTS.md).
/// </remarks>
internal static class FlowRecord
{
    /// <summary>
    /// The most bytes a record takes (a TCP flow with every number at its longest; the UDP part is counted too,
    /// although a flow never has both): a reader that has this many bytes in hand can always decode the next record.
    /// </summary>
    public const int MaxEncodedBytes =
        5 + 1 + 2 * AddressBytes + 3 * 3    // id, protocol, client, server, their ports, VLAN
        + 2 * 10 + 7 * 10 + 5 + 2 * 5 + 1 + 1   // times, first frame and six counters, first file, PMTU messages and lowest PMTU, close, tunnels
        + 1 + 5 + 2 * 10 + 2 * UdpStreamBytes   // UDP: present, largest datagram, fragmented, lost; each direction
        + 1 + 1 + 4 * 5 + 10 + 2 * TcpDirectionBytes;   // TCP: present, flags, MSS and scales, initial RTT; directions

    private const int AddressBytes = 1 + 2 * 10;
    private const int UdpStreamBytes = 1 + 1 + 3 * 10 + 8 + 4 + 5;
    private const int TcpDirectionBytes = 12 * 10;

    /// <summary>Writes the record of <paramref name="flow"/> as it stands; returns its length.</summary>
    public static int Write(Span<byte> into, Flow flow)
    {
        var w = new ByteWriter(into);
        WriteHead(ref w, flow.Id, flow.Protocol, flow.Client, flow.ClientPort, flow.Server, flow.ServerPort, flow.Key.Vlan,
            flow.FirstTimeNs, flow.LastTimeNs, flow.FirstFrame, flow.FirstFileIndex, flow.PacketsC2S, flow.PacketsS2C, flow.BytesC2S,
            flow.BytesS2C, flow.PayloadBytesC2S, flow.PayloadBytesS2C, flow.PmtuMessages, flow.LowestPmtu, flow.Close, flow.Tunnels);
        w.Write(flow.Udp is not null);
        if (flow.Udp is { } u)
        {
            WriteUdp(ref w, u.MaxDatagram, u.FragmentedDatagrams, u.LostWithFragment, UdpStreamSummary.Of(u.C2S), UdpStreamSummary.Of(u.S2C));
        }
        w.Write(flow.Tcp is not null);
        if (flow.Tcp is { } t)
        {
            WriteTcp(ref w, TcpFlags(t.SawSyn, t.SawSynAck, t.SackPermittedC2S, t.SackPermittedS2C, t.TimestampsC2S, t.TimestampsS2C),
                t.MssC2S, t.MssS2C, t.WindowScaleC2S, t.WindowScaleS2C, t.InitialRttNs,
                TcpDirectionSummary.Of(t.C2S), TcpDirectionSummary.Of(t.S2C));
        }
        return w.Position;
    }

    /// <summary>Writes the record of <paramref name="s"/>; returns its length.</summary>
    public static int Write(Span<byte> into, FlowSummary s)
    {
        var w = new ByteWriter(into);
        WriteHead(ref w, s.Id, s.Protocol, s.Client, s.ClientPort, s.Server, s.ServerPort, s.Vlan, s.FirstTimeNs, s.LastTimeNs,
            s.FirstFrame, s.FirstFileIndex, s.PacketsC2S, s.PacketsS2C, s.BytesC2S, s.BytesS2C, s.PayloadBytesC2S, s.PayloadBytesS2C,
            s.PmtuMessages, s.LowestPmtu, s.Close, s.Tunnels);
        w.Write(s.Udp is not null);
        if (s.Udp is { } u)
        {
            WriteUdp(ref w, u.MaxDatagram, u.FragmentedDatagrams, u.LostWithFragment, u.C2S, u.S2C);
        }
        w.Write(s.Tcp is not null);
        if (s.Tcp is { } t)
        {
            WriteTcp(ref w, TcpFlags(t.SawSyn, t.SawSynAck, t.SackPermittedC2S, t.SackPermittedS2C, t.TimestampsC2S, t.TimestampsS2C),
                t.MssC2S, t.MssS2C, t.WindowScaleC2S, t.WindowScaleS2C, t.InitialRttNs, t.C2S, t.S2C);
        }
        return w.Position;
    }

    /// <summary>Reads the record at the start of <paramref name="bytes"/>; <paramref name="length"/> is how many bytes it took.</summary>
    public static FlowSummary Read(ReadOnlySpan<byte> bytes, out int length) => ReadInto(bytes, new FlowSummary(), out length);

    /// <summary>
    /// As <see cref="Read"/>, into <paramref name="s"/>: every property is set (its TCP or UDP part reused), so a summary
    /// that held another flow keeps nothing of it. For summaries a <see cref="FlowSummaryPool"/> hands back.
    /// </summary>
    internal static FlowSummary ReadInto(ReadOnlySpan<byte> bytes, FlowSummary s, out int length, FlowSummaryPool? parts = null)
    {
        var r = new ByteCursor(bytes);
        s.Id = r.VarInt32();
        s.Protocol = r.Byte();
        s.Client = ReadAddress(ref r);
        s.ClientPort = (ushort)r.VarUInt64();
        s.Server = ReadAddress(ref r);
        s.ServerPort = (ushort)r.VarUInt64();
        s.Vlan = (ushort)r.VarUInt64();
        long first = r.VarInt64();
        s.FirstTimeNs = first;
        s.LastTimeNs = unchecked(first + r.VarInt64());
        s.FirstFrame = r.VarInt64();
        s.FirstFileIndex = r.VarInt32();
        s.PacketsC2S = r.VarInt64();
        s.PacketsS2C = r.VarInt64();
        s.BytesC2S = r.VarInt64();
        s.BytesS2C = r.VarInt64();
        s.PayloadBytesC2S = r.VarInt64();
        s.PayloadBytesS2C = r.VarInt64();
        s.PmtuMessages = r.VarInt32();
        s.LowestPmtu = r.VarInt32();
        s.Close = (FlowCloseReason)r.Byte();
        s.Tunnels = (TunnelKinds)r.Byte();
        if (r.Bool())
        {
            s.Udp = ReadUdp(ref r, FlowSummaryPool.UdpPart(s, parts));
        }
        else
        {
            FlowSummaryPool.NoUdpPart(s, parts);
        }
        if (r.Bool())
        {
            s.Tcp = ReadTcp(ref r, FlowSummaryPool.TcpPart(s, parts));
        }
        else
        {
            FlowSummaryPool.NoTcpPart(s, parts);
        }
        length = r.Position;
        return s;
    }

    private static void WriteHead(ref ByteWriter w, int id, byte protocol, IpAddr client, ushort clientPort, IpAddr server,
        ushort serverPort, ushort vlan, long firstTimeNs, long lastTimeNs, long firstFrame, int firstFileIndex, long packetsC2S, long packetsS2C,
        long bytesC2S, long bytesS2C, long payloadC2S, long payloadS2C, int pmtuMessages, int lowestPmtu, FlowCloseReason close, TunnelKinds tunnels)
    {
        w.WriteVar(id);
        w.Write(protocol);
        WriteAddress(ref w, client);
        w.WriteVar((ulong)clientPort);
        WriteAddress(ref w, server);
        w.WriteVar((ulong)serverPort);
        w.WriteVar((ulong)vlan);
        w.WriteVar(firstTimeNs);
        w.WriteVar(unchecked(lastTimeNs - firstTimeNs));
        w.WriteVar(firstFrame);
        w.WriteVar(firstFileIndex);
        w.WriteVar(packetsC2S);
        w.WriteVar(packetsS2C);
        w.WriteVar(bytesC2S);
        w.WriteVar(bytesS2C);
        w.WriteVar(payloadC2S);
        w.WriteVar(payloadS2C);
        w.WriteVar(pmtuMessages);
        w.WriteVar(lowestPmtu);
        w.Write((byte)close);
        w.Write((byte)tunnels);
    }

    private static void WriteUdp(ref ByteWriter w, int maxDatagram, long fragmented, long lostWithFragment,
        UdpStreamSummary? c2s, UdpStreamSummary? s2c)
    {
        w.WriteVar(maxDatagram);
        w.WriteVar(fragmented);
        w.WriteVar(lostWithFragment);
        WriteUdpStream(ref w, c2s);
        WriteUdpStream(ref w, s2c);
    }

    private static void WriteUdpStream(ref ByteWriter w, UdpStreamSummary? summary)
    {
        w.Write(summary is not null);
        if (summary is not { } s)
        {
            return;
        }
        w.Write(s.Rtp);
        w.WriteVar(s.Lost);
        w.WriteVar(s.Duplicates);
        w.WriteVar(s.Reordered);
        w.Write(BitConverter.DoubleToInt64Bits(s.JitterMs));
        w.Write(unchecked((int)s.Ssrc));
        w.WriteVar(s.PayloadType);
    }

    private static UdpSummary ReadUdp(ref ByteCursor r, UdpSummary u)
    {
        u.MaxDatagram = r.VarInt32();
        u.FragmentedDatagrams = r.VarInt64();
        u.LostWithFragment = r.VarInt64();
        u.C2S = ReadUdpStream(ref r);
        u.S2C = ReadUdpStream(ref r);
        return u;
    }

    private static UdpStreamSummary? ReadUdpStream(ref ByteCursor r) => r.Bool()
        ? new UdpStreamSummary(r.Bool(), r.VarInt64(), r.VarInt64(), r.VarInt64(), BitConverter.Int64BitsToDouble(r.Int64()), unchecked((uint)r.Int32()), r.VarInt32())
        : null;

    private static byte TcpFlags(bool sawSyn, bool sawSynAck, bool sackC2S, bool sackS2C, bool timestampsC2S, bool timestampsS2C) =>
        (byte)((sawSyn ? 1 : 0) | (sawSynAck ? 2 : 0) | (sackC2S ? 4 : 0) | (sackS2C ? 8 : 0) | (timestampsC2S ? 16 : 0) | (timestampsS2C ? 32 : 0));

    private static void WriteTcp(ref ByteWriter w, byte flags, int mssC2S, int mssS2C, int scaleC2S, int scaleS2C, long initialRttNs,
        TcpDirectionSummary c2s, TcpDirectionSummary s2c)
    {
        w.Write(flags);
        w.WriteVar(mssC2S);
        w.WriteVar(mssS2C);
        w.WriteVar(scaleC2S);
        w.WriteVar(scaleS2C);
        w.WriteVar(initialRttNs);
        WriteDirection(ref w, c2s);
        WriteDirection(ref w, s2c);
    }

    private static TcpSummary ReadTcp(ref ByteCursor r, TcpSummary t)
    {
        byte flags = r.Byte();
        t.SawSyn = (flags & 1) != 0;
        t.SawSynAck = (flags & 2) != 0;
        t.SackPermittedC2S = (flags & 4) != 0;
        t.SackPermittedS2C = (flags & 8) != 0;
        t.TimestampsC2S = (flags & 16) != 0;
        t.TimestampsS2C = (flags & 32) != 0;
        t.MssC2S = r.VarInt32();
        t.MssS2C = r.VarInt32();
        t.WindowScaleC2S = r.VarInt32();
        t.WindowScaleS2C = r.VarInt32();
        t.InitialRttNs = r.VarInt64();
        t.C2S = ReadDirection(ref r);
        t.S2C = ReadDirection(ref r);
        return t;
    }

    private static void WriteDirection(ref ByteWriter w, TcpDirectionSummary d)
    {
        w.WriteVar(d.Retransmissions);
        w.WriteVar(d.ZeroWindowEpisodes);
        w.WriteVar(d.ZeroWindowNs);
        w.WriteVar(d.ZeroWindowProbes);
        w.WriteVar(d.WindowFull);
        w.WriteVar(d.NagleStalls);
        w.WriteVar(d.NagleStallNs);
        w.WriteVar(d.MaxBytesInFlight);
        w.WriteVar(d.RttSamples);
        w.WriteVar(d.RttMinNs);
        w.WriteVar(d.RttSumNs);
        w.WriteVar(d.RttMaxNs);
    }

    private static TcpDirectionSummary ReadDirection(ref ByteCursor r) => new(r.VarInt64(), r.VarInt64(), r.VarInt64(),
        r.VarInt64(), r.VarInt64(), r.VarInt64(), r.VarInt64(), r.VarInt64(), r.VarInt64(), r.VarInt64(), r.VarInt64(), r.VarInt64());

    private static void WriteAddress(ref ByteWriter w, IpAddr a)
    {
        w.Write(a.Version);
        w.WriteVar(a.Hi);
        w.WriteVar(a.Lo);
    }

    private static IpAddr ReadAddress(ref ByteCursor r)
    {
        byte version = r.Byte();
        return IpAddr.FromParts(r.VarUInt64(), r.VarUInt64(), version);
    }
}
