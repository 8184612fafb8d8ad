using System.Diagnostics.CodeAnalysis;

namespace PcapInsight.Core.Collections;

/// <summary>
/// A hash map from a value key (an address) to a value: the part of <see cref="Dictionary{TKey,TValue}"/> the analysis
/// uses, compiled ahead with this assembly for the reason <see cref="ValueList{T}"/> gives. Entries are kept in the
/// order they were added (as <see cref="Dictionary{TKey,TValue}"/> enumerates when nothing was removed), chained per
/// bucket. The keys' own hash is used as it is, so it must be seeded per process (<see cref="Decoding.IpAddr"/>'s is,
/// <see cref="Fragments.FragmentKey"/>'s by <see cref="SeededHash"/>): a capture then cannot choose keys that share a
/// chain. Not thread-safe for writes; reads from several threads are safe once writes
/// have stopped.
/// </summary>
internal sealed class ValueMap<TKey, TValue> where TKey : struct, IEquatable<TKey>
{
    private struct Entry
    {
        public TKey Key;
        public TValue Value;
        public int Hash;
        public int Next;   // the next entry of the bucket, plus one; 0 ends the chain
    }

    private int[] _buckets = new int[8];   // each bucket's first entry, plus one; 0 when empty
    private Entry[] _entries = new Entry[8];

    /// <summary>Entries held.</summary>
    public int Count { get; private set; }

    /// <summary>The value of <paramref name="key"/>, when held.</summary>
    public bool TryGetValue(TKey key, [MaybeNullWhen(false)] out TValue value)
    {
        int i = Find(key, key.GetHashCode());
        if (i < 0)
        {
            value = default!;
            return false;
        }
        value = _entries[i].Value;
        return true;
    }

    public bool ContainsKey(TKey key) => Find(key, key.GetHashCode()) >= 0;

    /// <summary>Adds <paramref name="key"/> with <paramref name="value"/>; false (and nothing changed) when it is held.</summary>
    public bool TryAdd(TKey key, TValue value)
    {
        int hash = key.GetHashCode();
        if (Find(key, hash) >= 0)
        {
            return false;
        }
        AddNew(key, value, hash);
        return true;
    }

    /// <summary>
    /// Removes <paramref name="key"/>; false when it is not held. The last entry takes the removed one's place, so the
    /// order of the entries added is kept only without removals (<see cref="RemoveWhere"/> keeps it).
    /// </summary>
    public bool Remove(TKey key)
    {
        int hash = key.GetHashCode();
        int i = Find(key, hash);
        if (i < 0)
        {
            return false;
        }
        Unlink(i);
        int last = Count - 1;
        if (i != last)
        {
            Unlink(last);
            _entries[i] = _entries[last];
            ref int bucket = ref _buckets[_entries[i].Hash & (_buckets.Length - 1)];
            _entries[i].Next = bucket;
            bucket = i + 1;
        }
        _entries[last] = default;
        Count--;
        return true;
    }

    /// <summary>The key of the <paramref name="index"/>th entry, in the order added.</summary>
    public TKey KeyAt(int index) => _entries[index].Key;

    /// <summary>The value of the <paramref name="index"/>th entry, in the order added.</summary>
    public TValue ValueAt(int index) => _entries[index].Value;

    /// <summary>The values in the order they were added.</summary>
    public IEnumerable<TValue> Values
    {
        get
        {
            for (int i = 0; i < Count; i++)
            {
                yield return _entries[i].Value;
            }
        }
    }

    /// <summary>Removes the entries <paramref name="match"/> accepts; the others keep their order.</summary>
    public void RemoveWhere(Func<TKey, TValue, bool> match)
    {
        int kept = 0;
        for (int i = 0; i < Count; i++)
        {
            if (!match(_entries[i].Key, _entries[i].Value))
            {
                _entries[kept++] = _entries[i];
            }
        }
        Array.Clear(_entries, kept, Count - kept);
        Count = kept;
        Resize(_entries.Length);   // the chains, rebuilt over the kept entries
    }

    private int Find(TKey key, int hash)
    {
        for (int i = _buckets[hash & (_buckets.Length - 1)] - 1; i >= 0; i = _entries[i].Next - 1)
        {
            if (_entries[i].Hash == hash && _entries[i].Key.Equals(key))
            {
                return i;
            }
        }
        return -1;
    }

    // Takes entry i out of its bucket's chain.
    private void Unlink(int i)
    {
        ref int link = ref _buckets[_entries[i].Hash & (_buckets.Length - 1)];
        while (link != i + 1)
        {
            link = ref _entries[link - 1].Next;
        }
        link = _entries[i].Next;
    }

    private void AddNew(TKey key, TValue value, int hash)
    {
        if (Count == _entries.Length)
        {
            Resize(2 * _entries.Length);
        }
        Append(key, value, hash);
    }

    private void Append(TKey key, TValue value, int hash)
    {
        ref int bucket = ref _buckets[hash & (_buckets.Length - 1)];
        _entries[Count] = new Entry { Key = key, Value = value, Hash = hash, Next = bucket };
        bucket = ++Count;
    }

    private void Resize(int capacity)
    {
        Entry[] old = _entries;
        int count = Count;
        _entries = new Entry[capacity];
        _buckets = new int[capacity];   // a power of two, as the first
        Count = 0;
        for (int i = 0; i < count; i++)
        {
            Append(old[i].Key, old[i].Value, old[i].Hash);
        }
    }
}

/// <summary>A set of value keys (addresses): <see cref="ValueMap{TKey,TValue}"/> without values.</summary>
internal sealed class ValueSet<T> where T : struct, IEquatable<T>
{
    private readonly ValueMap<T, bool> _map = new();

    public int Count => _map.Count;

    public bool Contains(T item) => _map.ContainsKey(item);

    /// <summary>Adds <paramref name="item"/>; false when it was there.</summary>
    public bool Add(T item) => _map.TryAdd(item, true);

    /// <summary>The item added <paramref name="index"/>th.</summary>
    public T this[int index] => _map.KeyAt(index);
}
