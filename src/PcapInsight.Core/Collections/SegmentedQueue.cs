namespace PcapInsight.Core.Collections;

/// <summary>
/// A first-in first-out queue stored in segments below the large-object threshold, as <see cref="SegmentedList{T}"/>
/// stores a list: growing adds a segment, never a doubled copy, and a segment the head leaves is kept for the tail.
/// For a queue that grows to a million entries over a capture: the flow table's connections lingering after their
/// close (a million-connection capture's queue doubled to 1,048,576 entries in large arrays, and those allocations
/// started two of the analysis' four full collections of a heap holding the million connections: bench/RESULTS.md).
/// </summary>
/// <remarks>
/// Not thread-safe. The same ahead-of-time rules as <see cref="ValueList{T}"/> (no framework generics over
/// <typeparamref name="T"/>).
/// </remarks>
internal sealed class SegmentedQueue<T>
{
    private readonly int _shift;     // items a segment: 1 << _shift
    private readonly int _mask;
    private T[][] _segments = new T[4][];   // the segments in use are [_first, _first + _used), the oldest first
    private int _first;
    private int _used;
    private int _head;               // the oldest item's index in the oldest segment
    private T[]? _spare;             // a segment the head left, cleared, for the next one the tail needs

    /// <summary>A queue whose segments hold as many items as fit in 64 KB, or <paramref name="itemsPerSegment"/> (a power of two; for tests).</summary>
    public SegmentedQueue(int itemsPerSegment = 0)
    {
        int items = itemsPerSegment > 0 ? itemsPerSegment : SegmentedList<T>.ItemsPerSegment;
        if (items <= 0 || (items & (items - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(itemsPerSegment), itemsPerSegment, "must be a power of two");
        }
        _shift = System.Numerics.BitOperations.Log2((uint)items);
        _mask = items - 1;
    }

    public int Count { get; private set; }

    /// <summary>Segments held, the spare one included (for tests: what the queue keeps after it shrank).</summary>
    internal int SegmentsHeld => _used + (_spare is null ? 0 : 1);

    public void Enqueue(T item)
    {
        int at = _head + Count;
        if (at >> _shift == _used)
        {
            AddSegment();
        }
        _segments[_first + (at >> _shift)][at & _mask] = item;
        Count++;
    }

    /// <summary>The oldest item, when there is one (left in the queue).</summary>
    public bool TryPeek(out T item)
    {
        if (Count == 0)
        {
            item = default!;
            return false;
        }
        item = _segments[_first][_head];
        return true;
    }

    /// <summary>Takes the oldest item; the queue must not be empty.</summary>
    public T Dequeue()
    {
        if (Count == 0)
        {
            throw new InvalidOperationException("The queue is empty.");
        }
        T[] oldest = _segments[_first];
        T item = oldest[_head];
        oldest[_head] = default!;   // it may hold references
        _head++;
        Count--;
        if (_head > _mask)
        {
            DropOldestSegment();
        }
        else if (Count == 0)
        {
            _head = 0;   // empty: the next item starts the segment again
        }
        return item;
    }

    /// <summary>
    /// Drops every item <paramref name="drop"/> says, keeping the others in their order; returns how many went. One
    /// pass: the kept items move towards the head, the freed places are cleared (they may hold references) and the
    /// segments left empty at the tail are given back (one kept as the spare).
    /// </summary>
    public int RemoveAll(Func<T, bool> drop)
    {
        int kept = 0;
        for (int i = 0; i < Count; i++)
        {
            T item = At(i);
            if (!drop(item))
            {
                At(kept++) = item;
            }
        }
        for (int i = kept; i < Count; i++)
        {
            At(i) = default!;
        }
        int removed = Count - kept;
        Count = kept;
        int needed = kept == 0 ? 0 : ((_head + kept - 1) >> _shift) + 1;
        while (_used > needed)
        {
            _used--;
            _spare ??= _segments[_first + _used];
            _segments[_first + _used] = null!;
        }
        if (_used == 0)
        {
            _first = 0;
            _head = 0;
        }
        return removed;
    }

    private ref T At(int i)
    {
        int at = _head + i;
        return ref _segments[_first + (at >> _shift)][at & _mask];
    }

    private void AddSegment()
    {
        if (_first + _used == _segments.Length)
        {
            if (_first > 0)
            {
                // The head has left segments behind: move the ones in use to the front (references only).
                Array.Copy(_segments, _first, _segments, 0, _used);
                Array.Clear(_segments, _used, _first);
                _first = 0;
            }
            else
            {
                Array.Resize(ref _segments, 2 * _segments.Length);
            }
        }
        _segments[_first + _used++] = _spare ?? new T[_mask + 1];
        _spare = null;
    }

    private void DropOldestSegment()
    {
        _spare ??= _segments[_first];   // every place cleared as it was dequeued
        _segments[_first] = null!;
        _first++;
        _used--;
        _head = 0;
        if (_used == 0)
        {
            _first = 0;
        }
    }
}
