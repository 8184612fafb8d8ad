using System.Runtime.CompilerServices;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Collections;
using PcapInsight.Core.Decoding;

namespace PcapInsight.Core.Flows;

/// <summary>
/// The bidirectional flow table: finds or creates the flow of each IP packet, keeps its counters, expires idle
/// flows by capture time and, when a flow's partition of the table is full, evicts that partition's least recently
/// active flow (<see cref="FlowPartitions"/>: so a sharded analysis evicts the same flows). Flows leave the table to
/// <see cref="Ended"/> (an analysis lists them with its run's), or, on a table of its own, into <see cref="Finished"/>.
/// </summary>
/// <remarks>
/// A doubly linked list per partition, ordered by last activity, gives both expiry (walk from the oldest until one
/// is still fresh) and eviction (drop the oldest) in O(1) per flow; touching a flow on each packet is two pointer moves.
/// </remarks>
public sealed class FlowTable
{
    /// <summary>How stale a flow's place in the activity list may be (100 ms of capture time).</summary>
    private const long MoveGranularityNs = 100_000_000;

    private readonly FlowIndex _flows = new();
    // Ended flows, when nothing else lists them (see Ended): a table on its own lists and releases them itself.
    private readonly FlowListing _listing;
    private long _ended;
    private readonly FlowPartitions _partitions;
    // Each partition's activity list and count (indexed by Flow.Partition).
    private readonly ActivityList[] _lists;
    private readonly long _idleTimeoutNs;
    private readonly long _closeLingerNs;
    // Connections closed by FIN or RST, by the time of their last packet: they leave after the linger, not the idle
    // timeout, each when its own linger is over whatever the others did (which lets a sharded analysis close it at the
    // same tick as one table would). They close in clock order, so a FIFO holds them in order; one that had packets
    // since waits again in a priority queue, by its new time. An entry names its flow by the object and the time it
    // was queued: a flow that left the table another way (evicted, a new SYN on its 5-tuple) leaves its entry behind,
    // and its object may carry a later flow meanwhile (RecycleReleased), which the time tells apart (IsQueuedAs).
    // Entries left behind are dropped as they come due, or all at once when they are most of a long queue: a scan's
    // evicted resets would otherwise keep one each for the linger, two million in a minute.
    private readonly SegmentedQueue<ClosedEntry> _closed = new();   // segments: SegmentedQueue says why
    private long _staleEntries;             // entries whose flow left the table another way (an upper bound for _closed's)
    private int _compactClosedAt = MinCompactClosedAt;
    private const int MinCompactClosedAt = 1024;
    private PriorityQueue<Flow, long>? _closedAgain;   // made when first needed: most captures never do
    // Released flows' objects, reset, for the next flows to reuse (see RecycleReleased).
    private readonly Stack<Flow> _recycled = new();
    // Enough for the flows one expiry check releases at 300,000 new connections a second (about 620 bytes each).
    private const int MaxRecycled = 32_768;
    private Flow? _lastFlow;
    private bool _finishingAll;
    private int _nextId = 1;

    /// <summary>The flows of one partition, least recently active first.</summary>
    private struct ActivityList
    {
        public Flow? Oldest;
        public Flow? Newest;
        public int Count;
        public int Capacity;
    }

    /// <summary>Creates an empty table.</summary>
    public FlowTable(FlowTableOptions options)
    {
        options.Validate();
        _partitions = FlowPartitions.For(options.MaxFlows);
        _lists = new ActivityList[_partitions.Count];
        for (int i = 0; i < _lists.Length; i++)
        {
            _lists[i].Capacity = _partitions.CapacityOf(i);
        }
        _listing = new FlowListing(options.MaxListedFlows)
        {
            Releasing = (flow, _) =>
            {
                this.Releasing?.Invoke(flow);
                Recycle(flow);
            },
        };
        _idleTimeoutNs = (long)(options.IdleTimeout.TotalMilliseconds * 1_000_000);
        _closeLingerNs = (long)(options.CloseLinger.TotalMilliseconds * 1_000_000);
    }

