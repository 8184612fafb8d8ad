namespace PcapInsight.Core.TcpAnalysis;

/// <summary>
/// One direction of a TCP connection as the capture saw it: how far its sender has sent, what it acknowledged of
/// the other direction, and the counts of what went wrong. Allocated once per flow and direction.
/// </summary>
public sealed class TcpDirection
{
    // Layout: the runtime places 8-byte fields first, then smaller ones, then value-type fields, each group in
    // declaration order. The fields every packet touches are declared first and the counters and large inline
    // buffers last, so a packet reads the fewest cache lines (with 10,000 flows in turn, each one is a miss).

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

    /// <summary>
    /// The highest sequence number the other side may acknowledge without having acknowledged something unseen
    /// (Wireshark's maxseqtobeacked); meaningful once <see cref="HasMaxSeqToBeAcked"/>.
    /// </summary>
    internal SeqNum MaxSeqToBeAcked;
    internal bool HasMaxSeqToBeAcked;

    /// <summary>An ACK of unseen bytes of this direction was reported; no other until this direction sends again.</summary>
    internal bool AckUnseenQuiet;

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

    /// <summary>The last RTT sample, ns (the series recorder reads it on the ACK that took it).</summary>
    internal long LastRttSampleNs;

    // ---- The window this direction advertises (it receives the other direction's data) ----

    /// <summary>A window advertisement with an acknowledgment has been seen from this direction.</summary>
    public bool HasWindow { get; internal set; }

    /// <summary>The last advertised window in bytes (scaled when the scale is known, else the raw field).</summary>
    public long ScaledWindow { get; internal set; }

    /// <summary>The highest acknowledgment number this direction sent (the other side's snd_una).</summary>
    internal SeqNum HighestAck;

    /// <summary>The episode in progress, or the one whose first flight is being measured; null until the window first closes.</summary>
    internal ZeroWindowEpisode? Episode;

    // ---- This direction as a sender against the other side's window ----

    /// <summary>Bytes in flight after this direction's last data segment.</summary>
    internal long LastInFlight;

    /// <summary>Largest number of bytes in flight (sent, not acknowledged, not SACKed), as the capture saw it.</summary>
    public long MaxBytesInFlight { get; internal set; }

    // ---- What the last segment of this direction was, for the timing analysis that runs after ----

    /// <summary>Stream bytes the last segment added (0 for a resend, a probe, a pure ACK).</summary>
    internal long LastNewBytes;

    /// <summary>The last segment resent bytes (retransmission or out-of-order).</summary>
    internal bool LastResent;

    // ---- Nagle and delayed ACKs ----

    /// <summary>How far <see cref="Nagle"/> has got (<see cref="NagleWatch.None"/> when nothing is watched).</summary>
    internal byte NagleStage;

    /// <summary>Time of this direction's first data segment not yet acknowledged (0 when all is acknowledged).</summary>
    internal long FirstUnackedNs;

    /// <summary>A large segment of this direction being watched for a PMTU black hole; null until one is resent.</summary>
    internal PmtuBlackHoleDetector.State? BlackHole;

    /// <summary>The delayed-ACK profile of this direction's host, as an ACK sender; null until it sends one.</summary>
    internal DelayedAckProfile? AckProfile;

    // ---- Counters and large inline buffers: touched only when something happens ----

    /// <summary>Segments resending bytes already seen (fast retransmissions included).</summary>
    public long Retransmissions { get; internal set; }

    /// <summary>Retransmissions that followed at least two duplicate ACKs for their sequence number.</summary>
    public long FastRetransmissions { get; internal set; }

    /// <summary>Retransmissions of bytes the other side had already acknowledged (counted in <see cref="Retransmissions"/> too).</summary>
    public long SpuriousRetransmissions { get; internal set; }

    /// <summary>ACKs sent by the other direction for bytes of this one the capture never saw (Wireshark's "ACKed unseen segment").</summary>
    public long AckedUnseen { get; internal set; }

    /// <summary>Segments that filled a gap within the out-of-order threshold (reordering before the capture point).</summary>
    public long OutOfOrder { get; internal set; }

    /// <summary>Gaps: a segment started past <see cref="NextSeq"/>, so earlier bytes were not captured.</summary>
    public long LostSegments { get; internal set; }

    /// <summary>Duplicate ACKs sent by this direction.</summary>
    public long DupAcks { get; internal set; }

    /// <summary>Smallest RTT sample, ns; 0 without samples.</summary>
    public long RttMinNs { get; internal set; }

    /// <summary>Largest RTT sample, ns.</summary>
    public long RttMaxNs { get; internal set; }

    /// <summary>Sum of the RTT samples, ns (mean = sum / samples).</summary>
    public long RttSumNs { get; internal set; }

    /// <summary>Keep-alive probes sent by this direction.</summary>
    public long KeepAlives { get; internal set; }

    /// <summary>Segments of this direction that advertised a zero window (tshark's per-packet count).</summary>
    public long ZeroWindowAdverts { get; internal set; }

    /// <summary>Zero-window episodes of this direction's window: each a closing of the window and its reopening.</summary>
    public long ZeroWindowEpisodes { get; internal set; }

    /// <summary>Total time this direction's window stayed at zero, ns.</summary>
    public long ZeroWindowNs { get; internal set; }

    /// <summary>The longest single zero-window episode, ns.</summary>
    public long LongestZeroWindowNs { get; internal set; }

    /// <summary>
    /// Episodes after which the sender filled the whole reopened window at once: it had more data queued, so its
    /// send buffer was full too and its writes waited on this direction's reader.
    /// </summary>
    public long ZeroWindowsSenderFilled { get; internal set; }

    /// <summary>Window updates this direction sent (a pure ACK whose only news is a new window).</summary>
    public long WindowUpdates { get; internal set; }

    /// <summary>Times this direction moved its window's right edge to the left.</summary>
    public long WindowShrinks { get; internal set; }

    /// <summary>Zero-window probes this direction sent (both forms).</summary>
    public long ZeroWindowProbes { get; internal set; }

    /// <summary>Of <see cref="ZeroWindowProbes"/>, those of the Linux form (no data, one below the next byte).</summary>
    public long ZeroWindowProbesWithoutData { get; internal set; }

    /// <summary>Segments of this direction that reached the right edge of the other side's window.</summary>
    public long WindowFull { get; internal set; }

    /// <summary>PMTU black holes this direction's large segments fell into.</summary>
    public long PmtuBlackHoles { get; internal set; }

    /// <summary>Nagle stalls of this direction's writes.</summary>
    public long NagleStalls { get; internal set; }

    /// <summary>Total time lost to them, ns.</summary>
    public long NagleStallNs { get; internal set; }

    /// <summary>Of <see cref="NagleStalls"/>, those of the write-write-read pattern (the peer answered at once).</summary>
    public long NagleWriteWriteRead { get; internal set; }

    /// <summary>Pure ACKs this direction sent that a delayed-ACK timer held back (past the minimum hold).</summary>
    public long DelayedAcks { get; internal set; }



    internal SequenceHoles Holes;

    /// <summary>SACK blocks of this direction's last ACK (left edge at 2i, right edge at 2i+1).</summary>
    internal Decoding.SackEdges SackBlocks;
    internal int SackBlockCount;

    /// <summary>The small segment being watched for a Nagle stall, this direction as its sender.</summary>
    internal NagleWatch Nagle;
}
