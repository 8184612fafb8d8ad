namespace PcapInsight.Core.Analysis;

/// <summary>
/// Where an analyzer's claims on <see cref="Admissions"/> go: applied at once by a lone analyzer; queued by a shard,
/// each with its place in the capture, for the reading thread to replay (<see cref="ReplayBelow"/>) in capture order
/// with the other shards'.
/// </summary>
internal sealed class AdmissionLog
{
    /// <summary>Entries of one frame: a datagram it completed, then the checks of its time, then its own packet.</summary>
    internal const long StepsPerFrame = 4;
    internal const long ReassembledStep = 0, ClockStep = 1, PacketStep = 2;

    /// <summary>The place of the flows' end, after the last frame.</summary>
    internal const long EndPlace = long.MaxValue - 1;

    // A shard's entries: added under the lock by the shard, taken under it by the reading thread, which replays them
    // from its own list. (ConcurrentQueue.TryPeek freezes the queue's segment when the items hold references, and
    // every later enqueue then allocates a new segment.)
    private readonly List<Entry>? _queue;
    private readonly List<Entry> _taken = new();
    private int _next;        // the reading thread's: entries of _taken already replayed
    private long _complete;   // every entry placed before this is queued

    /// <summary>A lone analyzer's log: each claim is decided as it is made.</summary>
    public AdmissionLog(Admissions policy)
    {
        Policy = policy;
    }

    private AdmissionLog(Admissions policy, bool queued)
    {
        Policy = policy;
        _queue = queued ? new List<Entry>() : null;
    }

    /// <summary>A shard's log: claims wait for the reading thread, and the shard records meanwhile.</summary>
    public static AdmissionLog Queued(Admissions policy) => new(policy, queued: true);

    public Admissions Policy { get; }

    /// <summary>True when claims are decided later: a claim's recording starts before its answer.</summary>
    public bool Deferred => _queue is not null;

    /// <summary>The place in the capture of what the analyzer does now (frame × <see cref="StepsPerFrame"/> + step).</summary>
    public long Place { get; set; }

    public void Add(AdmissionKind kind, object subject)
    {
        if (_queue is null)
        {
            Policy.Apply(kind, subject);
        }
        else
        {
            lock (_queue)
            {
                _queue.Add(new Entry(Place, kind, subject));
            }
        }
    }

    /// <summary>Says that every entry placed before <paramref name="place"/> is logged (the shard is past it).</summary>
    public void CompleteBelow(long place) => Volatile.Write(ref _complete, place);

    /// <summary>
    /// Applies every shard's entries placed before <paramref name="limit"/> and before each shard's own
    /// <see cref="CompleteBelow"/> mark, in capture order (shards in index order at one place: only releases share
    /// a place, an expiry check's, and their order does not matter).
    /// </summary>
    public static void ReplayBelow(IReadOnlyList<AdmissionLog> logs, long limit)
    {
        for (int i = 0; i < logs.Count; i++)
        {
            AdmissionLog log = logs[i];
            limit = Math.Min(limit, Volatile.Read(ref log._complete));   // read before the entries: all below it are in
            lock (log._queue!)
            {
                log._taken.AddRange(log._queue);
                log._queue.Clear();
            }
        }
        while (true)
        {
            AdmissionLog? first = null;
            long place = limit;
            for (int i = 0; i < logs.Count; i++)
            {
                AdmissionLog log = logs[i];
                if (log._next < log._taken.Count && log._taken[log._next].Place < place)
                {
                    first = log;
                    place = log._taken[log._next].Place;
                }
            }
            if (first is null)
            {
                break;
            }
            Entry next = first._taken[first._next++];
            first.Policy.Apply(next.Kind, next.Subject);
        }
        for (int i = 0; i < logs.Count; i++)
        {
            AdmissionLog log = logs[i];
            log._taken.RemoveRange(0, log._next);   // what waits stays in order
            log._next = 0;
        }
    }

    /// <summary>Applies everything logged (every shard has stopped).</summary>
    public static void ReplayAll(IReadOnlyList<AdmissionLog> logs)
    {
        foreach (AdmissionLog log in logs)
        {
            log.CompleteBelow(long.MaxValue);
        }
        ReplayBelow(logs, long.MaxValue);
        foreach (AdmissionLog log in logs)
        {
            if (log._taken.Count > 0)
            {
                throw new InvalidOperationException("a claim was logged past the end of the capture");
            }
        }
    }

    private readonly record struct Entry(long Place, AdmissionKind Kind, object Subject);
}
