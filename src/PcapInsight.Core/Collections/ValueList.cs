using System.Collections;

namespace PcapInsight.Core.Collections;

/// <summary>
/// A growable array: the part of <see cref="List{T}"/> the analysis uses, for lists of the analysis' own values (an
/// event candidate, a flow's place in the report's list, a link type), plus a stable sort.
/// </summary>
/// <remarks>
/// Why not <see cref="List{T}"/>: ReadyToRun precompiles a framework generic over our value types only when the
/// framework is in the app's version bubble (a self-contained composite build), so each <c>List&lt;OurStruct&gt;</c>
/// and its sort cost every run a dozen or more methods compiled at run time, before the first report line (README,
/// "Speed"; bench/RESULTS.md). This class and its instantiations over this assembly's types and the primitive types
/// are compiled ahead with the rest of the assembly, as long as <typeparamref name="T"/> is (a value tuple is the
/// framework's: its instantiations are compiled at run time). It keeps out of <see cref="Span{T}"/>,
/// <see cref="EqualityComparer{T}"/> and <see cref="Array"/>'s generic methods over <typeparamref name="T"/> for the
/// same reason. Not thread-safe.
/// </remarks>
internal sealed class ValueList<T> : IReadOnlyList<T>
{
    private T[] _items;

    // Not Array.Empty<T>(): one of the framework's generic methods this class keeps out of.
    private static readonly T[] Empty = new T[0];

    public ValueList() => _items = Empty;

    public ValueList(int capacity) => _items = capacity == 0 ? Empty : new T[capacity];

    /// <summary>A list holding the items of <paramref name="other"/>.</summary>
    public ValueList(ValueList<T> other)
    {
        _items = other.Count == 0 ? Empty : new T[other.Count];
        Array.Copy(other._items, _items, other.Count);
        Count = other.Count;
    }

    public int Count { get; private set; }

    public int Capacity => _items.Length;

    /// <summary>The item at <paramref name="index"/>, by reference (valid until the list grows).</summary>
    public ref T this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count)
            {
                throw new ArgumentOutOfRangeException(nameof(index));
            }
            return ref _items[index];
        }
    }

    T IReadOnlyList<T>.this[int index] => this[index];

    public void Add(T item)
    {
        if (Count == _items.Length)
        {
            Grow(Count + 1);
        }
        _items[Count++] = item;
    }

    /// <summary>Inserts <paramref name="item"/> at <paramref name="index"/> (0 to <see cref="Count"/>), moving the later items up.</summary>
    public void Insert(int index, T item)
    {
        if ((uint)index > (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index));
        }
        if (Count == _items.Length)
        {
            Grow(Count + 1);
        }
        Array.Copy(_items, index, _items, index + 1, Count - index);
        _items[index] = item;
        Count++;
    }

    /// <summary>Removes the item at <paramref name="index"/>, moving the later items down.</summary>
    public void RemoveAt(int index)
    {
        if ((uint)index >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index));
        }
        Count--;
        Array.Copy(_items, index + 1, _items, index, Count - index);
        _items[Count] = default!;
    }

    /// <summary>Adds the items of <paramref name="other"/>, in order.</summary>
    public void AddRange(ValueList<T> other)
    {
        EnsureCapacity(Count + other.Count);
        Array.Copy(other._items, 0, _items, Count, other.Count);
        Count += other.Count;
    }

    /// <summary>Removes the first <paramref name="count"/> items; the others move to the front, in order.</summary>
    public void RemoveFirst(int count) => RemoveRange(0, Math.Min(Math.Max(count, 0), Count));

    /// <summary>Removes <paramref name="count"/> items from <paramref name="index"/> on, moving the later items down in one copy.</summary>
    public void RemoveRange(int index, int count)
    {
        if (index < 0 || count < 0 || index > Count - count)
        {
            throw new ArgumentOutOfRangeException(nameof(index));
        }
        if (count == 0)
        {
            return;
        }
        Array.Copy(_items, index + count, _items, index, Count - index - count);
        Array.Clear(_items, Count - count, count);
        Count -= count;
    }

    /// <summary>Makes room for <paramref name="capacity"/> items at once.</summary>
    public void EnsureCapacity(int capacity)
    {
        if (capacity > _items.Length)
        {
            Grow(capacity);
        }
    }

    /// <summary>Empties the list; with <paramref name="keepAtMost"/>, also gives back storage beyond that many items.</summary>
    public void Clear(int keepAtMost = int.MaxValue)
    {
        Array.Clear(_items, 0, Count);   // the items may hold references
        Count = 0;
        if (_items.Length > keepAtMost)
        {
            _items = new T[keepAtMost];
        }
    }

    /// <summary>Keeps the first <paramref name="count"/> items.</summary>
    public void Truncate(int count)
    {
        if (count < Count)
        {
            Array.Clear(_items, count, Count - count);
            Count = count;
        }
    }

    /// <summary>Removes every item <paramref name="match"/> accepts; the others keep their order.</summary>
    public void RemoveWhere(Predicate<T> match)
    {
        int kept = 0;
        for (int i = 0; i < Count; i++)
        {
            if (!match(_items[i]))
            {
                _items[kept++] = _items[i];
            }
        }
        Truncate(kept);
    }

    /// <summary>Sorts the items by <paramref name="comparison"/>, stably (equal items keep their order).</summary>
    public void Sort(Comparison<T> comparison) => StableSort.Sort(_items, 0, Count, comparison);

    /// <summary>Sorts the items by <paramref name="order"/>, stably: the order's comparison compiled into the sort.</summary>
    public void Sort<TOrder>(TOrder order) where TOrder : struct, IOrder<T> => StableSort.Sort(_items, 0, Count, order);

    /// <summary>The items in a new array.</summary>
    public T[] ToArray()
    {
        var copy = new T[Count];
        Array.Copy(_items, copy, Count);
        return copy;
    }

    public Enumerator GetEnumerator() => new(this);

    IEnumerator<T> IEnumerable<T>.GetEnumerator() => new BoxedEnumerator(this);

    IEnumerator IEnumerable.GetEnumerator() => new BoxedEnumerator(this);

    private void Grow(int needed)
    {
        var grown = new T[Math.Max(needed, Math.Max(4, 2 * _items.Length))];
        Array.Copy(_items, grown, Count);
        _items = grown;
    }

    /// <summary>The items in order; the list must not change meanwhile.</summary>
    public struct Enumerator(ValueList<T> list)
    {
        private int _index = -1;

        public readonly T Current => list._items[_index];

        public bool MoveNext() => ++_index < list.Count;
    }

    private sealed class BoxedEnumerator(ValueList<T> list) : IEnumerator<T>
    {
        private int _index = -1;

        public T Current => list._items[_index];

        object? IEnumerator.Current => Current;

        public bool MoveNext() => ++_index < list.Count;

        public void Reset() => _index = -1;

        public void Dispose()
        {
        }
    }
}
