using System.Buffers;
using System.Runtime.InteropServices;

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
/// knows (<see cref="Flow.CreationOrder"/>). <see cref="Add"/> gathers a place's flows and <see cref="Flush"/> lists
/// them once the place is over: one analyzer and any number of shards then list and release the same flows.
/// </remarks>
internal sealed class FlowListing(int maxListed)
{
    private readonly Queue<Entry> _plain = new();
    private readonly Queue<Entry> _notable = new();
    private readonly List<Entry> _ending = new();   // the flows of the place not over yet
    private long _endingPlace;
    private long _releasedTcp, _releasedUdp, _releasedOther;

    /// <summary>Called for each flow released, with the owner given to <see cref="Add"/> (whose flow it is).</summary>
    public Action<Flow, object?>? Releasing { get; set; }

    /// <summary>A flow ended at <paramref name="place"/> (a later place than the flows before, or the same).</summary>
    public void Add(Flow flow, bool notable, long place, object? owner)
    {
        if (_ending.Count > 0 && place != _endingPlace)
        {
            Flush();
        }
        _endingPlace = place;
        _ending.Add(new Entry(flow.CreationOrder << 1 | (notable ? 1L : 0L), flow, owner));
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
        Span<Entry> ending = CollectionsMarshal.AsSpan(_ending);
        if (ending.Length == 1)
        {
            List(ending[0]);
        }
        else
        {
            ListInCreationOrder(ending);
        }
        _ending.Clear();
        if (_ending.Capacity > 4096)
        {
            _ending.Capacity = 4096;   // the end of a capture of a million flows does not keep its list
        }
    }

    /// <summary>
    /// A place's flows in the order they were created. The end of a capture of many connections ends them all at one
    /// place: sorting the entries by their comparer (code the JIT meets once a run, so first-tier) took 0.1 s for
    /// 200,000 flows; the keys, each with its entry's index in the low bits, sort as plain numbers (CoreLib's
    /// precompiled sort) in a few milliseconds.
    /// </summary>
    private void ListInCreationOrder(Span<Entry> ending)
    {
        long[] keys = ArrayPool<long>.Shared.Rent(ending.Length);
        bool packable = ending.Length <= 1 << IndexBits;
        for (int i = 0; i < ending.Length && packable; i++)
        {
            long order = ending[i].CreationOrder;
            packable = order >= 0 && order < 1L << (63 - IndexBits);
            keys[i] = order << IndexBits | (long)i;
        }
        if (packable)
        {
            Span<long> sorted = keys.AsSpan(0, ending.Length);
            sorted.Sort();
            EnsureRoom(ending.Length);
            foreach (long key in sorted)
            {
                List(ending[(int)(key & ((1L << IndexBits) - 1))]);
            }
        }
        else
        {
            ending.Sort();   // past 16 M flows at once, or 2^39 frames: the entries themselves
            foreach (Entry e in ending)
            {
                List(e);
            }
        }
        ArrayPool<long>.Shared.Return(keys);
    }

    private const int IndexBits = 24;

    /// <summary>Grows the queues once for a place's many flows rather than by doubling (each step a large-object allocation).</summary>
    private void EnsureRoom(int adding)
    {
        _plain.EnsureCapacity(Math.Min(maxListed, _plain.Count + _notable.Count + adding));
    }

    private void List(Entry e)
    {
        (e.Notable ? _notable : _plain).Enqueue(e);
        if (_plain.Count + _notable.Count > maxListed)
        {
            Release(_plain.Count > 0 ? _plain.Dequeue() : _notable.Dequeue());
        }
    }

    private void Release(Entry e)
    {
        _ = e.Flow.Protocol switch
        {
            6 => ++_releasedTcp,
            17 => ++_releasedUdp,
            _ => ++_releasedOther,
        };
        Releasing?.Invoke(e.Flow, e.Owner);
    }

    /// <summary>The listed flows (those of a place not over yet included): notable ones first, each group in the order they ended.</summary>
    public IEnumerable<Flow> Listed => Entries.Select(e => e.Flow);

    /// <summary>The listed flows with their owners, as <see cref="Listed"/>.</summary>
    public IEnumerable<(Flow Flow, object? Owner)> ListedWithOwners => Entries.Select(e => (e.Flow, e.Owner));

    private IEnumerable<Entry> Entries => _notable.Concat(_plain).Concat(_ending);

    /// <summary>How many flows <see cref="Listed"/> holds.</summary>
    public int Count => _plain.Count + _notable.Count + _ending.Count;

    /// <summary>Flows released past the limit, by protocol.</summary>
    public (long Tcp, long Udp, long Other) Released => (_releasedTcp, _releasedUdp, _releasedOther);

    // The creation order beside the flow (sorting the end of a capture of a million flows reads no flow), with
    // whether it is notable in the low bit: 24 bytes an entry.
    private readonly record struct Entry(long Key, Flow Flow, object? Owner) : IComparable<Entry>
    {
        public long CreationOrder => Key >> 1;

        public bool Notable => (Key & 1) != 0;

        public int CompareTo(Entry other) => Key.CompareTo(other.Key);
    }
}
