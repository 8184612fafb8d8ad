using System.Collections;
using System.Runtime.CompilerServices;

namespace PcapInsight.Core.Collections;

/// <summary>
/// A growable list stored in segments of a fixed size, each kept below the large-object threshold: growing adds a
/// segment and never copies the items, and no part of it is a large object. For lists that grow to hundreds of
/// thousands of values over a whole capture (the event log's row candidates).
/// </summary>
/// <remarks>
/// Why: a <see cref="ValueList{T}"/> that doubles to a million 112-byte event candidates allocates 232 MB of large
/// arrays on the way (117 MB at the end, half of it unused), and on .NET every large allocation past the large-object
/// budget starts a full, compacting collection of the whole heap. On a capture of many kinds of traffic
/// (mixed.pcapng: 617,000 event rows) every collection of the analysis but one was such a full collection, and the
/// log's doublings were most of the large allocations (bench/RESULTS.md). Roslyn's <c>SegmentedList&lt;T&gt;</c>
/// (Microsoft.CodeAnalysis.Collections) is the model: segments sized by the item's size to stay small objects.
/// Not thread-safe; the same ahead-of-time rules as <see cref="ValueList{T}"/> (no framework generics over
/// <typeparamref name="T"/>).
/// </remarks>
internal sealed class SegmentedList<T> : IReadOnlyList<T>
{
    /// <summary>The most bytes a segment holds: below the runtime's 85,000-byte large-object threshold.</summary>
    internal const int MaxSegmentBytes = 64 * 1024;

    // Items per segment: a power of two (index to segment by shift, within it by mask).
    private static readonly int SegmentShift = ShiftFor(Unsafe.SizeOf<T>());
    private static readonly int SegmentLength = 1 << SegmentShift;
    private static readonly int OffsetMask = SegmentLength - 1;

    private T[][] _segments = new T[4][];
    private int _segmentCount;

    public int Count { get; private set; }

    /// <summary>Items a segment holds (a power of two).</summary>
    internal static int ItemsPerSegment => SegmentLength;

    /// <summary>The item at <paramref name="index"/>, by reference (valid while the list holds it: segments never move).</summary>
    public ref T this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count)
            {
                throw new ArgumentOutOfRangeException(nameof(index));
            }
            return ref _segments[index >> SegmentShift][index & OffsetMask];
        }
    }

    T IReadOnlyList<T>.this[int index] => this[index];

    public void Add(T item)
    {
        int offset = Count & OffsetMask;
        if (offset == 0 && (Count >> SegmentShift) == _segmentCount)
        {
            AddSegment();
        }
        _segments[Count >> SegmentShift][offset] = item;
        Count++;
    }

    /// <summary>Keeps the first <paramref name="count"/> items; the segments no longer needed are given back.</summary>
    public void Truncate(int count)
    {
        if (count >= Count)
        {
            return;
        }
        int keptSegments = (count + SegmentLength - 1) >> SegmentShift;
        if (keptSegments > 0 && (count & OffsetMask) != 0)
        {
            Array.Clear(_segments[keptSegments - 1], count & OffsetMask, SegmentLength - (count & OffsetMask));   // they may hold references
        }
        for (int s = keptSegments; s < _segmentCount; s++)
        {
            _segments[s] = null!;
        }
        _segmentCount = keptSegments;
        Count = count;
    }

    /// <summary>Removes every item <paramref name="match"/> accepts; the others keep their order.</summary>
    public void RemoveWhere(Predicate<T> match)
    {
        int kept = 0;
        for (int i = 0; i < Count; i++)
        {
            ref T item = ref this[i];
            if (!match(item))
            {
                this[kept++] = item;
            }
        }
        Truncate(kept);
    }

    /// <summary>
    /// Sorts the items by <paramref name="order"/>, stably (equal items keep their order): through one array of
    /// them all, so it costs the large allocation the segments avoid; for the rare path (a log past twice its limit).
    /// </summary>
    public void Sort<TOrder>(TOrder order) where TOrder : struct, IOrder<T>
    {
        T[] all = ToArray();
        StableSort.Sort(all, 0, all.Length, order);
        for (int i = 0; i < all.Length; i++)
        {
            this[i] = all[i];
        }
    }

    /// <summary>The items in a new array.</summary>
    public T[] ToArray()
    {
        var copy = new T[Count];
        for (int s = 0, at = 0; at < Count; s++)
        {
            int n = Math.Min(SegmentLength, Count - at);
            Array.Copy(_segments[s], 0, copy, at, n);
            at += n;
        }
        return copy;
    }

    public Enumerator GetEnumerator() => new(this);

    IEnumerator<T> IEnumerable<T>.GetEnumerator() => new BoxedEnumerator(this);

    IEnumerator IEnumerable.GetEnumerator() => new BoxedEnumerator(this);

    private void AddSegment()
    {
        if (_segmentCount == _segments.Length)
        {
            var grown = new T[2 * _segments.Length][];
            Array.Copy(_segments, grown, _segmentCount);
            _segments = grown;
        }
        _segments[_segmentCount++] = new T[SegmentLength];
    }

    private static int ShiftFor(int itemBytes)
    {
        int shift = 0;
        while ((2L << shift) * itemBytes <= MaxSegmentBytes)
        {
            shift++;
        }
        return shift;
    }

    /// <summary>The items in order; the list must not change meanwhile.</summary>
    public struct Enumerator(SegmentedList<T> list)
    {
        private int _index = -1;

        public readonly T Current => list[_index];

        public bool MoveNext() => ++_index < list.Count;
    }

    private sealed class BoxedEnumerator(SegmentedList<T> list) : IEnumerator<T>
    {
        private int _index = -1;

        public T Current => list[_index];

        object? IEnumerator.Current => Current;

        public bool MoveNext() => ++_index < list.Count;

        public void Reset() => _index = -1;

        public void Dispose()
        {
        }
    }
}