    /// <summary>
    /// Where each flow goes as it leaves the table, once <see cref="Closing"/> has run: an analysis lists it with the
    /// others of its run (<see cref="FlowListing"/>, and gives released flows back to <see cref="Recycle"/>). Left
    /// null, the table lists them itself in <see cref="Finished"/>.
    /// </summary>
    internal Action<Flow>? Ended { get; set; }

    /// <summary>Flows that have left the table and are still listed (not released): notable ones first, each group in the order they left. Empty when <see cref="Ended"/> takes them.</summary>
    public IEnumerable<Flow> Finished => _listing.Listed;

    /// <summary>How many flows <see cref="Finished"/> holds.</summary>
    public int FinishedCount => _listing.Count;

    /// <summary>Ended flows released from <see cref="Finished"/> past <see cref="FlowTableOptions.MaxListedFlows"/>, by protocol.</summary>
    public (long Tcp, long Udp, long Other) Released => _listing.Released;

    /// <summary>Called for each ended flow the table itself releases from its list (analyses free what they held for it).</summary>
    internal Action<Flow>? Releasing { get; set; }

    /// <summary>
    /// Reuse the objects of released flows (the flow, its TCP facts and directions) for new flows, once
    /// <see cref="Releasing"/> has run: on a million short connections each flow's objects otherwise live long
    /// enough to be promoted and die in the costly generation, and collecting them was a third of the analysis. Off
    /// when something outside the analysis may hold a flow past its release (a <c>follow</c> observer).
    /// </summary>
    internal bool RecycleReleased { get; set; }

    /// <summary>Flows in the table now.</summary>
    public int ActiveCount => _flows.Count;

    /// <summary>The flows still in the table (for a report of the state so far: they stay open).</summary>
    public IEnumerable<Flow> Active => _flows.Values;

    /// <summary>Most flows held at once.</summary>
    public int PeakActive { get; private set; }

    /// <summary>Flows closed early because the table was full.</summary>
    public long Evicted { get; private set; }

    /// <summary>Flows closed because they were idle past the timeout.</summary>
    public long Expired { get; private set; }

    /// <summary>TCP connections that left the table <see cref="FlowTableOptions.CloseLinger"/> after they closed.</summary>
    public long ClosedAfterLinger { get; private set; }

    /// <summary>The connection the last <see cref="Update"/> closed because a new SYN reused its 5-tuple; null otherwise.</summary>
    public Flow? ReplacedFlow { get; private set; }

    /// <summary>
    /// Where in the capture the next flow would be created (frame index and phase, set by the analyzer): the order of
    /// flow ids across the shards of a sharded analysis. Recorded only when <see cref="RecordCreationOrder"/> is set.
    /// </summary>
    internal long CreationOrder { get; set; }

    /// <summary>
    /// Keep each flow's <see cref="CreationOrder"/>, on the flow while it is in the table and in <see cref="CreationPlaces"/>
    /// for good (a shard's table).
    /// </summary>
    internal bool RecordCreationOrder { get; init; }

    /// <summary>The creation order of flow id 1, 2, ... (ascending) when recorded.</summary>
    internal CreationPlaces CreationPlaces { get; } = new();

    /// <summary>
    /// Where in the capture <paramref name="flow"/> (in the table) was created, in a measure that grows with the
    /// capture: its <see cref="CreationOrder"/> when recorded (a shard's: comparable across shards), else its id.
    /// </summary>
    internal long CreationOrderOf(Flow flow) => RecordCreationOrder ? flow.CreationOrder : flow.Id;

    /// <summary>Flows created so far.</summary>
    public int Created => _nextId - 1;

    /// <summary>
    /// The capture's latest time so far (set by the analyzer before each update): the clock of the activity list and
    /// of expiry. It never steps back when a frame's timestamp does, so the list stays ordered and each flow expires
    /// at a time that depends on its own packets only.
    /// </summary>
    internal long ClockNs { get; set; }

