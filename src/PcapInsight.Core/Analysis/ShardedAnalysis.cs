using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Events;
using PcapInsight.Core.Flows;
using PcapInsight.Core.Fragments;

namespace PcapInsight.Core.Analysis;

/// <summary>
/// The analysis on several cores (<c>--threads N</c>): the reading thread counts and decodes each frame, reassembles
/// fragmented datagrams, and hands each packet to one of N shards by a symmetric hash of its flow's addresses and
/// ports, so both directions of a flow meet in one shard (a reassembled datagram goes to its flow's shard, an ICMP
/// error's quoted packet to the shard of the flow it quotes). Each shard is a <see cref="CaptureAnalyzer"/> on its own
/// thread; the merge renumbers flows in the order they were created in the capture and keeps the event rows a single
/// analyzer would keep (<see cref="Events.EventOrder"/>), so the report is the single-threaded one, byte for byte.
/// </summary>
/// <remarks>
/// Work travels in batches shared by every shard (Suricata's autofp hands packets over the same way, in queues): each
/// shard walks every batch in capture order, does its own entries (a packet, a reassembled datagram, an ICMP error, a
/// datagram lost with a fragment) and every expiry check, so idle flows close at the same point of the capture as in
/// one analyzer. The flow table's limit (--max-flows) is shared out, each shard holding 1/N: only a capture that
/// reaches it can tell the runs apart. The limits on what is kept of the whole capture (--series-flows,
/// --max-ack-profile-hosts, --max-listed-flows) are decided on the reading thread from every shard's claims and ended
/// flows in capture order (<see cref="Admissions"/>), so they keep, list and release what one analyzer would.
/// </remarks>
public static class ShardedAnalysis
{
    private const int FramesPerBatch = 4096;
    private const int BatchBytes = 1 << 20;
    private const int BatchesInFlight = 8;
    private const int AllShards = -1;

