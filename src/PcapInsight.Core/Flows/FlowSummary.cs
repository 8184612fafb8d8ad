using PcapInsight.Core.Decoding;
using PcapInsight.Core.TcpAnalysis;

namespace PcapInsight.Core.Flows;

/// <summary>
/// What flows.csv says of one ended flow, as plain numbers: no analysis state, no references. A flow released from
/// memory leaves this behind (in a <see cref="FlowSpool"/>), so that the report still lists every flow.
/// </summary>
/// <remarks>
/// Read-only outside this assembly; inside it, a summary a <see cref="FlowSummaryPool"/> got back is decoded or
/// summarised into again (<see cref="FlowRecord.ReadInto"/>, <see cref="Fill"/>), every property set each time, its TCP or UDP part reused.
/// </remarks>
public sealed record FlowSummary
{
    public int Id { get; internal set; }
    public byte Protocol { get; internal set; }
    public IpAddr Client { get; internal set; }
    public ushort ClientPort { get; internal set; }
    public IpAddr Server { get; internal set; }
    public ushort ServerPort { get; internal set; }
    public ushort Vlan { get; internal set; }
    public long FirstTimeNs { get; internal set; }
    public long LastTimeNs { get; internal set; }
    public long FirstFrame { get; internal set; }

    /// <summary>The input file (its index among those analysed together) that <see cref="FirstFrame"/> counts in.</summary>
    public int FirstFileIndex { get; internal set; }
    public long PacketsC2S { get; internal set; }
    public long PacketsS2C { get; internal set; }
    public long BytesC2S { get; internal set; }
    public long BytesS2C { get; internal set; }
    public long PayloadBytesC2S { get; internal set; }
    public long PayloadBytesS2C { get; internal set; }
    public int PmtuMessages { get; internal set; }
    public int LowestPmtu { get; internal set; }
    public FlowCloseReason Close { get; internal set; }
    /// <summary>The kinds of tunnel the flow's packets were found in.</summary>
    public Decoding.TunnelKinds Tunnels { get; internal set; }

    /// <summary>The TCP figures; null for other protocols.</summary>
    public TcpSummary? Tcp { get; internal set; }

    /// <summary>The UDP sizes, fragment and sequence figures; null for other protocols.</summary>
    public UdpSummary? Udp { get; internal set; }

    /// <summary>Retransmissions, zero-window episodes or Nagle stalls: the flows report.html's table shows first.</summary>
    public bool HasTrouble => Tcp is { } t && TcpDirectionSummary.Trouble(t.C2S, t.S2C);

    /// <summary>
    /// A copy that owns its TCP and UDP parts: a summary a <see cref="FlowSummaryPool"/> handed out is filled again,
    /// those parts too, once given back; the copy keeps what it said.
    /// </summary>
    public FlowSummary Copy() => this with { Tcp = Tcp is { } t ? t with { } : null, Udp = Udp is { } u ? u with { } : null };

    /// <summary>The summary of <paramref name="flow"/> as it stands.</summary>
    public static FlowSummary Of(Flow flow) => Fill(new FlowSummary(), flow);

    /// <summary>
    /// <paramref name="s"/> made the summary of <paramref name="flow"/>: every property set (its TCP or UDP part reused), so a
    /// summary that held another flow keeps nothing of it.
    /// </summary>
    internal static FlowSummary Fill(FlowSummary s, Flow flow, FlowSummaryPool? parts = null)
    {
        s.Id = flow.Id;
        s.Protocol = flow.Protocol;
        s.Client = flow.Client;
        s.ClientPort = flow.ClientPort;
        s.Server = flow.Server;
        s.ServerPort = flow.ServerPort;
        s.Vlan = flow.Key.Vlan;
        s.FirstTimeNs = flow.FirstTimeNs;
        s.LastTimeNs = flow.LastTimeNs;
        s.FirstFrame = flow.FirstFrame;
        s.FirstFileIndex = flow.FirstFileIndex;
        s.PacketsC2S = flow.PacketsC2S;
        s.PacketsS2C = flow.PacketsS2C;
        s.BytesC2S = flow.BytesC2S;
        s.BytesS2C = flow.BytesS2C;
        s.PayloadBytesC2S = flow.PayloadBytesC2S;
        s.PayloadBytesS2C = flow.PayloadBytesS2C;
        s.PmtuMessages = flow.PmtuMessages;
        s.LowestPmtu = flow.LowestPmtu;
        s.Close = flow.Close;
        s.Tunnels = flow.Tunnels;
        if (flow.Udp is { } u)
        {
            s.Udp = FillUdp(FlowSummaryPool.UdpPart(s, parts), u);
        }
        else
        {
            FlowSummaryPool.NoUdpPart(s, parts);
        }
        if (flow.Tcp is { } t)
        {
            s.Tcp = FillTcp(FlowSummaryPool.TcpPart(s, parts), t);
        }
        else
        {
            FlowSummaryPool.NoTcpPart(s, parts);
        }
        return s;
    }

