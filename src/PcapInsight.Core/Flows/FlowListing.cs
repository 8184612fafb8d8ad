using PcapInsight.Core.Collections;

namespace PcapInsight.Core.Flows;

/// <summary>
/// The ended flows the report lists, and the rule that releases them past <see cref="FlowTableOptions.MaxListedFlows"/>
/// (a released flow is counted, written to the spool for flows.csv and loses its series): past the limit the plain
/// flow that ended first goes, or, when every listed flow has something to report, the notable flow that ended first.
/// A flow with something to report (a reset, a retransmission, a stall, loss evidence) is what the findings, charts and
/// report.html are for.
/// </summary>
/// <remarks>
/// Which flow goes depends on the order flows ended in. Flows ending at one place of the capture (one expiry check,
/// the end of the capture) end in the order of the table's activity list, which the shards of a sharded run cannot
/// reproduce between them; so the flows of one place are taken in the order they were created, which every shard
/// knows (the caller gives it). <see cref="Add"/> gathers a place's flows and <see cref="Flush"/> lists them once
/// the place is over: one analyzer and any number of shards then list and release the same flows.
/// </remarks>
internal sealed class FlowListing(int maxListed)
{
    private readonly ListedGroup _plain = new();
    private readonly ListedGroup _notable = new();
    private readonly ValueList<Entry> _ending = new();   // the flows of the place not over yet
    private readonly List<object?> _owners = new(); // the owners given to Add, by index (one a shard)
    private long _endingPlace;
    private long _releasedTcp, _releasedUdp, _releasedOther;

    /// <summary>
    /// Called for each flow released, with the owner given to <see cref="Add"/> (whose flow it is); the flows one place
    /// releases come in no particular order.
    /// </summary>
    public Action<Flow, object?>? Releasing { get; set; }

    /// <summary>
    /// A flow ended at <paramref name="place"/> (a later place than the flows before, or the same);
    /// <paramref name="creationOrder"/> orders it among the flows ending at that place (where in the capture it was
    /// created, in any measure that grows with the capture: one run uses one).
    /// </summary>
    public void Add(Flow flow, bool notable, long place, long creationOrder, object? owner)
    {
        if (_ending.Count > 0 && place != _endingPlace)
        {
            Flush();
        }
        _endingPlace = place;
        _ending.Add(new Entry(creationOrder << 1 | (notable ? 1L : 0L), flow, OwnerIndex(owner)));
    }

    private int OwnerIndex(object? owner)
    {
        for (int i = 0; i < _owners.Count; i++)
        {
            if (ReferenceEquals(_owners[i], owner))
            {
                return i;
            }
        }
        _owners.Add(owner);
        return _owners.Count - 1;
    }

    /// <summary>
    /// Makes room for <paramref name="flows"/> more flows ending at one place (the end of the capture: every flow
    /// still open), so that the list is allocated once, not doubled through large-object sizes.
    /// </summary>
    public void Expect(int flows) => _ending.EnsureCapacity(_ending.Count + flows);

    /// <summary>Lists the flows of a place that is over, when <paramref name="place"/> is later than theirs.</summary>
    public void Reached(long place)
    {
        if (_ending.Count > 0 && place != _endingPlace)
        {
            Flush();
        }
    }

    /// <summary>Lists the flows of the last place (it is over), releasing past the limit.</summary>
    public void Flush()
    {
        if (_ending.Count == 0)
        {
            return;
        }
        if (_ending.Count == 1)
        {
            List(_ending[0]);
        }
        else
        {
            ListInCreationOrder(_ending);
        }
        _ending.Clear(keepAtMost: KeptRoom);   // the end of a capture of a million flows does not keep its list
    }

