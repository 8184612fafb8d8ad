namespace PcapInsight.Core.Collections;

/// <summary>
/// A first-in, first-out queue in a growable ring: the part of <see cref="Queue{T}"/> the analysis uses, compiled
/// ahead with this assembly for the reason <see cref="ValueList{T}"/> gives. Not thread-safe.
/// </summary>
internal sealed class ValueQueue<T>
{
    private T[] _items;
    private int _head;   // the oldest item's index

    public ValueQueue(int capacity = 4) => _items = new T[Math.Max(1, capacity)];

    public int Count { get; private set; }

    public void Enqueue(T item)
    {
        if (Count == _items.Length)
        {
            Grow();
        }
        int tail = _head + Count;
        _items[tail >= _items.Length ? tail - _items.Length : tail] = item;
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
        item = _items[_head];
        return true;
    }

    /// <summary>Takes the oldest item; the queue must not be empty.</summary>
    public T Dequeue()
    {
        if (Count == 0)
        {
            throw new InvalidOperationException("The queue is empty.");
        }
        T item = _items[_head];
        _items[_head] = default!;   // it may hold references
        _head = _head + 1 == _items.Length ? 0 : _head + 1;
        Count--;
        return item;
    }

    private void Grow()
    {
        var grown = new T[2 * _items.Length];
        int first = Math.Min(Count, _items.Length - _head);   // from the head to the array's end, then the wrapped part
        Array.Copy(_items, _head, grown, 0, first);
        Array.Copy(_items, 0, grown, first, Count - first);
        _items = grown;
        _head = 0;
    }
}
