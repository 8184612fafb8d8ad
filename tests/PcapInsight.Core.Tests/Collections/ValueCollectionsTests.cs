using System.Reflection;
using PcapInsight.Core.Collections;
using PcapInsight.Core.Decoding;
using Xunit;

namespace PcapInsight.Core.Tests.Collections;

/// <summary>
/// The analysis' own collections (written so that ReadyToRun compiles them ahead, where the framework's over our value
/// types are compiled at run time) behave as the framework's they replace: each is driven by the same random
/// operations as its framework model, and compared after every step.
/// </summary>
public class ValueCollectionsTests
{
    // An item that sorts by Key alone and remembers where it came from, to see that equal keys keep their order.
    private readonly record struct Item(int Key, int Place);

    public static TheoryData<int[]> Keys() => new()
    {
        Array.Empty<int>(),
        new[] { 5 },
        new[] { 1, 2, 3, 4 },
        new[] { 4, 3, 2, 1 },
        new[] { 3, 1, 3, 1, 3, 1, 2 },        // ties keep their order
        new[] { 7, 7, 7, 7, 7 },
        new[] { 9, 1, 8, 2, 7, 3, 6, 4, 5, 5, 5, 0, 10, 1, 1 },
    };

    [Theory]
    [MemberData(nameof(Keys))]
    public void ValueList_Sort_IsLinqsStableOrderBy(int[] keys)
    {
        var list = new ValueList<Item>();
        for (int i = 0; i < keys.Length; i++)
        {
            list.Add(new Item(keys[i], i));
        }

        list.Sort((a, b) => a.Key.CompareTo(b.Key));

        Assert.Equal(keys.Select((k, i) => new Item(k, i)).OrderBy(x => x.Key), list.ToArray());
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(0, 1)]
    [InlineData(3, 1)]
    [InlineData(3, 17)]
    [InlineData(5, 1000)]
    public void StableSort_SortsOnlyItsRange(int start, int count)
    {
        var random = new Random(start * 1000 + count);
        Item[] items = Enumerable.Range(0, start + count + 4).Select(i => new Item(random.Next(8), i)).ToArray();
        Item[] expected = items.Take(start).Concat(items.Skip(start).Take(count).OrderBy(x => x.Key)).Concat(items.Skip(start + count)).ToArray();

        StableSort.Sort(items, start, count, (a, b) => a.Key.CompareTo(b.Key));

        Assert.Equal(expected, items);
    }

    /// <summary>
    /// Inputs of the shapes a natural merge sort treats differently: in order (no merge), in runs (a few merges, an odd
    /// run left over), nearly in order (an event row dated before the one reported ahead of it), reversed (runs of one).
    /// </summary>
    [Theory]
    [InlineData("in order", 0, 1000)]
    [InlineData("in order", 3, 1000)]
    [InlineData("runs", 0, 1000)]
    [InlineData("runs", 5, 999)]
    [InlineData("nearly", 0, 5000)]
    [InlineData("nearly", 2, 5000)]
    [InlineData("reversed", 1, 1000)]
    [InlineData("two runs", 0, 2)]
    [InlineData("random", 4, 3000)]
    public void StableSort_OfEveryShape_IsLinqsStableOrderBy(string shape, int start, int count)
    {
        var random = new Random(count + start);
        int[] keys = shape switch
        {
            "in order" => [.. Enumerable.Range(0, count).Select(i => i / 3)],                       // with ties
            "runs" => [.. Enumerable.Range(0, count).Select(i => (i % 97) / 2)],                   // 11 runs, ties inside
            "nearly" => [.. Enumerable.Range(0, count).Select(i => random.Next(50) == 0 ? i - random.Next(200) : i)],
            "reversed" => [.. Enumerable.Range(0, count).Select(i => count - i)],
            "two runs" => [1, 0],
            _ => [.. Enumerable.Range(0, count).Select(_ => random.Next(count / 4))],
        };
        Item[] items = [.. Enumerable.Repeat(new Item(-1, -1), start), .. keys.Select((k, i) => new Item(k, i)), new Item(-2, -2)];
        Item[] expected = [.. items.Take(start), .. items.Skip(start).Take(count).OrderBy(x => x.Key), .. items.Skip(start + count)];

        StableSort.Sort(items, start, count, (a, b) => a.Key.CompareTo(b.Key));

        Assert.Equal(expected, items);
    }

