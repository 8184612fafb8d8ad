using PcapInsight.Core.Decoding;
using PcapInsight.Core.TcpAnalysis;

namespace PcapInsight.Core.Flows;

/// <summary>
/// What flows.csv says of one ended flow, as plain numbers: no analysis state, no references. A flow released from
/// memory leaves this behind (in a <see cref="FlowSpool"/>), so that the report still lists every flow.
/// </summary>
public sealed record FlowSummary
{
    public int Id { get; init; }
    public byte Protocol { get; init; }
    public IpAddr Client { get; init; }
    public ushort ClientPort { get; init; }
    public IpAddr Server { get; init; }
    public ushort ServerPort { get; init; }
    public ushort Vlan { get; init; }
    public long FirstTimeNs { get; init; }
    public long LastTimeNs { get; init; }
    public long FirstFrame { get; init; }
    public long PacketsC2S { get; init; }
    public long PacketsS2C { get; init; }
    public long BytesC2S { get; init; }
    public long BytesS2C { get; init; }
    public long PayloadBytesC2S { get; init; }
    public long PayloadBytesS2C { get; init; }
    public int PmtuMessages { get; init; }
    public int LowestPmtu { get; init; }
    public FlowCloseReason Close { get; init; }

    /// <summary>The TCP figures; null for other protocols.</summary>
    public TcpSummary? Tcp { get; init; }

    /// <summary>The UDP sizes, fragment and sequence figures; null for other protocols.</summary>
    public UdpSummary? Udp { get; init; }

    /// <summary>Retransmissions, zero-window episodes or Nagle stalls: the flows report.html's table shows first.</summary>
    public bool HasTrouble => Tcp is { } t
        && t.C2S.Retransmissions + t.S2C.Retransmissions + t.C2S.ZeroWindowEpisodes + t.S2C.ZeroWindowEpisodes + t.C2S.NagleStalls + t.S2C.NagleStalls > 0;

    /// <summary>The summary of <paramref name="flow"/> as it stands.</summary>
    public static FlowSummary Of(Flow flow)
    {
        TcpFlowFacts? t = flow.Tcp;
        return new FlowSummary
        {
            Id = flow.Id,
            Protocol = flow.Protocol,
            Client = flow.Client,
            ClientPort = flow.ClientPort,
            Server = flow.Server,
            ServerPort = flow.ServerPort,
            Vlan = flow.Key.Vlan,
            FirstTimeNs = flow.FirstTimeNs,
            LastTimeNs = flow.LastTimeNs,
            FirstFrame = flow.FirstFrame,
            PacketsC2S = flow.PacketsC2S,
            PacketsS2C = flow.PacketsS2C,
            BytesC2S = flow.BytesC2S,
            BytesS2C = flow.BytesS2C,
            PayloadBytesC2S = flow.PayloadBytesC2S,
            PayloadBytesS2C = flow.PayloadBytesS2C,
            PmtuMessages = flow.PmtuMessages,
            LowestPmtu = flow.LowestPmtu,
            Close = flow.Close,
            Udp = flow.Udp is { } u ? new UdpSummary(u.MaxDatagram, u.FragmentedDatagrams, u.LostWithFragment)
            {
                C2S = UdpStreamSummary.Of(u.C2S),
                S2C = UdpStreamSummary.Of(u.S2C),
            } : null,
            Tcp = t is null ? null : new TcpSummary
            {
                SawSyn = t.SawSyn,
                SawSynAck = t.SawSynAck,
                MssC2S = t.MssC2S,
                MssS2C = t.MssS2C,
                WindowScaleC2S = t.WindowScaleC2S,
                WindowScaleS2C = t.WindowScaleS2C,
                SackPermittedC2S = t.SackPermittedC2S,
                SackPermittedS2C = t.SackPermittedS2C,
                TimestampsC2S = t.TimestampsC2S,
                TimestampsS2C = t.TimestampsS2C,
                InitialRttNs = t.InitialRttNs,
                C2S = TcpDirectionSummary.Of(t.C2S),
                S2C = TcpDirectionSummary.Of(t.S2C),
            },
        };
    }

