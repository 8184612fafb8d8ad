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
    public bool HasTrouble => Tcp is { } t && TcpDirectionSummary.Trouble(t.C2S, t.S2C);

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
    /// <summary><c>rtp</c> or <c>custom</c>.</summary>
    public string Kind => Rtp ? "rtp" : "custom";

    /// <summary>The figures of <paramref name="stream"/>; null when its sequence numbers were not followed.</summary>
    public static UdpStreamSummary? Of(UdpAnalysis.UdpStream stream) => stream.Sequence is { } q
        ? new UdpStreamSummary(stream.SeqKind == "rtp", q.Lost, q.Duplicates, q.Reordered, stream.JitterMs ?? double.NaN, stream.Ssrc, stream.PayloadType)
        : null;
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

    /// <summary>Whether either direction had retransmissions, zero-window episodes or Nagle stalls.</summary>
    public static bool Trouble(TcpDirectionSummary c2s, TcpDirectionSummary s2c) =>
        c2s.Retransmissions + s2c.Retransmissions + c2s.ZeroWindowEpisodes + s2c.ZeroWindowEpisodes + c2s.NagleStalls + s2c.NagleStalls > 0;
}