    [Fact]
    public void StableSort_ThroughKeptBuffers_SortsAsAlone_AndAllocatesOnlyToGrow()
    {
        // A spool's runs, one after another through the same buffers: shapes and sizes that grow, shrink and repeat.
        var buffers = new SortBuffers<Item>();
        var random = new Random(11);
        foreach (int count in (ReadOnlySpan<int>)[1000, 10, 5000, 5000, 300])
        {
            Item[] items = [.. Enumerable.Range(0, count).Select(i => new Item(random.Next(count / 3 + 1), i))];
            Item[] expected = [.. items.OrderBy(x => x.Key)];
            Item[] again = [.. items];

            bool roomKept = buffers.Items.Length >= count && buffers.Runs.Length >= count + 1;
            long before = GC.GetAllocatedBytesForCurrentThread();
            StableSort.Sort(items, 0, count, new ByKey(), buffers);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            Assert.Equal(expected, items);
            if (roomKept)
            {
                Assert.Equal(0, allocated);   // room kept from a larger run: nothing new
            }
            StableSort.Sort(again, 0, count, new ByKey());
            Assert.Equal(expected, again);
        }

        // Items holding references: the kept buffer holds none of them once the sort is done.
        var texts = new SortBuffers<string>();
        string[] words = ["d", "b", "c", "a", "e", "b"];
        StableSort.Sort(words, 0, words.Length, new Ordinal(), texts);
        Assert.Equal(["a", "b", "b", "c", "d", "e"], words);
        Assert.All(texts.Items, w => Assert.Null(w));
    }

    private readonly struct ByKey : IOrder<Item>
    {
        public bool Before(in Item a, in Item b) => a.Key < b.Key;
    }

    private readonly struct Ordinal : IOrder<string>
    {
        public bool Before(in string a, in string b) => string.CompareOrdinal(a, b) < 0;
    }

    [Fact]
    public void ValueList_FollowsList_UnderRandomOperations()
    {
        var random = new Random(5);
        var list = new ValueList<Item>();
        var model = new List<Item>();
        for (int step = 0; step < 5_000; step++)
        {
            switch (random.Next(12))
            {
                case 11:
                    int from = random.Next(model.Count + 1), count = random.Next(model.Count - from + 1);
                    list.RemoveRange(from, count);
                    model.RemoveRange(from, count);
                    break;
                case 9:
                    int at = random.Next(model.Count + 1);
                    list.Insert(at, new Item(random.Next(50), step));
                    model.Insert(at, new Item(list[at].Key, step));
                    break;
                case 10:
                    if (model.Count > 0)
                    {
                        int gone = random.Next(model.Count);
                        list.RemoveAt(gone);
                        model.RemoveAt(gone);
                    }
                    break;
                case < 4:
                    var item = new Item(random.Next(50), step);
                    list.Add(item);
                    model.Add(item);
                    break;
                case 4:
                    int keep = random.Next(model.Count + 2);
                    list.Truncate(keep);
                    model.RemoveRange(Math.Min(keep, model.Count), model.Count - Math.Min(keep, model.Count));
                    break;
                case 5:
                    int key = random.Next(50);
                    list.RemoveWhere(x => x.Key == key);
                    model.RemoveAll(x => x.Key == key);
                    break;
                case 6:
                    int first = random.Next(model.Count + 2);
                    list.RemoveFirst(first);
                    model.RemoveRange(0, Math.Min(first, model.Count));
                    break;
                case 7:
                    var other = new ValueList<Item>();
                    for (int i = random.Next(4); i > 0; i--)
                    {
                        other.Add(new Item(random.Next(50), -i));
                        model.Add(new Item(other[other.Count - 1].Key, -i));
                    }
                    list.AddRange(other);
                    break;
                default:
                    if (random.Next(20) == 0)
                    {
                        list.Clear(keepAtMost: 8);
                        model.Clear();
                    }
                    else
                    {
                        list.Sort((a, b) => a.Key.CompareTo(b.Key));
                        model = model.OrderBy(x => x.Key).ToList();
                    }
                    break;
            }
            Assert.Equal(model.Count, list.Count);
            Assert.Equal(model, list.ToArray());
        }
        Assert.Equal(model, list);   // through IEnumerable<T>
        Assert.Equal(model, new ValueList<Item>(list).ToArray());
    }

