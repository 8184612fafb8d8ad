namespace PcapInsight.Core.TcpAnalysis;

/// <summary>
/// One direction of a TCP connection as the capture saw it: how far its sender has sent, what it acknowledged of
/// the other direction, and the counts of what went wrong. Allocated once per flow and direction.
/// </summary>
public sealed class TcpDirection
{
    internal SequenceHoles Holes;

    /// <summary>A segment of this direction has been seen, so <see cref="NextSeq"/> is meaningful.</summary>
    public bool HasSeq { get; internal set; }

    /// <summary>One past the highest sequence number sent (SYN and FIN count one each).</summary>
    public SeqNum NextSeq { get; internal set; }

    /// <summary>Capture time at which <see cref="NextSeq"/> last moved forward.</summary>
    public long NextSeqTimeNs { get; internal set; }

    /// <summary>An ACK has been seen from this direction.</summary>
    public bool HasAck { get; internal set; }

    /// <summary>The last acknowledgment number this direction sent.</summary>
    public SeqNum LastAck { get; internal set; }

    /// <summary>The last window field this direction sent (unscaled).</summary>
    public ushort LastWindow { get; internal set; }

    /// <summary>The last segment of this direction was a keep-alive or window probe (its answer is no duplicate ACK).</summary>
    internal bool LastSentProbe { get; set; }

    /// <summary>Capture time of the last duplicate ACK this direction sent.</summary>
    public long LastDupAckTimeNs { get; internal set; }

    /// <summary>Duplicate ACKs in a row for <see cref="LastAck"/>.</summary>
    public int DupAcksInARow { get; internal set; }

    /// <summary>Segments resending bytes already seen (fast retransmissions included).</summary>
    public long Retransmissions { get; internal set; }

    /// <summary>Retransmissions that followed at least two duplicate ACKs for their sequence number.</summary>
    public long FastRetransmissions { get; internal set; }

    /// <summary>Retransmissions of bytes the other side had already acknowledged (counted in <see cref="Retransmissions"/> too).</summary>
    public long SpuriousRetransmissions { get; internal set; }

    /// <summary>ACKs sent by the other direction for bytes of this one the capture never saw (Wireshark's "ACKed unseen segment").</summary>
    public long AckedUnseen { get; internal set; }

    /// <summary>
    /// The highest sequence number the other side may acknowledge without having acknowledged something unseen
    /// (Wireshark's maxseqtobeacked); meaningful once <see cref="HasMaxSeqToBeAcked"/>.
    /// </summary>
    internal SeqNum MaxSeqToBeAcked;
    internal bool HasMaxSeqToBeAcked;

    /// <summary>An ACK of unseen bytes of this direction was reported; no other until this direction sends again.</summary>
    internal bool AckUnseenQuiet;

    /// <summary>Segments that filled a gap within the out-of-order threshold (reordering before the capture point).</summary>
    public long OutOfOrder { get; internal set; }

    /// <summary>Gaps: a segment started past <see cref="NextSeq"/>, so earlier bytes were not captured.</summary>
    public long LostSegments { get; internal set; }

    /// <summary>Duplicate ACKs sent by this direction.</summary>
    public long DupAcks { get; internal set; }

    /// <summary>
    /// RTT sampling (Karn's rule): the end sequence of the one segment being timed, when it was sent, and whether
    /// a retransmission since made the sample ambiguous. One sample per round trip, as a TCP sender without
    /// timestamps measures it.
    /// </summary>
    internal bool Timing;
    internal SeqNum TimedEnd;
    internal long TimedSentNs;

    /// <summary>RTT samples taken (data sent by this direction, acknowledged by the other).</summary>
    public long RttSamples { get; internal set; }

    /// <summary>Smallest RTT sample, ns; 0 without samples.</summary>
    public long RttMinNs { get; internal set; }

    /// <summary>Largest RTT sample, ns.</summary>
    public long RttMaxNs { get; internal set; }

    /// <summary>Sum of the RTT samples, ns (mean = sum / samples).</summary>
    public long RttSumNs { get; internal set; }

    /// <summary>Keep-alive probes sent by this direction.</summary>
    public long KeepAlives { get; internal set; }
}
