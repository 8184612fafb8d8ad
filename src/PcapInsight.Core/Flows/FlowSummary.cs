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

    /// <summary>The UDP sizes and fragment figures; null for other protocols (sequence evidence is not summarised).</summary>
    public UdpSummary? Udp { get; init; }

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
            Udp = flow.Udp is { } u ? new UdpSummary(u.MaxDatagram, u.FragmentedDatagrams, u.LostWithFragment) : null,
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

    /// <summary>Writes the record (the spool's format; read back by <see cref="Read"/> in the same process).</summary>
    public void Write(BinaryWriter w)
    {
        w.Write(Id);
        w.Write(Protocol);
        WriteAddress(w, Client);
        w.Write(ClientPort);
        WriteAddress(w, Server);
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
            t.C2S.Write(w);
            t.S2C.Write(w);
        }
    }

    /// <summary>Reads a record <see cref="Write"/> wrote.</summary>
    public static FlowSummary Read(BinaryReader r)
    {
        var s = new FlowSummary
        {
            Id = r.ReadInt32(),
            Protocol = r.ReadByte(),
            Client = ReadAddress(r),
            ClientPort = r.ReadUInt16(),
            Server = ReadAddress(r),
            ServerPort = r.ReadUInt16(),
            Vlan = r.ReadUInt16(),
            FirstTimeNs = r.ReadInt64(),
            LastTimeNs = r.ReadInt64(),
            FirstFrame = r.ReadInt64(),
            PacketsC2S = r.ReadInt64(),
            PacketsS2C = r.ReadInt64(),
            BytesC2S = r.ReadInt64(),
            BytesS2C = r.ReadInt64(),
            PayloadBytesC2S = r.ReadInt64(),
            PayloadBytesS2C = r.ReadInt64(),
            PmtuMessages = r.ReadInt32(),
            LowestPmtu = r.ReadInt32(),
            Close = (FlowCloseReason)r.ReadByte(),
        };
        if (r.ReadBoolean())
        {
            s = s with { Udp = new UdpSummary(r.ReadInt32(), r.ReadInt64(), r.ReadInt64()) };
        }
        if (!r.ReadBoolean())
        {
            return s;
        }
        byte flags = r.ReadByte();
        return s with
        {
            Tcp = new TcpSummary
            {
                SawSyn = (flags & 1) != 0,
                SawSynAck = (flags & 2) != 0,
                SackPermittedC2S = (flags & 4) != 0,
                SackPermittedS2C = (flags & 8) != 0,
                TimestampsC2S = (flags & 16) != 0,
                TimestampsS2C = (flags & 32) != 0,
                MssC2S = r.ReadInt32(),
                MssS2C = r.ReadInt32(),
                WindowScaleC2S = r.ReadInt32(),
                WindowScaleS2C = r.ReadInt32(),
                InitialRttNs = r.ReadInt64(),
                C2S = TcpDirectionSummary.Read(r),
                S2C = TcpDirectionSummary.Read(r),
            },
        };
    }

    private static void WriteAddress(BinaryWriter w, IpAddr a)
    {
        w.Write(a.Hi);
        w.Write(a.Lo);
        w.Write(a.Version);
    }

    private static IpAddr ReadAddress(BinaryReader r) => IpAddr.FromParts(r.ReadUInt64(), r.ReadUInt64(), r.ReadByte());
}

/// <summary>A UDP flow's largest datagram and what arrived in fragments.</summary>
public sealed record UdpSummary(int MaxDatagram, long FragmentedDatagrams, long LostWithFragment);

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

    internal void Write(BinaryWriter w)
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

    internal static TcpDirectionSummary Read(BinaryReader r) => new(r.ReadInt64(), r.ReadInt64(), r.ReadInt64(), r.ReadInt64(),
        r.ReadInt64(), r.ReadInt64(), r.ReadInt64(), r.ReadInt64(), r.ReadInt64(), r.ReadInt64(), r.ReadInt64(), r.ReadInt64());
}