    /// <summary>
    /// A place's flows in the order they were created. The end of a capture of many connections ends them all at one
    /// place: sorting the entries by their comparer (code the JIT meets once a run, so first-tier) took 0.1 s for
    /// 200,000 flows; the keys, each with its entry's index in the low bits, sort as plain numbers (the framework's
    /// introsort of longs, compiled at run time too, but tiered up within the sort) in a few milliseconds.
    /// </summary>
    private void ListInCreationOrder(ValueList<Entry> ending)
    {
        // An expiry check ends a few flows (thousands a second on a capture of short connections): keys in an array
        // kept for them; the end of the capture many: an array it drops.
        Span<long> keys = ending.Count <= KeptRoom ? (_keys ??= new long[KeptRoom]).AsSpan(0, ending.Count) : new long[ending.Count];
        if (!TryPackKeys(ending, keys, out int notables))
        {
            ending.Sort(static (a, b) => a.Key.CompareTo(b.Key));   // past 16 M flows at once, or 2^38 frames: the entries themselves
            for (int i = 0; i < ending.Count; i++)
            {
                List(ending[i]);
            }
            return;
        }

        // Listing the place's flows one by one keeps the newest min(limit, all notable) notable flows and, in the
        // room left, the newest plain ones (a flow goes only for a newer one of its kind, or a plain one for a
        // notable one). So where the place has more flows than the limit (the end of a capture of a million
        // connections: 900,000 past 100,000), those of its flows that cannot stay are known from the counts: they
        // are released unsorted, and only the kept ones are sorted and listed (the queue's flows that the kept ones
        // push out go as they are listed). Which flows go is all that matters; the order of releases is nobody's.
        int keptNotable = Math.Min(notables, maxListed);
        int listedNotable = Math.Min(maxListed, _notable.Count + notables);
        int plains = ending.Count - notables;
        int keptPlain = Math.Min(plains, Math.Min(maxListed - listedNotable, _plain.Count + plains));
        if (keptNotable < notables || keptPlain < plains)
        {
            // Notable keys at the front, plain ones at the back; each part's oldest (smallest keys) selected to go.
            SplitByKind(keys, notables);
            Span<long> notableKeys = keys[..notables], plainKeys = keys[notables..];
            KeySelection.SmallestFirst(notableKeys, notables - keptNotable);
            KeySelection.SmallestFirst(plainKeys, plains - keptPlain);
            foreach (long key in notableKeys[..(notables - keptNotable)])
            {
                Release(ending[IndexOf(key)]);
            }
            foreach (long key in plainKeys[..(plains - keptPlain)])
            {
                Release(ending[IndexOf(key)]);
            }
            notableKeys[(notables - keptNotable)..].CopyTo(keys);
            plainKeys[(plains - keptPlain)..].CopyTo(keys[keptNotable..]);
            keys = keys[..(keptNotable + keptPlain)];
        }
        keys.Sort();
        EnsureRoom(keys.Length);
        foreach (long key in keys)
        {
            List(ending[IndexOf(key)]);
        }
    }

    /// <summary>
    /// Each entry's creation order with its index in the low bits, and the notable bit at the bottom (an entry's key
    /// orders as its creation order, as indexes are unique). False past what 64 bits hold.
    /// </summary>
    private static bool TryPackKeys(ValueList<Entry> ending, Span<long> keys, out int notables)
    {
        notables = 0;
        if (ending.Count > 1 << IndexBits)
        {
            return false;
        }
        for (int i = 0; i < ending.Count; i++)
        {
            long order = ending[i].CreationOrder;
            if (order < 0 || order >= 1L << (62 - IndexBits))
            {
                return false;
            }
            bool notable = ending[i].Notable;
            notables += notable ? 1 : 0;
            keys[i] = (order << IndexBits | (long)i) << 1 | (notable ? 1L : 0L);
        }
        return true;
    }

    private static int IndexOf(long key) => (int)((key >> 1) & ((1L << IndexBits) - 1));

    /// <summary>Moves the notable keys (low bit set) to the front, in no order.</summary>
    private static void SplitByKind(Span<long> keys, int notables)
    {
        int front = 0, back = keys.Length - 1;
        while (front < notables)
        {
            if ((keys[front] & 1) != 0)
            {
                front++;
            }
            else
            {
                (keys[front], keys[back]) = (keys[back], keys[front]);
                back--;
            }
        }
    }

    private const int IndexBits = 24;

    // What a place's flows may keep between places (the list, the keys): room for an expiry check's, and for the
    // thousands a jump of the capture's clock ends at once (a capture of captures one after another: mixed.pcapng's
    // 9,500 at each of 40 jumps grew and dropped a list of large arrays each time, 24 MB, each large allocation a
    // step towards a full collection). 16,384 entries and keys: 512 KB kept.
    private const int KeptRoom = 16_384;
    private long[]? _keys;

    /// <summary>Grows the queues once for a place's many flows rather than by doubling (each step a large-object allocation).</summary>
    private void EnsureRoom(int adding) => _plain.EnsureRoom(Math.Min(maxListed, _plain.Count + _notable.Count + adding));

    private void List(Entry e)
    {
        (e.Notable ? _notable : _plain).Enqueue(e.Flow, e.Owner);
        if (_plain.Count + _notable.Count > maxListed)
        {
            (Flow flow, int owner) = _plain.Count > 0 ? _plain.Dequeue() : _notable.Dequeue();
            Release(flow, owner);
        }
    }