    /// <summary>
    /// Writes the record into <paramref name="into"/> (at least <see cref="MaxEncodedBytes"/> long) and returns its
    /// length: the spool's format, read back by <see cref="Read"/> in the same process.
    /// </summary>
    public int Write(Span<byte> into)
    {
        var w = new ByteWriter(into);
        w.Write(Id);
        w.Write(Protocol);
        WriteAddress(ref w, Client);
        w.Write(ClientPort);
        WriteAddress(ref w, Server);
        w.Write(ServerPort);
        w.Write(Vlan);
        w.Write(FirstTimeNs);
        w.Write(LastTimeNs);
        w.Write(FirstFrame);
        w.Write(PacketsC2S);
        w.Write(PacketsS2C);
        w.Write(BytesC2S);
        w.Write(BytesS2C);
        w.Write(PayloadBytesC2S);
        w.Write(PayloadBytesS2C);
        w.Write(PmtuMessages);
        w.Write(LowestPmtu);
        w.Write((byte)Close);
        w.Write(Udp is not null);
        if (Udp is { } u)
        {
            w.Write(u.MaxDatagram);
            w.Write(u.FragmentedDatagrams);
            w.Write(u.LostWithFragment);
            UdpStreamSummary.Write(ref w, u.C2S);
            UdpStreamSummary.Write(ref w, u.S2C);
        }
        w.Write(Tcp is not null);
        if (Tcp is { } t)
        {
            w.Write((byte)((t.SawSyn ? 1 : 0) | (t.SawSynAck ? 2 : 0) | (t.SackPermittedC2S ? 4 : 0) | (t.SackPermittedS2C ? 8 : 0)
                | (t.TimestampsC2S ? 16 : 0) | (t.TimestampsS2C ? 32 : 0)));
            w.Write(t.MssC2S);
            w.Write(t.MssS2C);
            w.Write(t.WindowScaleC2S);
            w.Write(t.WindowScaleS2C);
            w.Write(t.InitialRttNs);
            t.C2S.Write(ref w);
            t.S2C.Write(ref w);
        }
        return w.Position;
    }

    /// <summary>
    /// The most bytes <see cref="Write"/> writes for one record (a TCP flow; a UDP flow writes less): a reader that has
    /// this many bytes in hand can always decode the next record.
    /// </summary>
    public const int MaxEncodedBytes =
        4 + 1 + 17 + 2 + 17 + 2 + 2     // id, protocol, client and port, server and port, VLAN
        + 9 * 8 + 4 + 4 + 1             // times, first frame, counters; PMTU messages, lowest PMTU, close
        + 1 + 4 + 8 + 8                 // UDP: present, largest datagram, fragmented, lost with a fragment,
        + 2 * UdpStreamSummary.EncodedBytes  // and each direction's sequence figures
        + 1 + 1 + 4 * 4 + 8             // TCP: present, flags, MSS, window scales, initial RTT
        + 2 * TcpDirectionSummary.EncodedBytes;

