using System.Runtime.CompilerServices;

namespace PcapInsight.Core.Flows;

/// <summary>
/// The flow table's index from key to flow: open addressing with linear probing over one array of (hash, flow)
/// slots. A lookup of a table of a million flows costs one cache miss for the slot and one for the flow (which the
/// caller reads next anyway), where <see cref="Dictionary{TKey,TValue}"/> costs a bucket, an entry holding the 56-byte
/// key, then the flow; and the slots take 16 bytes a flow at half load instead of 76.
/// </summary>
/// <remarks>
/// In front of the slots, a small table of the flows found or added lately, one place a hash (64 KiB, which stays in
/// the core's cache): on a capture of many short connections the slots are tens of megabytes (a million connections
/// linger after their FIN), each packet's slot a cache miss, while the connections that have packets at any moment
/// are a few hundred (flows.pcap: about 450, each with eight packets). A flow leaves that table when it leaves the index.
/// </remarks>
internal sealed class FlowIndex
{
    private struct Slot
    {
        public int Hash;
        public Flow? Flow;
    }

    private Slot[] _slots = new Slot[1024];
    private int _mask = 1023;

    /// <summary>The table of recent flows' places, less one (a hash's low bits choose its place).</summary>
    internal const int RecentMask = 4095;
    private readonly Slot[] _recent = new Slot[RecentMask + 1];

    /// <summary>Flows indexed.</summary>
    public int Count { get; private set; }

    /// <summary>The flow with <paramref name="key"/>, if indexed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGetValue(in FlowKey key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Flow? flow)
    {
        int hash = key.GetHashCode();
        ref Slot recent = ref _recent[hash & RecentMask];
        if (recent.Hash == hash && recent.Flow is { } hot && hot.Key.Equals(key))
        {
            flow = hot;
            return true;
        }
        Slot[] slots = _slots;
        for (int i = hash & _mask; ; i = (i + 1) & _mask)
        {
            ref Slot s = ref slots[i];
            if (s.Flow is null)
            {
                flow = null;
                return false;
            }
            if (s.Hash == hash && s.Flow.Key.Equals(key))
            {
                flow = s.Flow;
                recent = s;
                return true;
            }
        }
    }

    /// <summary>Indexes <paramref name="flow"/> under its key, which must not be indexed yet.</summary>
    public void Add(Flow flow)
    {
        if ((Count + 1) * 2 > _slots.Length)
        {
            Grow();
        }
        int hash = flow.Key.GetHashCode();
        Insert(_slots, _mask, hash, flow);
        _recent[hash & RecentMask] = new Slot { Hash = hash, Flow = flow };   // a new flow's next packets come soon
        Count++;
    }

    /// <summary>Removes <paramref name="flow"/> (indexed under its key); false when it is not there.</summary>
    public bool Remove(Flow flow)
    {
        int hash = flow.Key.GetHashCode();
        ref Slot recent = ref _recent[hash & RecentMask];
        if (ReferenceEquals(recent.Flow, flow))
        {
            recent = default;   // a flow object is reused for another flow once it has left
        }
        Slot[] slots = _slots;
        int i = hash & _mask;
        while (true)
        {
            if (slots[i].Flow is null)
            {
                return false;
            }
            if (ReferenceEquals(slots[i].Flow, flow))
            {
                break;
            }
            i = (i + 1) & _mask;
        }
        // Backward-shift deletion: later slots of the run move up when their home is at or before the hole, so no
        // lookup ever stops early at it (no tombstones to clean up later).
        int hole = i;
        for (int j = (hole + 1) & _mask; slots[j].Flow is not null; j = (j + 1) & _mask)
        {
            int home = slots[j].Hash & _mask;
            bool movable = hole <= j ? home <= hole || home > j : home <= hole && home > j;
            if (movable)
            {
                slots[hole] = slots[j];
                hole = j;
            }
        }
        slots[hole] = default;
        Count--;
        return true;
    }

    /// <summary>The longest run of occupied slots (a lookup of a key not held walks at most that far); for tests.</summary>
    internal int LongestRun()
    {
        int longest = 0, run = 0;
        // Twice round, so that a run wrapping past the end is counted whole.
        for (int i = 0; i < 2 * _slots.Length; i++)
        {
            run = _slots[i & _mask].Flow is null ? 0 : run + 1;
            longest = Math.Max(longest, Math.Min(run, _slots.Length));
        }
        return longest;
    }

    /// <summary>Every indexed flow, in slot order.</summary>
    public IEnumerable<Flow> Values
    {
        get
        {
            foreach (Slot s in _slots)
            {
                if (s.Flow is not null)
                {
                    yield return s.Flow;
                }
            }
        }
    }

    /// <summary>Drops every flow (keeps the slots' size).</summary>
    public void Clear()
    {
        Array.Clear(_slots);
        Array.Clear(_recent);
        Count = 0;
    }

    private void Grow()
    {
        var bigger = new Slot[_slots.Length * 2];
        int mask = bigger.Length - 1;
        foreach (Slot s in _slots)
        {
            if (s.Flow is not null)
            {
                Insert(bigger, mask, s.Hash, s.Flow);
            }
        }
        _slots = bigger;
        _mask = mask;
    }

    private static void Insert(Slot[] slots, int mask, int hash, Flow flow)
    {
        int i = hash & mask;
        while (slots[i].Flow is not null)
        {
            i = (i + 1) & mask;
        }
        slots[i].Hash = hash;
        slots[i].Flow = flow;
    }
}
