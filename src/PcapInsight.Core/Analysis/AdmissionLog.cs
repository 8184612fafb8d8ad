using System.Collections.Concurrent;

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

    private readonly ConcurrentQueue<Entry>? _queue;
    private long _complete;   // every entry placed before this is queued

    /// <summary>A lone analyzer's log: each claim is decided as it is made.</summary>
    public AdmissionLog(Admissions policy)
    {
        Policy = policy;
    }

    private AdmissionLog(Admissions policy, bool queued)
    {
        Policy = policy;
        _queue = queued ? new ConcurrentQueue<Entry>() : null;
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
            _queue.Enqueue(new Entry(Place, kind, subject));
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
        foreach (AdmissionLog log in logs)
        {
            limit = Math.Min(limit, Volatile.Read(ref log._complete));
        }
        while (true)
        {
            AdmissionLog? first = null;
            long place = limit;
            foreach (AdmissionLog log in logs)
            {
                if (log._queue!.TryPeek(out Entry e) && e.Place < place)
                {
                    first = log;
                    place = e.Place;
                }
            }
            if (first is null)
            {
                return;
            }
            first._queue!.TryDequeue(out Entry next);
            first.Policy.Apply(next.Kind, next.Subject);
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
            if (!log._queue!.IsEmpty)
            {
                throw new InvalidOperationException("a claim was logged past the end of the capture");
            }
        }
    }

    private readonly record struct Entry(long Place, AdmissionKind Kind, object Subject);
}