    private static UdpSummary FillUdp(UdpSummary s, UdpAnalysis.UdpFlowStats u)
    {
        s.MaxDatagram = u.MaxDatagram;
        s.FragmentedDatagrams = u.FragmentedDatagrams;
        s.LostWithFragment = u.LostWithFragment;
        s.C2S = UdpStreamSummary.Of(u.C2S);
        s.S2C = UdpStreamSummary.Of(u.S2C);
        return s;
    }

    private static TcpSummary FillTcp(TcpSummary s, TcpFlowFacts t)
    {
        s.SawSyn = t.SawSyn;
        s.SawSynAck = t.SawSynAck;
        s.MssC2S = t.MssC2S;
        s.MssS2C = t.MssS2C;
        s.WindowScaleC2S = t.WindowScaleC2S;
        s.WindowScaleS2C = t.WindowScaleS2C;
        s.SackPermittedC2S = t.SackPermittedC2S;
        s.SackPermittedS2C = t.SackPermittedS2C;
        s.TimestampsC2S = t.TimestampsC2S;
        s.TimestampsS2C = t.TimestampsS2C;
        s.InitialRttNs = t.InitialRttNs;
        s.C2S = TcpDirectionSummary.Of(t.C2S);
        s.S2C = TcpDirectionSummary.Of(t.S2C);
        return s;
    }
}

/// <summary>A UDP flow's largest datagram and what arrived in fragments.</summary>
public sealed record UdpSummary(int MaxDatagram, long FragmentedDatagrams, long LostWithFragment)
{
    // Settable inside this assembly, as FlowSummary's: a summary given back keeps its UDP part for the next UDP flow.

    /// <summary>The largest datagram, bytes.</summary>
    public int MaxDatagram { get; internal set; } = MaxDatagram;

    /// <summary>Datagrams that arrived in fragments.</summary>
    public long FragmentedDatagrams { get; internal set; } = FragmentedDatagrams;

    /// <summary>Datagrams lost with a fragment.</summary>
    public long LostWithFragment { get; internal set; } = LostWithFragment;

    /// <summary>The client-to-server sequence figures; null when its sequence numbers were not followed.</summary>
    public UdpStreamSummary? C2S { get; internal set; }

    /// <summary>The server-to-client sequence figures; null when its sequence numbers were not followed.</summary>
    public UdpStreamSummary? S2C { get; internal set; }
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
    /// <summary><c>rtp</c> or <c>custom</c>.</summary>
    public string Kind => Rtp ? "rtp" : "custom";

    /// <summary>The figures of <paramref name="stream"/>; null when its sequence numbers were not followed.</summary>
    public static UdpStreamSummary? Of(in UdpAnalysis.UdpStream stream) => stream.Sequence is { } q
        ? new UdpStreamSummary(stream.SeqKind == "rtp", q.Lost, q.Duplicates, q.Reordered, stream.JitterMs ?? double.NaN, stream.Ssrc, stream.PayloadType)
        : null;
}

/// <summary>The handshake facts of a TCP flow and the figures of its two directions.</summary>
public sealed record TcpSummary
{
    public bool SawSyn { get; internal set; }
    public bool SawSynAck { get; internal set; }
    public int MssC2S { get; internal set; }
    public int MssS2C { get; internal set; }
    public int WindowScaleC2S { get; internal set; }
    public int WindowScaleS2C { get; internal set; }
    public bool SackPermittedC2S { get; internal set; }
    public bool SackPermittedS2C { get; internal set; }
    public bool TimestampsC2S { get; internal set; }
    public bool TimestampsS2C { get; internal set; }
    public long InitialRttNs { get; internal set; }
    public TcpDirectionSummary C2S { get; internal set; }
    public TcpDirectionSummary S2C { get; internal set; }
}

/// <summary>One direction's counters from <see cref="TcpDirection"/>.</summary>
public readonly record struct TcpDirectionSummary(
    long Retransmissions, long ZeroWindowEpisodes, long ZeroWindowNs, long ZeroWindowProbes, long WindowFull,
    long NagleStalls, long NagleStallNs, long MaxBytesInFlight, long RttSamples, long RttMinNs, long RttSumNs, long RttMaxNs)
{
    /// <summary>The counters of <paramref name="d"/>.</summary>
    public static TcpDirectionSummary Of(in TcpDirection d) => new(d.Retransmissions, d.ZeroWindowEpisodes, d.ZeroWindowNs,
        d.ZeroWindowProbes, d.WindowFull, d.NagleStalls, d.NagleStallNs, d.MaxBytesInFlight, d.RttSamples, d.RttMinNs,
        d.RttSumNs, d.RttMaxNs);

    /// <summary>Whether either direction had retransmissions, zero-window episodes or Nagle stalls.</summary>
    public static bool Trouble(TcpDirectionSummary c2s, TcpDirectionSummary s2c) =>
        c2s.Retransmissions + s2c.Retransmissions + c2s.ZeroWindowEpisodes + s2c.ZeroWindowEpisodes + c2s.NagleStalls + s2c.NagleStalls > 0;
}