    /// <summary>The flow <paramref name="p"/> would belong to, if it is open; nothing is counted or created.</summary>
    public Flow? Find(in DecodedPacket p, out bool fromClient)
    {
        FlowKey key = FlowKey.From(p, out bool sourceIsA);
        if (_flows.TryGetValue(key, out Flow? flow))
        {
            fromClient = sourceIsA == flow.ClientIsA;
            return flow;
        }
        fromClient = false;
        return null;
    }

    /// <summary>
    /// Finds or creates the flow of <paramref name="p"/> (an IP packet with addresses) and counts the packet.
    /// <paramref name="fromClient"/> tells the packet's direction; <paramref name="evicted"/> is true when making
    /// room closed another flow;
    /// <paramref name="countPacket"/> false updates the flow's state without counting a packet (a reassembled datagram).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public Flow Update(in DecodedPacket p, in CaptureInfo info, out bool fromClient, out bool evicted, bool countPacket = true)
    {
        evicted = false;
        long clock = Math.Max(ClockNs, info.TimestampNs);
        FlowKey key = FlowKey.From(p, out bool sourceIsA);
        bool pureSyn = p.Protocol == 6 && p.HasTransport && (p.Flags & (TcpFlags.Syn | TcpFlags.Ack)) == TcpFlags.Syn;
        // Consecutive packets usually belong to one flow (a bulk transfer, a burst): skip the hash lookup then.
        Flow? flow = _lastFlow;
        if (flow is null || !flow.Key.Equals(key))
        {
            _flows.TryGetValue(key, out flow);
        }
        ReplacedFlow = null;
        if (flow is not null && pureSyn && IsNewConnection(flow, p, sourceIsA))
        {
            ReplacedFlow = flow;   // before Finish: a flow the caller is about to read is not recycled
            Finish(flow, FlowCloseReason.Reused);
            flow = null;
        }
        if (flow is null)
        {
            int partition = _partitions.Of(key);
            if (_lists[partition].Count >= _lists[partition].Capacity)
            {
                Finish(_lists[partition].Oldest!, FlowCloseReason.Evicted);
                Evicted++;
                evicted = true;
            }
            flow = Create(key, partition, sourceIsA, p, info, clock);
        }
        else if (clock - flow.ListedAtNs >= MoveGranularityNs)
        {
            // Re-linking on every packet costs cache misses on two neighbours; the order only needs to be right
            // to within the granularity, since expiry and eviction work in whole seconds of idleness.
            MoveToNewest(flow, clock);
        }

        _lastFlow = flow;
        fromClient = sourceIsA == flow.ClientIsA;
        flow.LastTimeNs = Math.Max(flow.LastTimeNs, info.TimestampNs);
        flow.Tunnels |= p.Tunnels;
        flow.ActiveAtNs = clock;
        // A first fragment's payload is only part of its datagram: the reassembled datagram brings the whole
        // payload later (countPacket false), its frames having been counted as they came.
        long payload = p.IsFragment ? 0 : p.PayloadLength;
        if (fromClient)
        {
            flow.PayloadBytesC2S += payload;
            if (countPacket)
            {
                flow.PacketsC2S++;
                flow.BytesC2S += info.OriginalLength;
            }
        }
        else
        {
            flow.PayloadBytesS2C += payload;
            if (countPacket)
            {
                flow.PacketsS2C++;
                flow.BytesS2C += info.OriginalLength;
            }
        }
        if (flow.Tcp is { } tcp && p.HasTransport)
        {
            UpdateTcp(tcp, p, fromClient, info.TimestampNs);
            if (flow.CloseQueuedAtNs < 0 && (tcp.Reset || (tcp.FinC2S && tcp.FinS2C)))
            {
                flow.CloseQueuedAtNs = clock;
                EnqueueClosed(flow, clock);
            }
        }
        return flow;
    }