    private void Release(Entry e) => Release(e.Flow, e.Owner);

    private void Release(Flow flow, int owner)
    {
        _ = flow.Protocol switch
        {
            6 => ++_releasedTcp,
            17 => ++_releasedUdp,
            _ => ++_releasedOther,
        };
        Releasing?.Invoke(flow, _owners[owner]);
    }

    /// <summary>The listed flows (those of a place not over yet included): notable ones first, each group in the order they ended.</summary>
    public IEnumerable<Flow> Listed
    {
        get
        {
            foreach (ListedFlow e in ListedWithOwners)
            {
                yield return e.Flow;
            }
        }
    }

    /// <summary>The listed flows with their owners, as <see cref="Listed"/>.</summary>
    /// <remarks>Iterators rather than LINQ over (flow, owner) tuples: that LINQ was generic code of the framework compiled at run time, every run.</remarks>
    public IEnumerable<ListedFlow> ListedWithOwners
    {
        get
        {
            foreach (ListedFlow e in _notable.Items(_owners))
            {
                yield return e;
            }
            foreach (ListedFlow e in _plain.Items(_owners))
            {
                yield return e;
            }
            for (int i = 0; i < _ending.Count; i++)
            {
                yield return new ListedFlow(_ending[i].Flow, _owners[_ending[i].Owner]);
            }
        }
    }

    /// <summary>A listed flow and the owner given to <see cref="Add"/>.</summary>
    public readonly record struct ListedFlow(Flow Flow, object? Owner);

    /// <summary>How many flows <see cref="Listed"/> holds.</summary>
    public int Count => _plain.Count + _notable.Count + _ending.Count;

    /// <summary>Flows released past the limit, by protocol.</summary>
    public (long Tcp, long Udp, long Other) Released => (_releasedTcp, _releasedUdp, _releasedOther);

    // The creation order (sorting the end of a capture of a million flows reads no flow), with whether the flow is
    // notable in the low bit.
    private readonly record struct Entry(long Key, Flow Flow, int Owner)
    {
        public long CreationOrder => Key >> 1;

        public bool Notable => (Key & 1) != 0;
    }

    /// <summary>
    /// Flows listed in one group (plain or notable), first in, first out, with the owner of each: each owner's flows
    /// in a queue of their own and, once there are two owners, the order of owners in two bytes an entry, so a listed
    /// flow costs the listing 8 bytes for one analyzer and 10 for shards, not the 24 of a (flow, owner) pair (a capture
    /// of many short connections lists 100,000; HeldMemoryTests holds a short flow under 1 KB).
    /// </summary>
    private sealed class ListedGroup
    {
        private Queue<ushort>? _owners;   // null while every flow has owner 0
        private readonly List<Queue<Flow>> _byOwner = new();

        public int Count { get; private set; }

        public void Enqueue(Flow flow, int owner)
        {
            while (_byOwner.Count <= owner)
            {
                _byOwner.Add(new Queue<Flow>());
            }
            if (_owners is null && owner != 0)
            {
                _owners = new Queue<ushort>(Enumerable.Repeat((ushort)0, Count));
            }
            _byOwner[owner].Enqueue(flow);
            _owners?.Enqueue(checked((ushort)owner));
            Count++;
        }

        public (Flow Flow, int Owner) Dequeue()
        {
            int owner = _owners?.Dequeue() ?? 0;
            Count--;
            return (_byOwner[owner].Dequeue(), owner);
        }

        public void EnsureRoom(int flows)
        {
            _owners?.EnsureCapacity(flows);
            if (_byOwner.Count == 1)
            {
                _byOwner[0].EnsureCapacity(flows);   // one analyzer's: all its flows in one queue
            }
        }

        /// <summary>Every flow in the order it was listed, with its owner (<paramref name="owners"/> by index).</summary>
        public IEnumerable<ListedFlow> Items(List<object?> owners)
        {
            if (_owners is null)
            {
                if (_byOwner.Count > 0)
                {
                    foreach (Flow flow in _byOwner[0])
                    {
                        yield return new ListedFlow(flow, owners[0]);
                    }
                }
                yield break;
            }
            var next = new Queue<Flow>.Enumerator[_byOwner.Count];
            for (int i = 0; i < next.Length; i++)
            {
                next[i] = _byOwner[i].GetEnumerator();
            }
            foreach (ushort owner in _owners)
            {
                next[owner].MoveNext();
                yield return new ListedFlow(next[owner].Current, owners[owner]);
            }
        }
    }
}