    /// <summary>Reads a record <see cref="Write"/> wrote at the start of <paramref name="bytes"/>; <paramref name="length"/> is how many bytes it took.</summary>
    public static FlowSummary Read(ReadOnlySpan<byte> bytes, out int length)
    {
        var r = new ByteCursor(bytes);
        int id = r.Int32();
        byte protocol = r.Byte();
        IpAddr client = ReadAddress(ref r);
        ushort clientPort = r.UInt16();
        IpAddr server = ReadAddress(ref r);
        var s = new FlowSummary
        {
            Id = id,
            Protocol = protocol,
            Client = client,
            ClientPort = clientPort,
            Server = server,
            ServerPort = r.UInt16(),
            Vlan = r.UInt16(),
            FirstTimeNs = r.Int64(),
            LastTimeNs = r.Int64(),
            FirstFrame = r.Int64(),
            PacketsC2S = r.Int64(),
            PacketsS2C = r.Int64(),
            BytesC2S = r.Int64(),
            BytesS2C = r.Int64(),
            PayloadBytesC2S = r.Int64(),
            PayloadBytesS2C = r.Int64(),
            PmtuMessages = r.Int32(),
            LowestPmtu = r.Int32(),
            Close = (FlowCloseReason)r.Byte(),
            Udp = r.Bool() ? new UdpSummary(r.Int32(), r.Int64(), r.Int64()) { C2S = UdpStreamSummary.Read(ref r), S2C = UdpStreamSummary.Read(ref r) } : null,
            Tcp = r.Bool() ? ReadTcp(ref r) : null,
        };
        length = r.Position;
        return s;
    }

    private static TcpSummary ReadTcp(ref ByteCursor r)
    {
        byte flags = r.Byte();
        return new TcpSummary
        {
            SawSyn = (flags & 1) != 0,
            SawSynAck = (flags & 2) != 0,
            SackPermittedC2S = (flags & 4) != 0,
            SackPermittedS2C = (flags & 8) != 0,
            TimestampsC2S = (flags & 16) != 0,
            TimestampsS2C = (flags & 32) != 0,
            MssC2S = r.Int32(),
            MssS2C = r.Int32(),
            WindowScaleC2S = r.Int32(),
            WindowScaleS2C = r.Int32(),
            InitialRttNs = r.Int64(),
            C2S = TcpDirectionSummary.Read(ref r),
            S2C = TcpDirectionSummary.Read(ref r),
        };
    }

    private static void WriteAddress(ref ByteWriter w, IpAddr a)
    {
        w.Write(a.Hi);
        w.Write(a.Lo);
        w.Write(a.Version);
    }

    private static IpAddr ReadAddress(ref ByteCursor r) => IpAddr.FromParts(r.UInt64(), r.UInt64(), r.Byte());
}

/// <summary>A UDP flow's largest datagram and what arrived in fragments.</summary>
public sealed record UdpSummary(int MaxDatagram, long FragmentedDatagrams, long LostWithFragment)
{
    /// <summary>The client-to-server sequence figures; null when its sequence numbers were not followed.</summary>
    public UdpStreamSummary? C2S { get; init; }

    /// <summary>The server-to-client sequence figures; null when its sequence numbers were not followed.</summary>
    public UdpStreamSummary? S2C { get; init; }
}

/// <summary>
/// What one direction's sequence numbers proved (udp.csv's sequence columns), kept with a released flow so that its
/// row is the row it had while listed.
/// </summary>
/// <param name="Rtp">RTP (found heuristically); otherwise a user-named counter (<c>custom</c>).</param>
/// <param name="Lost">Sequence numbers never seen.</param>
/// <param name="Duplicates">Sequence numbers seen more than once.</param>
/// <param name="Reordered">Sequence numbers that came after a higher one.</param>
/// <param name="JitterMs">RFC 3550 jitter, ms; NaN when not RTP or the clock rate is unknown.</param>
/// <param name="Ssrc">RTP: the stream's SSRC.</param>
/// <param name="PayloadType">RTP payload type; -1 when not RTP.</param>
public readonly record struct UdpStreamSummary(bool Rtp, long Lost, long Duplicates, long Reordered, double JitterMs, uint Ssrc, int PayloadType)
{
    /// <summary>The bytes <see cref="Write"/> writes: present, kind, three counts, the jitter, SSRC and payload type.</summary>
    internal const int EncodedBytes = 1 + 1 + 3 * 8 + 8 + 4 + 4;

    /// <summary><c>rtp</c> or <c>custom</c>.</summary>
    public string Kind => Rtp ? "rtp" : "custom";

    /// <summary>The figures of <paramref name="stream"/>; null when its sequence numbers were not followed.</summary>
    public static UdpStreamSummary? Of(UdpAnalysis.UdpStream stream) => stream.Sequence is { } q
        ? new UdpStreamSummary(stream.SeqKind == "rtp", q.Lost, q.Duplicates, q.Reordered, stream.JitterMs ?? double.NaN, stream.Ssrc, stream.PayloadType)
        : null;

    internal static void Write(ref ByteWriter w, UdpStreamSummary? summary)
    {
        w.Write(summary is not null);
        UdpStreamSummary s = summary.GetValueOrDefault();
        w.Write(s.Rtp);
        w.Write(s.Lost);
        w.Write(s.Duplicates);
        w.Write(s.Reordered);
        w.Write(BitConverter.DoubleToInt64Bits(s.JitterMs));
        w.Write(unchecked((int)s.Ssrc));
        w.Write(s.PayloadType);
    }

    internal static UdpStreamSummary? Read(ref ByteCursor r)
    {
        bool present = r.Bool();
        var s = new UdpStreamSummary(r.Bool(), r.Int64(), r.Int64(), r.Int64(), BitConverter.Int64BitsToDouble(r.Int64()), unchecked((uint)r.Int32()), r.Int32());
        return present ? s : null;
    }
}

