using PcapInsight.Core.Collections;

namespace PcapInsight.Core.Analysis;

/// <summary>
/// Where an analyzer's claims on <see cref="Admissions"/> (and its ended flows, for the report's list) go: applied at
/// once by a lone analyzer; queued by a shard, each with its place in the capture, for the reading thread to replay
/// (<see cref="ReplayBelow"/>) in capture order with the other shards'. The flows the policy releases come back to
/// the analyzer that ended them: at once to a lone one, through <see cref="TakeReleased"/> to a shard, on its thread.
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
    private ValueList<Entry>? _queue;
    private ValueList<Entry> _taken = new();
    private readonly object _lock = new();
    private int _next;        // the reading thread's: entries of _taken already replayed
    private long _complete;   // every entry placed before this is queued
    private long _place;
    // A shard's flows the policy released, waiting for the shard's thread (added by the reading thread under the
    // lock; the shard swaps the two lists under it and releases from the one it took).
    private readonly object? _releaseLock;
    private List<Flows.Flow>? _released, _releasing;

    /// <summary>A lone analyzer's log: each claim is decided as it is made.</summary>
    public AdmissionLog(Admissions policy)
    {
        Policy = policy;
    }

    private AdmissionLog(Admissions policy, int shard)
    {
        Policy = policy;
        Shard = shard;
        _queue = new ValueList<Entry>();
        _releaseLock = new object();
        _released = new List<Flows.Flow>();
        _releasing = new List<Flows.Flow>();
    }

    /// <summary>Shard <paramref name="shard"/>'s log: claims wait for the reading thread, and the shard records meanwhile.</summary>
    public static AdmissionLog Queued(Admissions policy, int shard) => new(policy, shard);

    /// <summary>The index of the shard whose log this is (0 for a lone analyzer's).</summary>
    public int Shard { get; }

    /// <summary>A lone analyzer's: called for each flow the policy releases from the report's list.</summary>
    public Action<Flows.Flow>? Releasing { get; set; }

    public Admissions Policy { get; }

    /// <summary>True when claims are decided later: a claim's recording starts before its answer.</summary>
    public bool Deferred => _queue is not null;

    /// <summary>
    /// The place in the capture of what the analyzer does now (frame × <see cref="StepsPerFrame"/> + step). A lone
    /// analyzer's move to a later place ends the one before: flows that ended there are listed (and released) then.
    /// </summary>
    public long Place
    {
        get => _place;
        set
        {
            _place = value;
            if (_queue is null)
            {
                Policy.Reached(value);
            }
        }
    }

    /// <summary>
    /// A claim, or an ended flow (<paramref name="creationOrder"/>: where in the capture it was created, which orders
    /// the flows ending at one place).
    /// </summary>
    public void Add(AdmissionKind kind, object subject, long creationOrder = 0)
    {
        if (_queue is null)
        {
            Policy.Apply(_place, kind, subject, creationOrder, this);
        }
        else
        {
            lock (_lock)
            {
                _queue.Add(new Entry(Place, kind, subject, creationOrder));
            }
        }
    }

    /// <summary>
    /// A shard's: makes room for <paramref name="entries"/> more entries at once (the end of the capture ends every
    /// flow still open), so that its queue is allocated once, not doubled through large-object sizes.
    /// </summary>
    public void Expect(int entries)
    {
        if (_queue is null)
        {
            return;
        }
        lock (_lock)
        {
            _queue.EnsureCapacity(_queue.Count + entries);
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
            lock (log._lock)
            {
                if (log._taken.Count == 0)
                {
                    // The usual case: take the whole list (the end of a capture of a million flows logs each).
                    (log._taken, log._queue) = (log._queue!, log._taken);
                }
                else
                {
                    log._taken.AddRange(log._queue!);
                    log._queue!.Clear();
                }
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
            first.Policy.Apply(next.Place, next.Kind, next.Subject, next.CreationOrder, first);
        }
        if (logs.Count > 0)
        {
            logs[0].Policy.EndPlaces();   // every entry of every place below the limit is in: those places are over
        }
        for (int i = 0; i < logs.Count; i++)
        {
            AdmissionLog log = logs[i];
            log._taken.RemoveFirst(log._next);   // what waits stays in order
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

    /// <summary>The policy released <paramref name="flow"/>, which this log's analyzer ended.</summary>
    public void Release(Flows.Flow flow)
    {
        if (_releaseLock is null)
        {
            Releasing?.Invoke(flow);
            return;
        }
        lock (_releaseLock)
        {
            _released!.Add(flow);
        }
    }

    /// <summary>A shard's, on its thread: hands each flow released since the last call to <paramref name="release"/>.</summary>
    public void TakeReleased(Action<Flows.Flow> release)
    {
        if (_releaseLock is null)
        {
            return;
        }
        List<Flows.Flow> taken;
        lock (_releaseLock)
        {
            if (_released!.Count == 0)
            {
                return;
            }
            taken = _released;
            _released = _releasing;
        }
        foreach (Flows.Flow flow in taken)
        {
            release(flow);
        }
        taken.Clear();
        _releasing = taken;   // the shard's own: the reading thread adds to the other list meanwhile
    }

    private readonly record struct Entry(long Place, AdmissionKind Kind, object Subject, long CreationOrder);
}
