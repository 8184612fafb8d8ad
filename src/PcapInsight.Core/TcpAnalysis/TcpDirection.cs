namespace PcapInsight.Core.TcpAnalysis;

/// <summary>
/// One direction of a TCP connection as the capture saw it: how far its sender has sent, what it acknowledged of
/// the other direction, and the counts of what went wrong. A value inside its connection's <see cref="Flows.TcpFlowFacts"/>
/// (not an object of its own): on a capture of a million connections, alive together, two objects fewer a connection
/// for the collector to allocate, mark and copy (bench/RESULTS.md), and one pointer fewer between a packet and its state.
/// The analyzers update it in place, by reference (<see cref="Flows.TcpFlowFacts.Direction"/>); the public
/// <see cref="Flows.TcpFlowFacts.C2S"/> and <see cref="Flows.TcpFlowFacts.S2C"/> are read-only references.
/// </summary>
public struct TcpDirection
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

    // The duplicate-ACK run, the zero-window episode, the black-hole watch and the SACK blocks' count live in the
    // out-of-line state: each begins with an event counted there (a duplicate ACK, a zero window, a resent segment) or
    // goes with what is kept there (the SACK blocks), so keeping them there allocates nothing more, and every
    // connection is 32 bytes a direction smaller. Setting a default value on a direction without that state makes none.

    /// <summary>Capture time of the last duplicate ACK this direction sent.</summary>
    public long LastDupAckTimeNs
    {
        readonly get => _cold?.LastDupAckTimeNs ?? 0;
        internal set
        {
            if (value != 0 || _cold is not null)
            {
                Cold.LastDupAckTimeNs = value;
            }
        }
    }

    /// <summary>Duplicate ACKs in a row for <see cref="LastAck"/>.</summary>
    public int DupAcksInARow
    {
        readonly get => _cold?.DupAcksInARow ?? 0;
        internal set
        {
            if (value != 0 || _cold is not null)
            {
                Cold.DupAcksInARow = value;
            }
        }
    }

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
    internal ZeroWindowEpisode? Episode
    {
        readonly get => _cold?.Episode;
        set
        {
            if (value is not null || _cold is not null)
            {
                Cold.Episode = value;
            }
        }
    }

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
    internal PmtuBlackHoleDetector.State? BlackHole
    {
        readonly get => _cold?.BlackHole;
        set
        {
            if (value is not null || _cold is not null)
            {
                Cold.BlackHole = value;
            }
        }
    }

    /// <summary>The delayed-ACK profile of this direction's host, as an ACK sender; null until it sends one.</summary>
    internal DelayedAckProfile? AckProfile;

    // ---- Counters and large inline buffers, out of line: touched only when something happens ----

    /// <summary>Segments resending bytes already seen (fast retransmissions included).</summary>
    public long Retransmissions { readonly get => _cold?.Retransmissions ?? 0; internal set => Cold.Retransmissions = value; }

    /// <summary>Retransmissions that followed at least two duplicate ACKs for their sequence number.</summary>
    public long FastRetransmissions { readonly get => _cold?.FastRetransmissions ?? 0; internal set => Cold.FastRetransmissions = value; }

    /// <summary>Retransmissions of bytes the other side had already acknowledged (counted in <see cref="Retransmissions"/> too).</summary>
    public long SpuriousRetransmissions { readonly get => _cold?.SpuriousRetransmissions ?? 0; internal set => Cold.SpuriousRetransmissions = value; }

    /// <summary>ACKs sent by the other direction for bytes of this one the capture never saw (Wireshark's "ACKed unseen segment").</summary>
    public long AckedUnseen { readonly get => _cold?.AckedUnseen ?? 0; internal set => Cold.AckedUnseen = value; }

    /// <summary>Segments that filled a gap within the out-of-order threshold (reordering before the capture point).</summary>
    public long OutOfOrder { readonly get => _cold?.OutOfOrder ?? 0; internal set => Cold.OutOfOrder = value; }

    /// <summary>Gaps: a segment started past <see cref="NextSeq"/>, so earlier bytes were not captured.</summary>
    public long LostSegments { readonly get => _cold?.LostSegments ?? 0; internal set => Cold.LostSegments = value; }

    /// <summary>Duplicate ACKs sent by this direction.</summary>
    public long DupAcks { readonly get => _cold?.DupAcks ?? 0; internal set => Cold.DupAcks = value; }

    /// <summary>Smallest RTT sample, ns; 0 without samples.</summary>
    public long RttMinNs { get; internal set; }

    /// <summary>Largest RTT sample, ns.</summary>
    public long RttMaxNs { get; internal set; }

    /// <summary>Sum of the RTT samples, ns (mean = sum / samples).</summary>
    public long RttSumNs { get; internal set; }

    /// <summary>Keep-alive probes sent by this direction.</summary>
    public long KeepAlives { readonly get => _cold?.KeepAlives ?? 0; internal set => Cold.KeepAlives = value; }

    /// <summary>Segments of this direction that advertised a zero window (tshark's per-packet count).</summary>
    public long ZeroWindowAdverts { readonly get => _cold?.ZeroWindowAdverts ?? 0; internal set => Cold.ZeroWindowAdverts = value; }

    /// <summary>Zero-window episodes of this direction's window: each a closing of the window and its reopening.</summary>
    public long ZeroWindowEpisodes { readonly get => _cold?.ZeroWindowEpisodes ?? 0; internal set => Cold.ZeroWindowEpisodes = value; }

    /// <summary>Total time this direction's window stayed at zero, ns.</summary>
    public long ZeroWindowNs { readonly get => _cold?.ZeroWindowNs ?? 0; internal set => Cold.ZeroWindowNs = value; }

    /// <summary>The longest single zero-window episode, ns.</summary>
    public long LongestZeroWindowNs { readonly get => _cold?.LongestZeroWindowNs ?? 0; internal set => Cold.LongestZeroWindowNs = value; }

    /// <summary>
    /// Episodes after which the sender filled the whole reopened window at once: it had more data queued, so its
    /// send buffer was full too and its writes waited on this direction's reader.
    /// </summary>
    public long ZeroWindowsSenderFilled { readonly get => _cold?.ZeroWindowsSenderFilled ?? 0; internal set => Cold.ZeroWindowsSenderFilled = value; }

    /// <summary>Window updates this direction sent (a pure ACK whose only news is a new window).</summary>
    public long WindowUpdates { readonly get => _cold?.WindowUpdates ?? 0; internal set => Cold.WindowUpdates = value; }

    /// <summary>Times this direction moved its window's right edge to the left.</summary>
    public long WindowShrinks { readonly get => _cold?.WindowShrinks ?? 0; internal set => Cold.WindowShrinks = value; }

    /// <summary>Zero-window probes this direction sent (both forms).</summary>
    public long ZeroWindowProbes { readonly get => _cold?.ZeroWindowProbes ?? 0; internal set => Cold.ZeroWindowProbes = value; }

    /// <summary>Of <see cref="ZeroWindowProbes"/>, those of the Linux form (no data, one below the next byte).</summary>
    public long ZeroWindowProbesWithoutData { readonly get => _cold?.ZeroWindowProbesWithoutData ?? 0; internal set => Cold.ZeroWindowProbesWithoutData = value; }

    /// <summary>Segments of this direction that reached the right edge of the other side's window.</summary>
    public long WindowFull { readonly get => _cold?.WindowFull ?? 0; internal set => Cold.WindowFull = value; }

    /// <summary>PMTU black holes this direction's large segments fell into.</summary>
    public long PmtuBlackHoles { readonly get => _cold?.PmtuBlackHoles ?? 0; internal set => Cold.PmtuBlackHoles = value; }

    /// <summary>Nagle stalls of this direction's writes.</summary>
    public long NagleStalls { readonly get => _cold?.NagleStalls ?? 0; internal set => Cold.NagleStalls = value; }

    /// <summary>Total time lost to them, ns.</summary>
    public long NagleStallNs { readonly get => _cold?.NagleStallNs ?? 0; internal set => Cold.NagleStallNs = value; }

    /// <summary>Of <see cref="NagleStalls"/>, those of the write-write-read pattern (the peer answered at once).</summary>
    public long NagleWriteWriteRead { readonly get => _cold?.NagleWriteWriteRead ?? 0; internal set => Cold.NagleWriteWriteRead = value; }

    /// <summary>Pure ACKs this direction sent that a delayed-ACK timer held back (past the minimum hold).</summary>
    public long DelayedAcks { readonly get => _cold?.DelayedAcks ?? 0; internal set => Cold.DelayedAcks = value; }



    internal ref SequenceHoles Holes => ref Cold.Holes;

    /// <summary>SACK blocks of this direction's last ACK (left edge at 2i, right edge at 2i+1).</summary>
    internal ref Decoding.SackEdges SackBlocks => ref Cold.SackBlocks;

    /// <summary>How many of <see cref="SackBlocks"/> the last ACK carried: out of line with them (an ACK without any, the common one, makes nothing).</summary>
    internal int SackBlockCount
    {
        readonly get => _cold?.SackBlockCount ?? 0;
        set
        {
            if (value != 0 || _cold is not null)
            {
                Cold.SackBlockCount = value;
            }
        }
    }

    /// <summary>The small segment being watched for a Nagle stall, this direction as its sender; null while none is.</summary>
    /// <remarks>
    /// Lent by <see cref="TcpTimingAnalyzer"/> for the watch and given back when it ends, neither inline nor in the
    /// out-of-line state. Every small write with nothing outstanding is watched, so in request/response traffic
    /// nearly every direction arms it: in the out-of-line state it allocated 368 bytes that died with the flow (on a
    /// million short connections, 40 % of what the analysis allocated, collected in the costly generation); inline it
    /// took 64 bytes of every direction for the whole life of the connection (a million connections waiting out the
    /// close linger: 128 MB). A watch lasts from a small write to its ACK or answer, so few are out at once.
    /// </remarks>
    internal NagleWatch? Nagle;

    private ColdState? _cold;

    /// <summary>The counters and buffers, allocated the first time something happens in this direction.</summary>
    private ColdState Cold => _cold ??= new ColdState();

    /// <summary>True while the direction holds rare-path state: after <see cref="ReleaseRarePathState"/>, when it counted something.</summary>
    internal readonly bool HasRarePathState => _cold is not null;

    /// <summary>
    /// Every field as a new direction has it, for a direction reused by a later flow (<see cref="Flows.FlowTable"/>
    /// recycles released flows): a new direction is the default value (no field has an initializer; a test holds
    /// that), so nothing added later can be forgotten here.
    /// </summary>
    internal void ResetForReuse() => this = default;

    /// <summary>
    /// Called when the flow has closed and every analysis has written what it held back: the rare paths' buffers
    /// are no longer needed, so a direction whose counters are all zero drops its out-of-line state.
    /// </summary>
    internal void ReleaseRarePathState()
    {
        if (_cold is { } c && c.CountsNothing)
        {
            _cold = null;
        }
    }

    /// <summary>
    /// What most packets never touch: counters of things that went wrong and the inline buffers of rare paths.
    /// Kept out of line so the state every packet reads stays a few cache lines (10,000 flows in turn make each
    /// one a miss); allocated once per direction, on its first event.
    /// </summary>
    private sealed class ColdState
    {
        internal SequenceHoles Holes;
        internal Decoding.SackEdges SackBlocks;
        internal ZeroWindowEpisode? Episode;
        internal PmtuBlackHoleDetector.State? BlackHole;
        internal long LastDupAckTimeNs;
        internal int DupAcksInARow;
        internal int SackBlockCount;
        internal long Retransmissions;
        internal long FastRetransmissions;
        internal long SpuriousRetransmissions;
        internal long AckedUnseen;
        internal long OutOfOrder;
        internal long LostSegments;
        internal long DupAcks;
        internal long KeepAlives;
        internal long ZeroWindowAdverts;
        internal long ZeroWindowEpisodes;
        internal long ZeroWindowNs;
        internal long LongestZeroWindowNs;
        internal long ZeroWindowsSenderFilled;
        internal long WindowUpdates;
        internal long WindowShrinks;
        internal long ZeroWindowProbes;
        internal long ZeroWindowProbesWithoutData;
        internal long WindowFull;
        internal long PmtuBlackHoles;
        internal long NagleStalls;
        internal long NagleStallNs;
        internal long NagleWriteWriteRead;
        internal long DelayedAcks;

        internal bool CountsNothing =>
            (Retransmissions | FastRetransmissions | SpuriousRetransmissions | AckedUnseen | OutOfOrder | LostSegments | DupAcks
            | KeepAlives | ZeroWindowAdverts | ZeroWindowEpisodes | ZeroWindowNs | LongestZeroWindowNs | ZeroWindowsSenderFilled
            | WindowUpdates | WindowShrinks | ZeroWindowProbes | ZeroWindowProbesWithoutData | WindowFull | PmtuBlackHoles
            | NagleStalls | NagleStallNs | NagleWriteWriteRead | DelayedAcks) == 0 && Holes.Count == 0;
    }
}