    /// <summary>
    /// Closes every flow idle since before <paramref name="nowNs"/> minus the idle timeout. The activity list is
    /// ordered to within 100 ms, so a flow is closed at most that much later than its exact deadline.
    /// </summary>
    public void Expire(long nowNs)
    {
        long cutoff = nowNs - _idleTimeoutNs;
        for (int i = 0; i < _lists.Length; i++)
        {
            for (Flow? flow = _lists[i].Oldest; flow is not null && flow.ActiveAtNs - MoveGranularityNs < cutoff;)
            {
                Flow? next = flow.NewerByActivity;
                if (flow.ActiveAtNs < cutoff)
                {
                    Expired++;
                    Finish(flow, FlowCloseReason.Timeout);
                }
                flow = next;
            }
        }
    }

    /// <summary>
    /// Closes the connections that ended (FIN both ways, or RST) and saw no packet for the linger. They wait by the
    /// time of their last packet; one that had packets since it was queued waits again from its new time.
    /// </summary>
    public void ExpireClosed(long nowNs)
    {
        long cutoff = nowNs - _closeLingerNs;
        while (TryTakeClosed(cutoff, out Flow? flow, out long queuedAt))
        {
            if (!IsQueuedAs(flow, queuedAt))
            {
                _staleEntries--;
                continue;   // it left the table another way meanwhile (a new SYN on its 5-tuple, eviction)
            }
            if (flow.ActiveAtNs > queuedAt)
            {
                flow.CloseQueuedAtNs = flow.ActiveAtNs;
                (_closedAgain ??= new()).Enqueue(flow, flow.ActiveAtNs);   // due now too if that is past the cutoff: met again in this loop
                continue;
            }
            ClosedAfterLinger++;
            flow.CloseQueuedAtNs = -1;   // its entry is taken: none left behind
            Finish(flow, FlowCloseReason.Open);
        }
    }

    // A connection in the close queue, with the time it was queued at (its flow object may be reused meanwhile).
    private readonly record struct ClosedEntry(Flow Flow, long QueuedAt);

    /// <summary>
    /// True when the entry queued at <paramref name="queuedAt"/> is still the flow's: the flow was queued at that time
    /// and is in the table (a flow that leaves it is no more queued: <see cref="Finish"/>). Its object carrying a
    /// later flow fails too (a reused object is not queued, or was queued later), except a later flow queued at that
    /// very time, which is due at the same moment as the entry says, so the entry may close it as its own would.
    /// </summary>
    private static bool IsQueuedAs(Flow flow, long queuedAt) => flow.CloseQueuedAtNs == queuedAt;

    /// <summary>Entries in the queue of closed connections, left-behind ones included (a test of its bound).</summary>
    internal int ClosedQueueLength => _closed.Count;

    private void EnqueueClosed(Flow flow, long clock)
    {
        // Compacted when left-behind entries are most of the queue, at twice the count the last pass left: each pass
        // reads every entry's flow once and drops at least the half, or waits for the queue to double.
        if (_closed.Count >= _compactClosedAt && _staleEntries > _closed.Count / 2)
        {
            _staleEntries -= _closed.RemoveAll(static e => !IsQueuedAs(e.Flow, e.QueuedAt));
            _compactClosedAt = Math.Max(MinCompactClosedAt, 2 * _closed.Count);
        }
        _closed.Enqueue(new ClosedEntry(flow, clock));
    }

    /// <summary>Takes the closed connection queued earliest, if it was queued at or before <paramref name="cutoff"/>.</summary>
    private bool TryTakeClosed(long cutoff, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Flow? flow, out long queuedAt)
    {
        bool first = _closed.TryPeek(out ClosedEntry head);
        Flow? waiting = null;
        long waitingAt = 0;
        bool again = _closedAgain is not null && _closedAgain.TryPeek(out waiting, out waitingAt);
        if (first && head.QueuedAt <= cutoff && (!again || head.QueuedAt <= waitingAt))
        {
            _closed.Dequeue();
            (flow, queuedAt) = head;
            return true;
        }
        if (again && waitingAt <= cutoff)
        {
            _closedAgain!.Dequeue();
            (flow, queuedAt) = (waiting!, waitingAt);
            return true;
        }
        flow = null;
        queuedAt = 0;
        return false;
    }

