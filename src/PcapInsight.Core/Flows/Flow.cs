using PcapInsight.Core.Decoding;

namespace PcapInsight.Core.Flows;

/// <summary>
/// One conversation: a TCP connection, a UDP flow, or the packets of another IP protocol between two hosts.
/// Allocated once per flow, updated in place for every packet.
/// </summary>
/// <remarks>
/// The client is the side that sent the first SYN; when the handshake was not captured it is the sender of the
/// first packet seen, or the receiver of a SYN-ACK seen first (gopacket warns that direction guessed from a
/// capture "might be wrong if packets are not received in order").
/// </remarks>
public sealed class Flow
{
    internal Flow? OlderByActivity;  // LRU list: towards the least recently active flow
    internal Flow? NewerByActivity;  // LRU list: towards the most recently active flow
    internal long ListedAtNs;        // the table's clock at the flow's place in the LRU list (its last move)
    internal long ActiveAtNs;        // the table's clock (latest capture time so far) at the flow's last packet
    internal long CloseQueuedAtNs = -1; // table time it joined the queue of closed connections; -1: not queued, or left the table (FlowTable.IsQueuedAs)
    internal byte Partition;            // the flow table's partition of its key (FlowPartitions): whose activity list holds it
    internal long CreationOrder;        // a shard's table: where in the capture it was created (FlowTable.CreationOrder)

    /// <summary>Stable id within one report, numbered from 1 in order of first packet.</summary>
    public int Id { get; internal set; }

    /// <summary>The canonical key.</summary>
    public FlowKey Key { get; internal set; }

    /// <summary>IP protocol number.</summary>
    public byte Protocol => Key.Protocol;

    // The endpoints are the key's, in the client's and server's roles: read from it, not stored twice (two addresses
    // and two ports, about 50 bytes of each of the million flows a dense capture holds).

    /// <summary>Client address.</summary>
    public IpAddr Client => ClientIsA ? Key.A : Key.B;

    /// <summary>Client port.</summary>
    public ushort ClientPort => ClientIsA ? Key.PortA : Key.PortB;

    /// <summary>Server address.</summary>
    public IpAddr Server => ClientIsA ? Key.B : Key.A;

    /// <summary>Server port.</summary>
    public ushort ServerPort => ClientIsA ? Key.PortB : Key.PortA;

    /// <summary>True when the client is endpoint A of the key.</summary>
    internal bool ClientIsA { get; set; }

    /// <summary>Time of the first packet (ns since the epoch).</summary>
    public long FirstTimeNs { get; internal set; }

    /// <summary>Time of the last packet.</summary>
    public long LastTimeNs { get; internal set; }

    /// <summary>Frame number of the first packet.</summary>
    public long FirstFrame { get; internal set; }

    /// <summary>File index of the first packet.</summary>
    public int FirstFileIndex { get; internal set; }

    /// <summary>Packets from client to server.</summary>
    public long PacketsC2S { get; internal set; }

    /// <summary>Packets from server to client.</summary>
    public long PacketsS2C { get; internal set; }

    /// <summary>Frame bytes on the wire from client to server (original lengths, as tshark's conversation table counts).</summary>
    public long BytesC2S { get; internal set; }

    /// <summary>Frame bytes on the wire from server to client.</summary>
    public long BytesS2C { get; internal set; }

    /// <summary>Transport payload bytes from client to server (TCP data, UDP data), retransmissions included.</summary>
    public long PayloadBytesC2S { get; internal set; }

    /// <summary>Transport payload bytes from server to client.</summary>
    public long PayloadBytesS2C { get; internal set; }

    /// <summary>ICMP fragmentation-needed / packet-too-big messages that quoted a packet of this flow.</summary>
    public int PmtuMessages { get; internal set; }

    /// <summary>The smallest MTU those messages reported; 0 without any.</summary>
    public int LowestPmtu { get; internal set; }

    /// <summary>How the flow ended.</summary>
    public FlowCloseReason Close { get; internal set; }

    /// <summary>The kinds of tunnel its packets were found in (<see cref="Decoding.TunnelKinds.None"/> for a flow of the capture's own datagrams).</summary>
    public Decoding.TunnelKinds Tunnels { get; internal set; }

    /// <summary>UDP figures (datagrams, sequence evidence); null for other protocols.</summary>
    public UdpAnalysis.UdpFlowStats? Udp { get; internal set; }