    // A wide item (about 8 KB), so that a segment holds 8 and a few hundred steps cross many segments' edges.
    [System.Runtime.CompilerServices.InlineArray(1000)]
    private struct Padding
    {
        private long _element;
    }

    private struct Wide(int key, int place, object? held = null)
    {
        public int Key = key;
        public int Place = place;
        public object? Held = held;
        public Padding Pad = default;

        public readonly Item AsItem => new(Key, Place);
    }

    private readonly struct WideByKey : IOrder<Wide>
    {
        public bool Before(in Wide a, in Wide b) => a.Key < b.Key;
    }

    [Fact]
    public void SegmentedList_FollowsList_UnderRandomOperations()
    {
        Assert.Equal(8, SegmentedList<Wide>.ItemsPerSegment);
        var random = new Random(11);
        var list = new SegmentedList<Wide>();
        var model = new List<Item>();
        for (int step = 0; step < 3_000; step++)
        {
            switch (random.Next(10))
            {
                case < 6:
                    list.Add(new Wide(random.Next(40), step));
                    model.Add(new Item(list[list.Count - 1].Key, step));
                    break;
                case 6:
                    int keep = random.Next(model.Count + 3);
                    list.Truncate(keep);
                    model.RemoveRange(Math.Min(keep, model.Count), model.Count - Math.Min(keep, model.Count));
                    break;
                case 7:
                    int key = random.Next(40);
                    list.RemoveWhere(x => x.Key == key);
                    model.RemoveAll(x => x.Key == key);
                    break;
                case 8:
                    list.Sort(new WideByKey());
                    model = [.. model.OrderBy(x => x.Key)];
                    break;
                default:
                    if (model.Count > 0)
                    {
                        int at = random.Next(model.Count);
                        list[at].Key = -step;   // by reference
                        model[at] = model[at] with { Key = -step };
                    }
                    break;
            }
            Assert.Equal(model.Count, list.Count);
            Assert.Equal(model, list.ToArray().Select(w => w.AsItem));
        }
        Assert.Equal(model, list.Select(w => w.AsItem));   // through IEnumerable<T>
        var inOrder = new List<Item>();
        foreach (Wide w in list)   // the struct enumerator
        {
            inOrder.Add(w.AsItem);
        }
        Assert.Equal(model, inOrder);
        Assert.Throws<ArgumentOutOfRangeException>(() => list[list.Count]);
        Assert.Throws<ArgumentOutOfRangeException>(() => list[-1]);
    }

    /// <summary>
    /// Why the list is in segments: none of them a large object (85,000 bytes or more), whatever the item, the event log's
    /// candidates (112 bytes) included; and a segment as large as that allows, so the segments stay few.
    /// </summary>
    [Fact]
    public void SegmentedList_Segments_AreSmallObjects_AsLargeAsAllowed()
    {
        AssertSegmentSize<byte>();
        AssertSegmentSize<long>();
        AssertSegmentSize<Item>();
        AssertSegmentSize<Wide>();
        AssertSegmentSize<Core.Events.EventOrder.Entry>();
        Assert.Equal(512, SegmentedList<Core.Events.EventOrder.Entry>.ItemsPerSegment);

        static void AssertSegmentSize<T>()
        {
            int items = SegmentedList<T>.ItemsPerSegment, size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
            Assert.True(System.Numerics.BitOperations.IsPow2(items), $"{typeof(T).Name}: {items} a segment");
            Assert.InRange((long)items * size, 1, SegmentedList<T>.MaxSegmentBytes);
            Assert.True(2L * items * size > SegmentedList<T>.MaxSegmentBytes || items == 1, $"{typeof(T).Name}: segments of {items} could be twice as large");
            Assert.True(new T[items].Length * (long)size + 32 < 85_000);
        }
    }