    /// <summary>Closes every remaining flow at the end of the capture.</summary>
    public void FinishAll()
    {
        // Every flow goes: the index is dropped at once rather than entry by entry (on a table of a million flows
        // each removal is two cache misses, about 0.4 µs here). Nothing looks a flow up while they close.
        _finishingAll = true;
        // Least recently active first over all partitions, as one list would hold them (each list is in the order its
        // flows took their places, by time): on a capture of short connections that is about the order their objects
        // were allocated. Partition after partition touched them in a scattered order instead: 7 % more time on
        // 200,000 connections (flows-200k.pcap, ten interleaved runs), the objects' cache misses as each one closes.
        // The partitions' heads in a binary heap by (place, partition): taking the oldest costs a few comparisons
        // in one small array, where a scan of every head read 64 flows for each one closed (2 % of the million
        // connections' analysis). Ties go to the lowest partition, as the scan had them.
        Span<Head> heap = stackalloc Head[_lists.Length];
        int count = 0;
        for (int i = 0; i < _lists.Length; i++)
        {
            if (_lists[i].Oldest is { } head)
            {
                heap[count++] = new Head(head.ListedAtNs, i);
                SiftUp(heap, count - 1);
            }
        }
        while (count > 0)
        {
            Head top = heap[0];
            Flow? oldest = _lists[top.Partition].Oldest;
            if (oldest is not null && oldest.ListedAtNs == top.At)
            {
                Finish(oldest, FlowCloseReason.Open);
                oldest = _lists[top.Partition].Oldest;
            }
            // The partition's next head takes its place (or, had its list changed under the heap, its present one).
            if (oldest is null)
            {
                heap[0] = heap[--count];
            }
            else
            {
                heap[0] = new Head(oldest.ListedAtNs, top.Partition);
            }
            SiftDown(heap[..count], 0);
        }
        _flows.Clear();
        _finishingAll = false;
    }

    // A partition's least recently active flow's place, for FinishAll's heap.
    private readonly record struct Head(long At, int Partition)
    {
        public bool Before(Head other) => At < other.At || (At == other.At && Partition < other.Partition);
    }

    private static void SiftUp(Span<Head> heap, int at)
    {
        while (at > 0)
        {
            int parent = (at - 1) >> 1;
            if (!heap[at].Before(heap[parent]))
            {
                return;
            }
            (heap[at], heap[parent]) = (heap[parent], heap[at]);
            at = parent;
        }
    }

    private static void SiftDown(Span<Head> heap, int at)
    {
        while (true)
        {
            int first = at, left = 2 * at + 1, right = left + 1;
            if (left < heap.Length && heap[left].Before(heap[first]))
            {
                first = left;
            }
            if (right < heap.Length && heap[right].Before(heap[first]))
            {
                first = right;
            }
            if (first == at)
            {
                return;
            }
            (heap[at], heap[first]) = (heap[first], heap[at]);
            at = first;
        }
    }