    /// <summary>TCP facts from the handshake and the flags; null for other protocols.</summary>
    public TcpFlowFacts? Tcp { get; internal set; }

    /// <summary>
    /// Every field as a new flow has it, for a flow object reused by a later flow (<see cref="FlowTable"/> recycles
    /// released flows: on a million short connections their objects otherwise die in the costly generation). The
    /// TCP facts are kept, reset, for the next TCP flow. A test compares every field with a new flow's.
    /// </summary>
    internal void ResetForReuse()
    {
        OlderByActivity = null;
        NewerByActivity = null;
        ListedAtNs = 0;
        ActiveAtNs = 0;
        CloseQueuedAtNs = -1;
        Partition = 0;
        CreationOrder = 0;
        Id = 0;
        Key = default;
        ClientIsA = false;
        FirstTimeNs = 0;
        LastTimeNs = 0;
        FirstFrame = 0;
        FirstFileIndex = 0;
        PacketsC2S = 0;
        PacketsS2C = 0;
        BytesC2S = 0;
        BytesS2C = 0;
        PayloadBytesC2S = 0;
        PayloadBytesS2C = 0;
        PmtuMessages = 0;
        LowestPmtu = 0;
        Close = default;
        Tunnels = default;
        if (Udp is { } udp)
        {
            // Kept aside, reset, for the next UDP flow of this object (a resolver's capture is a UDP flow every two frames).
            udp.ResetForReuse();
            SpareUdp = udp;
            Udp = null;
        }
        Tcp?.ResetForReuse();
    }

    /// <summary>A released UDP flow's figures, reset, kept for this object's next UDP flow (<see cref="TakeUdp"/>).</summary>
    internal UdpAnalysis.UdpFlowStats? SpareUdp { get; private set; }

    /// <summary>The flow's UDP figures, made on its first UDP datagram: the spare ones when this object has them.</summary>
    internal UdpAnalysis.UdpFlowStats TakeUdp()
    {
        if (Udp is null)
        {
            Udp = SpareUdp ?? new UdpAnalysis.UdpFlowStats();
            SpareUdp = null;
        }
        return Udp;
    }

    /// <summary>
    /// True when an ended flow has something to report: a reset, path-MTU messages, a TCP direction that counted a
    /// rare event (retransmission, out-of-order, zero window, Nagle stall...), or UDP evidence (fragments, sequence
    /// numbers). Such flows are listed longest when --max-listed-flows releases flows. An eviction is not: it says
    /// the table was full (a scan evicts thousands), not that the flow went wrong.
    /// </summary>
    internal bool IsNotable => Close is FlowCloseReason.Reset || PmtuMessages > 0
        || Tcp is { } t && (t.C2S.HasRarePathState || t.S2C.HasRarePathState)
        || Udp is { } u && (u.FragmentedDatagrams > 0 || u.LostWithFragment > 0 || u.C2S.Sequence is not null || u.S2C.Sequence is not null);
}

/// <summary>What the handshake and the flags tell about a TCP connection.</summary>
public sealed class TcpFlowFacts
{
    // The two directions are values inside the facts: one object a connection's TCP state instead of three.
    private TcpAnalysis.TcpDirection _c2s;
    private TcpAnalysis.TcpDirection _s2c;

    /// <summary>Sequence analysis of the client-to-server direction (a read-only reference into these facts).</summary>
    public ref readonly TcpAnalysis.TcpDirection C2S => ref _c2s;

    /// <summary>Sequence analysis of the server-to-client direction.</summary>
    public ref readonly TcpAnalysis.TcpDirection S2C => ref _s2c;

    /// <summary>The direction a segment of the client (<paramref name="fromClient"/>) or of the server belongs to, to update in place.</summary>
    internal ref TcpAnalysis.TcpDirection Direction(bool fromClient) => ref fromClient ? ref _c2s : ref _s2c;

    /// <summary>MSS the client announced in its SYN; 0 when unknown.</summary>
    public int MssC2S { get; internal set; }

    /// <summary>MSS the server announced in its SYN-ACK; 0 when unknown.</summary>
    public int MssS2C { get; internal set; }

    /// <summary>Window scale shift the client announced; -1 when unknown (handshake not captured, or not offered).</summary>
    public int WindowScaleC2S { get; internal set; } = -1;

    /// <summary>Window scale shift the server announced; -1 when unknown.</summary>
    public int WindowScaleS2C { get; internal set; } = -1;

    /// <summary>The client's SYN offered SACK.</summary>
    public bool SackPermittedC2S { get; internal set; }

