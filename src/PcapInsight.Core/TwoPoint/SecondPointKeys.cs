using System.Numerics;
using PcapInsight.Core.Collections;

namespace PcapInsight.Core.TwoPoint;

/// <summary>
/// The second capture's packet keys, each once, in an open-addressed table indexed by the key hashed with the process's
/// seeds (a capture cannot crowd one run of it). Per key: its first occurrence, the occurrences not yet matched (each
/// next one through a link per packet, in the capture's order) and whether the first capture has the key. One probe
/// a lookup, where a dictionary of queues took a bucket, an entry and a queue: 33 to 59 bytes a packet (the table a
/// third to two thirds full) instead of about 140.
/// </summary>
internal sealed class SecondPointKeys
{
    private readonly ulong[] _keys;
    private readonly int[] _first;       // packet index + 1 of the key's first occurrence; 0: an empty slot
    private readonly int[] _unmatched;   // packet index + 1 of its first occurrence not yet matched; 0: none left
    private readonly bool[] _atFirst;    // the first capture has the key
    private readonly int[] _nextSame;    // per packet: index + 1 of the next packet with its key; 0: none
    private readonly int[] _slotOf;      // per packet: its key's slot
    private readonly int _mask;

    public SecondPointKeys(SeenPackets second)
    {
        // At most two thirds full whatever the count (a power of two from 1.5 times the packets up): short probe runs.
        int slots = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, second.Count + second.Count / 2));
        _keys = new ulong[slots];
        _first = new int[slots];
        _unmatched = new int[slots];
        _atFirst = new bool[slots];
        _mask = slots - 1;
        _nextSame = new int[second.Count];
        _slotOf = new int[second.Count];
        // Backwards, so that each key's occurrences are linked first to last by putting each in front.
        for (int j = second.Count - 1; j >= 0; j--)
        {
            ulong key = second[j].Key;
            int slot = Find(key);
            if (_first[slot] == 0)
            {
                _keys[slot] = key;
            }
            _nextSame[j] = _first[slot];
            _first[slot] = j + 1;
            _unmatched[slot] = j + 1;
            _slotOf[j] = slot;
        }
    }

    /// <summary>
    /// A packet of the first capture: marks its key as seen there and returns the second capture's earliest
    /// occurrence of it not yet matched, now matched, or -1.
    /// </summary>
    public int Match(ulong key)
    {
        int slot = Find(key);
        if (_first[slot] == 0)
        {
            return -1;
        }
        _atFirst[slot] = true;
        int j = _unmatched[slot] - 1;
        if (j >= 0)
        {
            _unmatched[slot] = _nextSame[j];
        }
        return j;
    }

    /// <summary>Whether the first capture has the key of the second capture's packet <paramref name="j"/>.</summary>
    public bool AtFirst(int j) => _atFirst[_slotOf[j]];

    /// <summary>
    /// The second capture's packets left unmatched whose key the first capture has, keys in the order of their first
    /// occurrence, each key's packets in the capture's order.
    /// </summary>
    public IEnumerable<int> LeftOverOfKeysAtFirst()
    {
        for (int j = 0; j < _slotOf.Length; j++)
        {
            int slot = _slotOf[j];
            if (_first[slot] != j + 1 || !_atFirst[slot])
            {
                continue;
            }
            for (int left = _unmatched[slot]; left != 0; left = _nextSame[left - 1])
            {
                yield return left - 1;
            }
        }
    }

    /// <summary>The longest run of occupied slots (a lookup of a key not held walks at most that far); for tests.</summary>
    internal int LongestRun()
    {
        int longest = 0, run = 0;
        // Twice round, so that a run wrapping past the end is counted whole.
        for (int i = 0; i < 2 * _first.Length; i++)
        {
            run = _first[i & _mask] == 0 ? 0 : run + 1;
            longest = Math.Max(longest, Math.Min(run, _first.Length));
        }
        return longest;
    }

    /// <summary>The key's slot, or the empty slot where it would go (linear probing).</summary>
    private int Find(ulong key)
    {
        int slot = SeededHash.Of(key, 0) & _mask;   // the keys are seeded hashes already, but a table takes no chances with its index
        while (_first[slot] != 0 && _keys[slot] != key)
        {
            slot = (slot + 1) & _mask;
        }
        return slot;
    }
}