    /// <summary>
    /// Wireshark's rule for a reused 5-tuple (<c>packet-tcp.c</c>): a SYN whose sequence number differs from the
    /// first one seen in that direction starts a new connection. A retransmitted SYN has the same number.
    /// </summary>
    private static bool IsNewConnection(Flow flow, in DecodedPacket p, bool sourceIsA)
    {
        TcpFlowFacts tcp = flow.Tcp!;
        bool fromClient = sourceIsA == flow.ClientIsA;
        return fromClient
            ? tcp.HasBaseSeqC2S && tcp.BaseSeqC2S != p.Seq
            : tcp.HasBaseSeqS2C && tcp.BaseSeqS2C != p.Seq;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void UpdateTcp(TcpFlowFacts tcp, in DecodedPacket p, bool fromClient, long timeNs)
    {
        TcpFlags flags = p.Flags;
        if (fromClient)
        {
            if (!tcp.HasBaseSeqC2S)
            {
                tcp.HasBaseSeqC2S = true;
                tcp.BaseSeqC2S = p.Seq;
            }
        }
        else if (!tcp.HasBaseSeqS2C)
        {
            tcp.HasBaseSeqS2C = true;
            tcp.BaseSeqS2C = p.Seq;
        }
        if ((flags & TcpFlags.Syn) != 0)
        {
            if ((flags & TcpFlags.Ack) == 0 && fromClient)
            {
                if (!tcp.SawSyn)
                {
                    tcp.SawSyn = true;
                    tcp.ClientIsn = p.Seq;
                    tcp.SynTimeNs = timeNs;
                }
                tcp.MssC2S = p.TcpOptions.Mss;
                tcp.WindowScaleC2S = p.TcpOptions.WindowScale;
                tcp.SackPermittedC2S = p.TcpOptions.SackPermitted;
                tcp.TimestampsC2S = p.TcpOptions.HasTimestamps;
            }
            else if ((flags & TcpFlags.Ack) != 0 && !fromClient)
            {
                if (!tcp.SawSynAck)
                {
                    tcp.SawSynAck = true;
                    tcp.SynAckTimeNs = timeNs;
                }
                tcp.MssS2C = p.TcpOptions.Mss;
                tcp.WindowScaleS2C = p.TcpOptions.WindowScale;
                tcp.SackPermittedS2C = p.TcpOptions.SackPermitted;
                tcp.TimestampsS2C = p.TcpOptions.HasTimestamps;
            }
        }
        else if (fromClient && (flags & TcpFlags.Ack) != 0 && tcp.SawSyn && tcp.SawSynAck && tcp.InitialRttNs < 0)
        {
            tcp.InitialRttNs = timeNs - tcp.SynTimeNs;
        }
        if ((flags & TcpFlags.Fin) != 0)
        {
            if (fromClient)
            {
                tcp.FinC2S = true;
            }
            else
            {
                tcp.FinS2C = true;
            }
        }
        if ((flags & TcpFlags.Rst) != 0)
        {
            tcp.Reset = true;
        }
    }

    private Flow Create(FlowKey key, int partition, bool sourceIsA, in DecodedPacket p, in CaptureInfo info, long clock)
    {
        // The client sends the SYN; a SYN-ACK seen first means its receiver is the client. Otherwise: first sender.
        bool synAckFirst = p.Protocol == 6 && p.HasTransport && (p.Flags & (TcpFlags.Syn | TcpFlags.Ack)) == (TcpFlags.Syn | TcpFlags.Ack);
        bool clientIsSource = !synAckFirst;
        Flow flow = _recycled.Count > 0 ? _recycled.Pop() : new Flow();
        flow.Id = _nextId++;
        flow.Key = key;
        flow.Partition = (byte)partition;
        flow.ClientIsA = clientIsSource == sourceIsA;
        flow.FirstTimeNs = info.TimestampNs;
        flow.LastTimeNs = info.TimestampNs;
        flow.ActiveAtNs = clock;
        flow.FirstFrame = info.FrameNumber;
        flow.FirstFileIndex = info.FileIndex;
        // A recycled flow keeps its reset TCP facts for the next TCP flow.
        flow.Tcp = p.Protocol != 6 ? null : flow.Tcp ?? new TcpFlowFacts();
        _flows.Add(flow);
        if (RecordCreationOrder)
        {
            flow.CreationOrder = CreationOrder;
            CreationPlaces.Add(CreationOrder);
        }
        AppendNewest(flow);
        if (_flows.Count > PeakActive)
        {
            PeakActive = _flows.Count;
        }
        return flow;
    }

    /// <summary>Called for each flow as it leaves the table, before it joins <see cref="Finished"/>: analyses write what they held back.</summary>
    internal Action<Flow>? Closing { get; set; }

    private void Finish(Flow flow, FlowCloseReason reasonIfOpen)
    {
        if (!_finishingAll)
        {
            _flows.Remove(flow);
        }
        if (ReferenceEquals(flow, _lastFlow))
        {
            _lastFlow = null;
        }
        Unlink(flow);
        if (flow.CloseQueuedAtNs >= 0)
        {
            flow.CloseQueuedAtNs = -1;   // it leaves its entry behind in a queue of closed connections (IsQueuedAs)
            _staleEntries++;
        }
        FlowCloseReason fromFlags = flow.Tcp switch
        {
            { Reset: true } => FlowCloseReason.Reset,
            { FinC2S: true, FinS2C: true } => FlowCloseReason.Fin,
            { FinC2S: true } or { FinS2C: true } => FlowCloseReason.HalfClosed,
            _ => FlowCloseReason.Open,
        };
        // What the packets said wins over how the flow left the table, except a half-closed flow that timed out.
        flow.Close = fromFlags is FlowCloseReason.Reset or FlowCloseReason.Fin ? fromFlags
            : reasonIfOpen != FlowCloseReason.Open ? reasonIfOpen : fromFlags;
        Closing?.Invoke(flow);
        if (Ended is { } ended)
        {
            ended(flow);
        }
        else
        {
            _listing.Add(flow, flow.IsNotable, _ended++, CreationOrderOf(flow), owner: null);   // each flow its own place: listed at once
            _listing.Flush();
        }
    }

    /// <summary>
    /// Keeps a released flow's objects for reuse, unless the caller may still read it (<see cref="ReplacedFlow"/>).
    /// An entry a queue of closed connections still holds for it is no obstacle: the entry is told apart from the
    /// object's next flow by its time (<see cref="IsQueuedAs"/>). Held back for that entry, the connections a full
    /// table evicts while they linger (a port scan: every probe a reset) stayed in memory until their linger's end,
    /// half a million past the million-flow table at once. (The series policy holds the flow's claim, not the flow.)
    /// </summary>
    internal void Recycle(Flow flow)
    {
        if (!RecycleReleased || ReferenceEquals(flow, ReplacedFlow)
            || _recycled.Count >= MaxRecycled)
        {
            return;
        }
        flow.ResetForReuse();
        _recycled.Push(flow);
    }

    private void AppendNewest(Flow flow)
    {
        ref ActivityList list = ref _lists[flow.Partition];
        flow.ListedAtNs = flow.ActiveAtNs;
        flow.OlderByActivity = list.Newest;
        flow.NewerByActivity = null;
        if (list.Newest is not null)
        {
            list.Newest.NewerByActivity = flow;
        }
        list.Newest = flow;
        list.Oldest ??= flow;
        list.Count++;
    }

    private void MoveToNewest(Flow flow, long nowNs)
    {
        if (!ReferenceEquals(flow, _lists[flow.Partition].Newest))
        {
            Unlink(flow);
            AppendNewest(flow);
        }
        flow.ListedAtNs = nowNs;
    }

    private void Unlink(Flow flow)
    {
        ref ActivityList list = ref _lists[flow.Partition];
        if (flow.OlderByActivity is not null)
        {
            flow.OlderByActivity.NewerByActivity = flow.NewerByActivity;
        }
        else
        {
            list.Oldest = flow.NewerByActivity;
        }
        if (flow.NewerByActivity is not null)
        {
            flow.NewerByActivity.OlderByActivity = flow.OlderByActivity;
        }
        else
        {
            list.Newest = flow.OlderByActivity;
        }
        flow.OlderByActivity = null;
        flow.NewerByActivity = null;
        list.Count--;
    }
}