    /// <summary>The server's SYN-ACK offered SACK (SACK is in use when both did).</summary>
    public bool SackPermittedS2C { get; internal set; }

    /// <summary>The client's SYN carried timestamps.</summary>
    public bool TimestampsC2S { get; internal set; }

    /// <summary>The server's SYN-ACK carried timestamps (in use when both did).</summary>
    public bool TimestampsS2C { get; internal set; }

    /// <summary>True when the client's SYN was captured.</summary>
    public bool SawSyn { get; internal set; }

    /// <summary>True when the server's SYN-ACK was captured.</summary>
    public bool SawSynAck { get; internal set; }

    /// <summary>Client's initial sequence number (valid when <see cref="SawSyn"/>).</summary>
    public uint ClientIsn { get; internal set; }

    /// <summary>Sequence number of the first segment seen from the client (Wireshark's base_seq).</summary>
    internal uint BaseSeqC2S { get; set; }

    internal bool HasBaseSeqC2S { get; set; }

    /// <summary>Sequence number of the first segment seen from the server.</summary>
    internal uint BaseSeqS2C { get; set; }

    internal bool HasBaseSeqS2C { get; set; }

    /// <summary>Time of the client's SYN.</summary>
    internal long SynTimeNs { get; set; }

    /// <summary>Time of the SYN-ACK.</summary>
    internal long SynAckTimeNs { get; set; }

    /// <summary>
    /// Initial RTT: SYN to the client's first ACK after the SYN-ACK, as Wireshark's <c>tcp.analysis.initial_rtt</c>;
    /// -1 when the handshake was not captured whole.
    /// </summary>
    public long InitialRttNs { get; internal set; } = -1;

    /// <summary>FIN seen from the client.</summary>
    public bool FinC2S { get; internal set; }

    /// <summary>FIN seen from the server.</summary>
    public bool FinS2C { get; internal set; }

    /// <summary>capture.offload_supersegment was reported for this flow (once is enough).</summary>
    internal bool SupersegmentReported { get; set; }

    /// <summary>RST seen (either side).</summary>
    public bool Reset { get; internal set; }

    /// <summary>Retransmissions, zero-window episodes or Nagle stalls either way, as its summary says (<see cref="FlowSummary.HasTrouble"/>).</summary>
    public bool HasTrouble => TcpDirectionSummary.Trouble(TcpDirectionSummary.Of(C2S), TcpDirectionSummary.Of(S2C));

    /// <summary>Time series of both directions (client to server, server to client), when the recorder kept them.</summary>
    public (TcpAnalysis.TcpSeries C2S, TcpAnalysis.TcpSeries S2C)? Series => SeriesTicket?.Series;

    /// <summary>The flow's claim on a series slot, from its first segment (while series are recorded).</summary>
    internal TcpAnalysis.SeriesTicket? SeriesTicket { get; set; }

    /// <summary>
    /// The recorder found the claim refused or given away, for good: later segments skip the ticket (one object
    /// fewer to read per packet of the many flows a capture of thousands refuses).
    /// </summary>
    internal bool SeriesOff { get; set; }

    /// <summary>Both directions drop their rare-path state where they counted nothing (<see cref="TcpAnalysis.TcpDirection.ReleaseRarePathState"/>).</summary>
    internal void ReleaseRarePathState()
    {
        _c2s.ReleaseRarePathState();
        _s2c.ReleaseRarePathState();
    }

    /// <summary>Every field as new facts have them (both directions reset); see <see cref="Flow.ResetForReuse"/>.</summary>
    internal void ResetForReuse()
    {
        _c2s.ResetForReuse();
        _s2c.ResetForReuse();
        MssC2S = 0;
        MssS2C = 0;
        WindowScaleC2S = -1;
        WindowScaleS2C = -1;
        SackPermittedC2S = false;
        SackPermittedS2C = false;
        TimestampsC2S = false;
        TimestampsS2C = false;
        SawSyn = false;
        SawSynAck = false;
        ClientIsn = 0;
        BaseSeqC2S = 0;
        HasBaseSeqC2S = false;
        BaseSeqS2C = 0;
        HasBaseSeqS2C = false;
        SynTimeNs = 0;
        SynAckTimeNs = 0;
        InitialRttNs = -1;
        FinC2S = false;
        FinS2C = false;
        SupersegmentReported = false;
        Reset = false;
        SeriesTicket = null;
        SeriesOff = false;
    }
}