    /// <summary>Items cut off (by <c>Truncate</c> or <c>RemoveWhere</c>) are let go: the list holds no reference to what they held.</summary>
    [Theory]
    [InlineData(0)]
    [InlineData(5)]    // inside the first segment: the rest of it cleared
    [InlineData(8)]    // at a segment's edge
    [InlineData(13)]
    public void SegmentedList_LetsGoOfItemsCutOff(int keep)
    {
        var list = new SegmentedList<Wide>();
        WeakReference[] held = FillWithObjects(list, 30);
        list.Truncate(keep);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        for (int i = 0; i < held.Length; i++)
        {
            Assert.Equal(i < keep, held[i].IsAlive);
        }
        GC.KeepAlive(list);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference[] FillWithObjects(SegmentedList<Wide> list, int count)
    {
        var held = new WeakReference[count];
        for (int i = 0; i < count; i++)
        {
            object o = new byte[16];
            held[i] = new WeakReference(o);
            list.Add(new Wide(i, i, o));
        }
        return held;
    }

    [Fact]
    public void ValueList_Indexer_ChecksTheCount()
    {
        var list = new ValueList<int>(8) { 1 };
        Assert.Throws<ArgumentOutOfRangeException>(() => list[1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => list[-1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => list.Insert(2, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => list.RemoveAt(1));
        list[0] = 2;   // by reference
        Assert.Equal(2, ((IReadOnlyList<int>)list)[0]);
    }

    [Fact]
    public void ValueMap_FollowsDictionary_UnderRandomOperations()
    {
        var random = new Random(7);
        var map = new ValueMap<IpAddr, string>();
        var model = new Dictionary<IpAddr, string>();
        for (int step = 0; step < 20_000; step++)
        {
            // Few distinct keys, so that adds meet held keys and removals meet chains of several entries.
            IpAddr key = random.Next(2) == 0 ? IpAddr.Parse($"192.0.2.{random.Next(200)}") : IpAddr.Parse($"2001:db8::{random.Next(200):x}");
            switch (random.Next(6))
            {
                case < 3:
                    Assert.Equal(model.TryAdd(key, "v" + step), map.TryAdd(key, "v" + step));
                    break;
                case 3:
                    Assert.Equal(model.Remove(key), map.Remove(key));
                    break;
                case 4:
                    if (random.Next(100) == 0)
                    {
                        int bit = random.Next(2);
                        map.RemoveWhere((k, _) => (k.Lo & 1) == (ulong)bit);
                        foreach (IpAddr k in model.Keys.Where(k => (k.Lo & 1) == (ulong)bit).ToList())
                        {
                            model.Remove(k);
                        }
                    }
                    break;
                default:
                    Assert.Equal(model.TryGetValue(key, out string? expected), map.TryGetValue(key, out string? actual));
                    Assert.Equal(expected, actual);
                    Assert.Equal(model.ContainsKey(key), map.ContainsKey(key));
                    break;
            }
            Assert.Equal(model.Count, map.Count);
        }
        var entries = Enumerable.Range(0, map.Count).Select(i => (map.KeyAt(i), map.ValueAt(i))).ToList();
        Assert.Equal(model.OrderBy(e => e.Value).Select(e => (e.Key, e.Value)), entries.OrderBy(e => e.Item2));
        Assert.Equal(entries.Select(e => e.Item2), map.Values);
    }

    [Fact]
    public void ValueMap_KeepsTheOrderAdded_WithoutRemovals_AndThroughRemoveWhere()
    {
        var map = new ValueMap<IpAddr, int>();
        for (int i = 0; i < 100; i++)
        {
            map.TryAdd(IpAddr.Parse($"198.51.100.{(i * 37) % 256}"), i);
        }
        Assert.Equal(Enumerable.Range(0, 100), map.Values);

        map.RemoveWhere((_, v) => v % 3 == 0);

        Assert.Equal(Enumerable.Range(0, 100).Where(v => v % 3 != 0), map.Values);
        Assert.True(map.TryGetValue(IpAddr.Parse($"198.51.100.{37 % 256}"), out int one));
        Assert.Equal(1, one);
        Assert.False(map.ContainsKey(IpAddr.Parse("198.51.100.0")));
    }

    [Fact]
    public void ValueSet_CountsEachOnce()
    {
        var set = new ValueSet<IpAddr>();
        Assert.True(set.Add(IpAddr.Parse("203.0.113.1")));
        Assert.False(set.Add(IpAddr.Parse("203.0.113.1")));
        Assert.True(set.Add(IpAddr.Parse("2001:db8::1")));
        Assert.Equal(2, set.Count);
        Assert.True(set.Contains(IpAddr.Parse("2001:db8::1")));
        Assert.False(set.Contains(IpAddr.Parse("203.0.113.2")));
        Assert.Equal(IpAddr.Parse("2001:db8::1"), set[1]);
    }

    [Fact]
    public void ValueQueue_FollowsQueue_AcrossWrapsAndGrowth()
    {
        var queue = new ValueQueue<Item>(2);
        FollowQueue(queue.Enqueue, queue.Dequeue, (out Item i) => queue.TryPeek(out i), () => queue.Count, removeAll: null);
    }

    /// <summary>
    /// The segmented queue against <see cref="Queue{T}"/>: segments of 4 items (crossed and left often), and of the
    /// default size; with in-order removal, which gives emptied segments back.
    /// </summary>
    [Theory]
    [InlineData(4)]
    [InlineData(0)]
    public void SegmentedQueue_FollowsQueue_AcrossSegments(int itemsPerSegment)
    {
        var queue = new SegmentedQueue<Item>(itemsPerSegment);
        FollowQueue(queue.Enqueue, queue.Dequeue, (out Item i) => queue.TryPeek(out i), () => queue.Count, queue.RemoveAll);
    }

    private delegate bool Peek(out Item item);

    private static void FollowQueue(Action<Item> enqueue, Func<Item> dequeue, Peek tryPeek, Func<int> count, Func<Func<Item, bool>, int>? removeAll)
    {
        var random = new Random(3);
        var model = new Queue<Item>();
        for (int step = 0; step < 10_000; step++)
        {
            int action = random.Next(40);
            if (action == 0 && removeAll is not null)
            {
                // In-order removal, across the segments (or the ring's wrap) as much as not: every item of one residue goes.
                int residue = random.Next(3);
                var kept = new Queue<Item>(model.Where(i => i.Key % 3 != residue));
                Assert.Equal(model.Count - kept.Count, removeAll(i => i.Key % 3 == residue));
                model = kept;
            }
            else if (action < 27 || model.Count == 0)
            {
                enqueue(new Item(step, 0));
                model.Enqueue(new Item(step, 0));
            }
            else
            {
                Assert.Equal(model.Dequeue(), dequeue());
            }
            Assert.Equal(model.TryPeek(out Item expected), tryPeek(out Item actual));
            Assert.Equal(expected, actual);
            Assert.Equal(model.Count, count());
        }
        while (model.Count > 0)
        {
            Assert.Equal(model.Dequeue(), dequeue());
        }
        Assert.Throws<InvalidOperationException>(() => dequeue());
    }

    [Fact]
    public void SegmentedQueue_RemoveAll_LeavesNoReferenceToWhatWent_AndGivesEmptiedSegmentsBack()
    {
        // The flow table drops stale entries of its close queue so that their flows' objects can be collected.
        var queue = new SegmentedQueue<string>(itemsPerSegment: 2);
        foreach (string s in new[] { "a", "drop1", "b", "drop2", "drop3", "c", "drop4", "drop5" })
        {
            queue.Enqueue(s);
        }
        queue.Dequeue();   // the head mid-segment: drop1 | b drop2 | drop3 c | drop4 drop5
        Assert.Equal(4, queue.SegmentsHeld);

        Assert.Equal(5, queue.RemoveAll(s => s.StartsWith("drop", StringComparison.Ordinal)));

        FieldInfo Field(string name) => typeof(SegmentedQueue<string>).GetField(name, BindingFlags.Instance | BindingFlags.NonPublic)!;
        var segments = (string?[]?[])Field("_segments").GetValue(queue)!;
        var spare = (string?[]?)Field("_spare").GetValue(queue);
        Assert.NotNull(spare);
        Assert.DoesNotContain(segments.Append(spare).Where(s => s is not null).SelectMany(s => s!), s => s is not null && s.StartsWith("drop", StringComparison.Ordinal));
        Assert.Equal(3, queue.SegmentsHeld);   // _ b | c _ in use, one emptied segment kept as the spare, the other given back
        Assert.Equal(["b", "c"], new[] { queue.Dequeue(), queue.Dequeue() });
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void SegmentedQueue_HoldsTheSegmentsOfWhatItHolds()
    {
        var queue = new SegmentedQueue<int>(itemsPerSegment: 4);
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < 1_000; i++)
            {
                queue.Enqueue(i);
            }
            Assert.Equal(250, queue.SegmentsHeld);
            for (int i = 0; i < 1_000; i++)
            {
                Assert.Equal(i, queue.Dequeue());
                Assert.True(queue.SegmentsHeld <= (1_000 - i + 2) / 4 + 2, $"{queue.SegmentsHeld} segments held for {999 - i} items");
            }
            Assert.True(queue.SegmentsHeld <= 1, $"{queue.SegmentsHeld} segments held empty");
        }
    }
}