/// <summary>The handshake facts of a TCP flow and the figures of its two directions.</summary>
public sealed record TcpSummary
{
    public bool SawSyn { get; init; }
    public bool SawSynAck { get; init; }
    public int MssC2S { get; init; }
    public int MssS2C { get; init; }
    public int WindowScaleC2S { get; init; }
    public int WindowScaleS2C { get; init; }
    public bool SackPermittedC2S { get; init; }
    public bool SackPermittedS2C { get; init; }
    public bool TimestampsC2S { get; init; }
    public bool TimestampsS2C { get; init; }
    public long InitialRttNs { get; init; }
    public TcpDirectionSummary C2S { get; init; }
    public TcpDirectionSummary S2C { get; init; }
}

/// <summary>One direction's counters from <see cref="TcpDirection"/>.</summary>
public readonly record struct TcpDirectionSummary(
    long Retransmissions, long ZeroWindowEpisodes, long ZeroWindowNs, long ZeroWindowProbes, long WindowFull,
    long NagleStalls, long NagleStallNs, long MaxBytesInFlight, long RttSamples, long RttMinNs, long RttSumNs, long RttMaxNs)
{
    /// <summary>The counters of <paramref name="d"/>.</summary>
    public static TcpDirectionSummary Of(TcpDirection d) => new(d.Retransmissions, d.ZeroWindowEpisodes, d.ZeroWindowNs,
        d.ZeroWindowProbes, d.WindowFull, d.NagleStalls, d.NagleStallNs, d.MaxBytesInFlight, d.RttSamples, d.RttMinNs,
        d.RttSumNs, d.RttMaxNs);

    internal void Write(ref ByteWriter w)
    {
        w.Write(Retransmissions);
        w.Write(ZeroWindowEpisodes);
        w.Write(ZeroWindowNs);
        w.Write(ZeroWindowProbes);
        w.Write(WindowFull);
        w.Write(NagleStalls);
        w.Write(NagleStallNs);
        w.Write(MaxBytesInFlight);
        w.Write(RttSamples);
        w.Write(RttMinNs);
        w.Write(RttSumNs);
        w.Write(RttMaxNs);
    }

    /// <summary>The bytes <see cref="Write"/> writes: twelve longs.</summary>
    internal const int EncodedBytes = 12 * 8;

    internal static TcpDirectionSummary Read(ref ByteCursor r) => new(r.Int64(), r.Int64(), r.Int64(), r.Int64(),
        r.Int64(), r.Int64(), r.Int64(), r.Int64(), r.Int64(), r.Int64(), r.Int64(), r.Int64());
}
