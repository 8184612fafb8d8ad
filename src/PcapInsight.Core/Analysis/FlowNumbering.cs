using PcapInsight.Core.Flows;

namespace PcapInsight.Core.Analysis;

/// <summary>
/// The report's flow ids in a sharded run: the flows of every shard numbered together from 1 in the order of the places
/// they were created at (<see cref="CreationPlaces"/>; at one place the lower shard first), as one analyzer numbers
/// them while it creates them. A shard numbers its own flows 1, 2, ... in the same order, so a flow is named by its
/// shard and that local id until the merge.
/// </summary>
/// <remarks>
/// Nothing here is a flow: the ids are found by a walk over the shards' places, taken again for each reading of the
/// spooled flows (<see cref="Walk"/>), and only the ids the merge asks for by name (the listed flows, the event rows,
/// the best spooled flows: bounded by their limits) are kept (<see cref="Resolve"/>). A map of every flow's id, four
/// bytes a flow on top of its place, grew with the capture where the rest of the run did not.
/// </remarks>
internal sealed class FlowNumbering
{
    private readonly CreationPlaces[] _shards;
    private readonly int[][] _asked;   // a shard's local ids asked for, ascending and once each
    private readonly int[][] _ids;     // their report ids, by the same index

    private FlowNumbering(CreationPlaces[] shards, int[][] asked, int[][] ids)
    {
        _shards = shards;
        _asked = asked;
        _ids = ids;
    }

    /// <summary>
    /// Numbers the flows of <paramref name="shards"/> and keeps the report ids of the local ids in
    /// <paramref name="asked"/> (one collection a shard, in any order, repeats allowed): one walk over every flow.
    /// </summary>
    public static FlowNumbering Resolve(CreationPlaces[] shards, IReadOnlyList<IEnumerable<int>> asked)
    {
        if (asked.Count != shards.Length)
        {
            throw new ArgumentException($"{asked.Count} sets of ids for {shards.Length} shards", nameof(asked));
        }
        var wanted = new int[shards.Length][];
        var ids = new int[shards.Length][];
        int left = 0;
        for (int s = 0; s < shards.Length; s++)
        {
            // Sorted, then each id once (no set: the event rows alone may ask for a million).
            int[] sorted = asked[s].Where(id => id > 0).ToArray();
            Array.Sort(sorted);
            int unique = 0;
            foreach (int id in sorted)
            {
                if (unique == 0 || sorted[unique - 1] != id)
                {
                    sorted[unique++] = id;
                }
            }
            wanted[s] = sorted[..unique];
            ids[s] = new int[unique];
            left += unique;
        }
        var next = new int[shards.Length];
        var walk = new Walk(shards);
        while (left > 0 && walk.TryNext(out int shard, out int local, out int id))
        {
            int i = next[shard];
            if (i < wanted[shard].Length && wanted[shard][i] == local)
            {
                ids[shard][i] = id;
                next[shard] = i + 1;
                left--;
            }
        }
        return left == 0
            ? new FlowNumbering(shards, wanted, ids)
            : throw new InvalidOperationException($"{left} flow ids asked for are past the flows the shards created");
    }

    /// <summary>The report id of shard <paramref name="shard"/>'s flow <paramref name="local"/>, one <see cref="Resolve"/> was asked for.</summary>
    public int Of(int shard, int local)
    {
        int i = Array.BinarySearch(_asked[shard], local);
        return i >= 0 ? _ids[shard][i] : throw new KeyNotFoundException($"shard {shard}'s flow {local} was not resolved");
    }

    /// <summary>A walk over every flow in report id order, from the first.</summary>
    public Walk NewWalk() => new(_shards);

    /// <summary>
    /// The flows of every shard in report id order: a merge of the shards' places (each shard's ascending), the lower
    /// shard first at one place.
    /// </summary>
    internal sealed class Walk
    {
        private readonly CreationPlaces.Reader[] _readers;
        private readonly int[] _local;   // a shard's flows walked so far
        private readonly PriorityQueue<int, (long Place, int Shard)> _heads = new();
        private int _id;

        public Walk(CreationPlaces[] shards)
        {
            _readers = new CreationPlaces.Reader[shards.Length];
            _local = new int[shards.Length];
            for (int s = 0; s < shards.Length; s++)
            {
                _readers[s] = shards[s].Read();
                if (_readers[s].TryNext(out long place))
                {
                    _heads.Enqueue(s, (place, s));
                }
            }
        }

        /// <summary>The next flow: its shard, its id there and its report id; false after the last.</summary>
        public bool TryNext(out int shard, out int local, out int id)
        {
            if (!_heads.TryDequeue(out shard, out _))
            {
                local = id = 0;
                return false;
            }
            local = ++_local[shard];
            id = ++_id;
            if (_readers[shard].TryNext(out long place))
            {
                _heads.Enqueue(shard, (place, shard));
            }
            return true;
        }
    }
}