    /// <summary>Reads every frame of <paramref name="source"/> with <paramref name="threads"/> shards and merges them.</summary>
    public static AnalysisResult Run(IPacketSource source, IReadOnlyList<CaptureFileStats> files, AnalysisOptions? options, int threads,
        Action? progress = null, CancellationToken cancellation = default)
    {
        options ??= AnalysisOptions.Default;
        options.Validate();
        // A shard takes whole partitions of the flow table: more shards than partitions would have nothing to do.
        var partitions = FlowPartitions.For(options.Flows.MaxFlows);
        threads = Math.Min(threads, partitions.Count);
        if (threads <= 1)
        {
            return CaptureAnalyzer.Run(source, files, options, progress, cancellation);
        }
        var reader = new CaptureAnalyzer(options);
        var shards = new CaptureAnalyzer[threads];
        // Which flows get series, which hosts a profile and which ended flows stay listed is decided here, on the
        // reading thread, from the shards' claims and ended flows in capture order: as one analyzer decides.
        var admissions = new Admissions(options.SeriesFlows, options.Nagle.MaxProfiledHosts, options.Flows.MaxListedFlows);
        var logs = new AdmissionLog[threads];
        // Each shard's collector keeps the event rows it could contribute to the first --max-events; together they
        // drop the rows that all of theirs push past it (SharedRowLimit), so N shards do not hold N times the rows.
        var rowLimit = new SharedRowLimit(threads + 1, options.MaxEventRows);
        reader.ShareRowLimit(rowLimit, threads);
        for (int i = 0; i < threads; i++)
        {
            logs[i] = AdmissionLog.Queued(admissions, i);
            shards[i] = new CaptureAnalyzer(options, logs[i]);
            shards[i].ShareRowLimit(rowLimit, i);
        }
        // Shard 0 runs on the reading thread, which replays: whatever it claims later is placed past any place the
        // other shards have reached.
        logs[0].CompleteBelow(long.MaxValue);

        // Shard 0 runs on the reading thread, between reads; shards 1..N-1 on their own threads. So N threads are
        // busy, not N + 1 on N cores.
        var free = new BlockingCollection<FrameBatch>(BatchesInFlight);
        for (int i = 0; i < BatchesInFlight; i++)
        {
            free.Add(new FrameBatch());
        }
        var queues = new BlockingCollection<FrameBatch>[threads - 1];
        var workers = new Thread[threads - 1];
        var failures = new ConcurrentQueue<Exception>();
        using var stop = new CancellationTokenSource();
        for (int i = 0; i < workers.Length; i++)
        {
            queues[i] = new BlockingCollection<FrameBatch>(BatchesInFlight);
            int shard = i + 1;
            BlockingCollection<FrameBatch> queue = queues[i];
            workers[i] = new Thread(() => Work(shards[shard], shard, queue, free, failures, stop))
            {
                Name = $"pcapinsight-shard-{shard}",
                IsBackground = true,
            };
            workers[i].Start();
        }

        try
        {
            Read(source, reader, shards[0], new Shards(partitions, threads), free, queues, logs, progress, cancellation, stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // a shard failed: its exception is rethrown below
        }
        catch (Exception e)
        {
            // The reading thread's own failure (the source, or shard 0 on this thread) leaves as it came, as it
            // would from one analyzer, once the other shards have stopped.
            stop.Cancel();
            Stop(queues, workers);
            foreach (CaptureAnalyzer s in shards)
            {
                s.DisposeSpool();
            }
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e).Throw();
        }
        Stop(queues, workers);
        if (!failures.IsEmpty)
        {
            foreach (CaptureAnalyzer s in shards)
            {
                s.DisposeSpool();
            }
            if (failures.Count == 1 && failures.TryPeek(out Exception? only))
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(only).Throw();   // as one analyzer would throw it
            }
            throw new AggregateException("shards of the analysis failed", failures);
        }
        long lastFrameTimeNs = reader.LastFrameTimeNs;
        // Every shard has stopped, so all it logged below the end is in: the places before the end are listed now,
        // before the room for the end's flows is made. Made first, it went with the list of the first earlier place
        // replayed (a place's list is given back once listed), and the end's million flows doubled a new one through
        // the large-object heap: full collections of a heap of a million flows (udp-flows.pcap, two shards).
        foreach (AdmissionLog log in logs)
        {
            log.CompleteBelow(AdmissionLog.EndPlace);
        }
        AdmissionLog.ReplayBelow(logs, AdmissionLog.EndPlace);
        admissions.Listing.Expect(shards.Sum(s => s.ActiveFlows));   // every flow still open ends at one place
        foreach (CaptureAnalyzer s in shards)
        {
            s.FinishFlows(lastFrameTimeNs);
        }
        AdmissionLog.ReplayAll(logs);
        foreach (CaptureAnalyzer s in shards)
        {
            s.Settle();
            if (s.SeriesPointsWaiting != 0)
            {
                throw new InvalidOperationException("series points still wait for an answer after every claim was answered");
            }
        }
        return CaptureAnalyzer.Merge(reader, shards, files);
    }

    private static void Stop(BlockingCollection<FrameBatch>[] queues, Thread[] workers)
    {
        foreach (BlockingCollection<FrameBatch> q in queues)
        {
            if (!q.IsAddingCompleted)
            {
                q.CompleteAdding();
            }
        }
        foreach (Thread w in workers)
        {
            w.Join();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Read(IPacketSource source, CaptureAnalyzer reader, CaptureAnalyzer shard0, Shards shards, BlockingCollection<FrameBatch> free,
        BlockingCollection<FrameBatch>[] queues, AdmissionLog[] logs, Action? progress, CancellationToken cancellation, CancellationToken failed)
    {
        var output = new BatchWriter(shard0, free, queues, logs, failed);
        long frameIndex = 0;
        // Reassembly stays on this thread (fragments carry no ports to shard by); what it yields goes to the flows' shards.
        reader.DivertReassembled = (in DecodedPacket whole, in DatagramFacts facts, ReadOnlySpan<byte> payload, in CaptureInfo info) =>
            output.Add(EntryKind.Reassembled, shards.Of(whole), info, payload, whole, frameIndex, facts);
        reader.DivertLost = facts => output.Add(EntryKind.LostDatagram, shards.Of(facts.FlowPacket()), output.Clock, [], default, frameIndex, facts);
        long n = 0;
        while (source.TryRead(out CaptureInfo info, out ReadOnlySpan<byte> frame))
        {
            FrameStage stage = reader.Classify(info, frame);
            frameIndex = reader.FramesSeen;
            if (frameIndex == 1)
            {
                output.OriginNs = info.TimestampNs;   // the first frame, IP or not: the clock's origin in every shard too
                shard0.StartClock(info.TimestampNs);
            }
            output.Clock = info;
            output.LatestNs = reader.LatestTimeNs;
            if (stage != FrameStage.Counted)
            {
                ref readonly DecodedPacket p = ref reader.LastPacket;
                if (p.IsFragment)
                {
                    reader.ReassembleForShards(frame, p, info);
                }
                if (stage == FrameStage.Flow)
                {
                    if (p.IcmpMtu > 0 && p.Protocol is 1 or 58)
                    {
                        int quoted = CaptureAnalyzer.TryReadQuotedFlow(frame, p, out DecodedPacket q) ? shards.Of(q) : shards.Of(p);
                        output.Add(EntryKind.PathMtu, quoted, info, frame, p, frameIndex, default);
                    }
                    if (reader.ExpiryDue(info.TimestampNs))
                    {
                        output.Add(EntryKind.Expiry, AllShards, info, [], default, frameIndex, default);
                        reader.ExpireFragments(info.TimestampNs);
                    }
                    // The TCP analysis reads only the decoded headers: a TCP packet travels without its bytes (a bulk
                    // capture's gigabytes are not copied again). UDP payloads carry sequence numbers and DNS ids.
                    output.Add(EntryKind.Packet, shards.Of(p), info, p.Protocol == 6 ? [] : frame, p, frameIndex, default);
                }
            }
            if ((++n & 0xFFFF) == 0)
            {
                progress?.Invoke();
                if (cancellation.IsCancellationRequested)
                {
                    break;
                }
            }
        }
        reader.FinishFragments();
        output.Flush();
    }

    private static void Work(CaptureAnalyzer shard, int index, BlockingCollection<FrameBatch> queue, BlockingCollection<FrameBatch> free,
        ConcurrentQueue<Exception> failures, CancellationTokenSource stop)
    {
        try
        {
            bool started = false;
            foreach (FrameBatch batch in queue.GetConsumingEnumerable())
            {
                if (!started && batch.Count > 0)
                {
                    // The capture's first frame: the origin of every shard's event timeline, as of the reader's.
                    started = true;
                    shard.StartClock(batch.OriginNs);
                }
                if (!stop.IsCancellationRequested)
                {
                    Analyze(shard, index, batch);
                }
                if (batch.Count > 0)
                {
                    shard.AdmissionLog.CompleteBelow(batch.Place(batch.Count - 1));   // the reading thread may replay up to here
                    shard.Settle();
                }
                if (Interlocked.Decrement(ref batch.Pending) == 0)
                {
                    batch.Clear();
                    free.Add(batch);
                }
            }
        }
        catch (Exception e)
        {
            failures.Enqueue(e);
            stop.Cancel();
            foreach (FrameBatch _ in queue.GetConsumingEnumerable())
            {
                // drain, so the reading thread is never left waiting on a full queue
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Analyze(CaptureAnalyzer shard, int index, FrameBatch batch)
    {
        for (int i = 0; i < batch.Count; i++)
        {
            int target = batch.Shards[i];
            if (target == index || target == AllShards)
            {
                Do(shard, batch.Kinds[i], batch.Infos[i], batch.Bytes(i), batch.Packets[i], batch.Datagrams[i], batch.Indexes[i], batch.Clocks[i]);
            }
        }
    }

    /// <summary>One entry's work in its shard.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Do(CaptureAnalyzer shard, EntryKind kind, in CaptureInfo info, ReadOnlySpan<byte> bytes, in DecodedPacket packet,
        in DatagramFacts datagram, long frameIndex, long clockNs)
    {
        shard.AdmissionLog.Place = PlaceOf(kind, frameIndex);
        switch (kind)
        {
            case EntryKind.Packet:
                shard.AnalyzeFrame(info, bytes, packet, FrameStage.Flow, frameIndex, clockNs, main: true, pathMtu: false, expiryDue: false);
                break;
            case EntryKind.Expiry:
                shard.ExpiryTick(info.TimestampNs, clockNs);
                break;
            case EntryKind.PathMtu:
                shard.AnalyzePathMtu(bytes, packet, info);
                break;
            case EntryKind.Reassembled:
                shard.AnalyzeReassembled(packet, datagram, bytes, info, frameIndex, clockNs);
                break;
            case EntryKind.LostDatagram:
                shard.AnalyzeLostDatagram(datagram, info.TimestampNs);
                break;
        }
    }

    /// <summary>
    /// An entry's place in the capture for <see cref="AdmissionLog"/>: the steps of a frame in the order one analyzer
    /// takes them (a datagram the frame completed, the checks of its time, the frame's own packet).
    /// </summary>
    private static long PlaceOf(EntryKind kind, long frameIndex) => frameIndex * AdmissionLog.StepsPerFrame + kind switch
    {
        EntryKind.Reassembled => AdmissionLog.ReassembledStep,
        EntryKind.Packet => AdmissionLog.PacketStep,
        _ => AdmissionLog.ClockStep,
    };

    /// <summary>
    /// Which shard analyses a flow: the one that holds its partition of the flow table, found from the table's own
    /// key and hash, so the same for either direction (the key is canonical) and for every run (the hash has no
    /// per-process seed).
    /// </summary>
    internal readonly struct Shards
    {
        private readonly FlowPartitions _partitions;
        private readonly byte[] _shardOfPartition;   // looked up: every packet asks, and the mapping divides

        public Shards(FlowPartitions partitions, int count)
        {
            _partitions = partitions;
            _shardOfPartition = new byte[partitions.Count];
            for (int i = 0; i < _shardOfPartition.Length; i++)
            {
                _shardOfPartition[i] = (byte)partitions.ShardOf(i, count);
            }
        }

        /// <summary>The shard of <paramref name="p"/>'s flow.</summary>
        public int Of(in DecodedPacket p) => _shardOfPartition[_partitions.Of(FlowKey.From(p, out _))];
    }

    private enum EntryKind : byte
    {
        Packet,        // a packet of the shard's flow
        Expiry,        // every shard: look for what expired
        PathMtu,       // an ICMP error, for the shard of the flow it quotes
        Reassembled,   // a datagram rebuilt from fragments, for its flow's shard
        LostDatagram,  // a UDP datagram that never completed, for its flow's shard
    }

    /// <summary>Fills batches in capture order and hands each full one to every shard.</summary>
    private sealed class BatchWriter(CaptureAnalyzer shard0, BlockingCollection<FrameBatch> free, BlockingCollection<FrameBatch>[] queues,
        AdmissionLog[] logs, CancellationToken failed)
    {
        private FrameBatch? _batch;

        /// <summary>The time of the capture's first frame.</summary>
        public long OriginNs { get; set; }

        /// <summary>The latest capture time so far: the flow tables' clock, which every entry carries.</summary>
        public long LatestNs { get; set; }

        /// <summary>The frame being read: the time of entries that have no frame of their own.</summary>
        public CaptureInfo Clock { get; set; }

        /// <summary>Does shard 0's part now, on this thread, and queues the rest for the other shards.</summary>
        public void Add(EntryKind kind, int shard, in CaptureInfo info, ReadOnlySpan<byte> bytes, in DecodedPacket packet, long frameIndex, in DatagramFacts datagram)
        {
            if (shard is 0 or AllShards)
            {
                Do(shard0, kind, info, bytes, packet, datagram, frameIndex, LatestNs);
                if (shard == 0 || queues.Length == 0)
                {
                    return;
                }
            }
            _batch ??= free.Take(failed);
            if (!_batch.HasRoom(bytes.Length))
            {
                Flush();
                _batch = free.Take(failed);
                _batch.HasRoom(bytes.Length);   // an empty batch grows for a frame larger than its buffer
            }
            _batch.Append(kind, (short)shard, info, bytes, packet, frameIndex, LatestNs, datagram);
        }

        public void Flush()
        {
            if (_batch is null)
            {
                return;
            }
            _batch.Pending = queues.Length;
            _batch.OriginNs = OriginNs;
            foreach (BlockingCollection<FrameBatch> q in queues)
            {
                q.Add(_batch, failed);
            }
            _batch = null;
            // The claims every shard has made up to where the slowest one is: decided now, so a shard holds the
            // series of flows still undecided for a few batches at most.
            AdmissionLog.ReplayBelow(logs, long.MaxValue);
            shard0.Settle();
        }
    }

    /// <summary>Entries (their kind, shard, frame, bytes, decoded headers) on their way from the reading thread to every shard.</summary>
    /// <remarks>
    /// A batch starts with room for <see cref="FirstFrames"/> entries and <see cref="FirstBytes"/> bytes and grows, in
    /// place, to its full size (<see cref="FramesPerBatch"/>, <see cref="BatchBytes"/>: about 2.6 MB with the decoded
    /// packets) the first time it fills: a capture of a few frames made 21 MB of large arrays for the
    /// <see cref="BatchesInFlight"/> batches, and the collections they caused (22 MiB allocated and 70-110 ms of pauses
    /// for a 100-frame sample at <c>--threads 3</c>, against 4 MiB and 10-15 ms). A large capture fills every batch in
    /// its first few, since the free batches are taken in turn, so its steady state allocates nothing, as before.
    /// Where a batch ends is the same as before: it grows rather than being handed over early.
    /// </remarks>
    private sealed class FrameBatch
    {
        private const int FirstFrames = 64;
        private const int FirstBytes = 64 << 10;

        public EntryKind[] Kinds = new EntryKind[FirstFrames];
        public short[] Shards = new short[FirstFrames];
        public CaptureInfo[] Infos = new CaptureInfo[FirstFrames];
        public DecodedPacket[] Packets = new DecodedPacket[FirstFrames];
        public DatagramFacts[] Datagrams = new DatagramFacts[FirstFrames];
        public long[] Indexes = new long[FirstFrames];
        public long[] Clocks = new long[FirstFrames];
        private int[] _offsets = new int[FirstFrames + 1];
        private byte[] _bytes = new byte[FirstBytes];
        public int Count;
        public int Pending;
        private bool _hasDatagrams;

        /// <summary>The time of the capture's first frame.</summary>
        public long OriginNs;

        /// <summary>False when the batch is full; a frame larger than an empty batch's buffer grows the buffer.</summary>
        public bool HasRoom(int bytes)
        {
            if (Count == FramesPerBatch)
            {
                return false;
            }
            if (Count == Kinds.Length)
            {
                GrowToFullSize();
            }
            int needed = _offsets[Count] + bytes;
            if (needed <= _bytes.Length)
            {
                return true;
            }
            if (needed <= BatchBytes)
            {
                Array.Resize(ref _bytes, BatchBytes);
                return true;
            }
            if (Count > 0)
            {
                return false;
            }
            _bytes = new byte[bytes];
            return true;
        }

        private void GrowToFullSize()
        {
            Array.Resize(ref Kinds, FramesPerBatch);
            Array.Resize(ref Shards, FramesPerBatch);
            Array.Resize(ref Infos, FramesPerBatch);
            Array.Resize(ref Packets, FramesPerBatch);
            Array.Resize(ref Datagrams, FramesPerBatch);
            Array.Resize(ref Indexes, FramesPerBatch);
            Array.Resize(ref Clocks, FramesPerBatch);
            Array.Resize(ref _offsets, FramesPerBatch + 1);
        }

        public void Append(EntryKind kind, short shard, in CaptureInfo info, ReadOnlySpan<byte> bytes, in DecodedPacket packet, long frameIndex, long clockNs,
            in DatagramFacts datagram)
        {
            int i = Count++;
            Clocks[i] = clockNs;
            Kinds[i] = kind;
            Shards[i] = shard;
            Infos[i] = info;
            Indexes[i] = frameIndex;
            if (kind != EntryKind.Expiry && kind != EntryKind.LostDatagram)
            {
                Packets[i] = packet;
            }
            if (kind is EntryKind.Reassembled or EntryKind.LostDatagram)
            {
                Datagrams[i] = datagram;
                _hasDatagrams = true;
            }
            bytes.CopyTo(_bytes.AsSpan(_offsets[i]));
            _offsets[i + 1] = _offsets[i] + bytes.Length;
        }

        public long Place(int i) => PlaceOf(Kinds[i], Indexes[i]);

        public ReadOnlySpan<byte> Bytes(int i) => _bytes.AsSpan(_offsets[i], _offsets[i + 1] - _offsets[i]);

        public void Clear()
        {
            Count = 0;
            if (_hasDatagrams)
            {
                Array.Clear(Datagrams);   // their strings
                _hasDatagrams = false;
            }
            if (_bytes.Length > BatchBytes)
            {
                _bytes = new byte[BatchBytes];   // a giant frame's buffer is not kept
            }
        }
    }
}
