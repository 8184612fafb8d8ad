namespace PcapInsight.Core.Flows;

/// <summary>
/// The flow table's division by flow hash: a table of <c>--max-flows</c> flows is <see cref="Count"/> partitions, each
/// holding its share of the limit and evicting its own least recently active flow when full. Which flow a new one
/// evicts then depends only on the flows of its partition, which a sharded analysis keeps together on one shard (a
/// shard takes whole partitions, see <see cref="ShardOf"/>): the evictions, and so the report, are the same with any
/// number of threads. One table with one limit would need every shard's packets in order to pick its victim.
/// </summary>
/// <remarks>
/// The price is that a partition fills before the whole table does: with the flows spread by a good hash, each holds
/// its mean plus a few standard deviations when the first fills, so the first eviction comes at about
/// 1 - 3·√(partitions / max-flows) of the limit: 97.6 % of a million in 64 partitions, 95.8 % of 20,000 in 4.
/// Smaller tables are not divided (one partition under 8,192 flows: a sharded analysis then runs on one thread).
/// Zeek's cluster workers are alike: each holds a table of its own, with its own limits, for the flows hashed to it.
/// </remarks>
internal readonly struct FlowPartitions
{
    /// <summary>Flows a partition holds at least: a table is divided only where each part keeps this many.</summary>
    internal const int MinFlowsPerPartition = 4_096;

    /// <summary>The most partitions: a share of the table for each of up to 64 threads, whatever their count.</summary>
    internal const int MaxCount = 64;

    private readonly int _maxFlows;

    private FlowPartitions(int maxFlows, int count)
    {
        _maxFlows = maxFlows;
        Count = count;
    }

    /// <summary>How many partitions (1 to 64).</summary>
    public int Count { get; }

    /// <summary>The partitions of a table of <paramref name="maxFlows"/> flows.</summary>
    public static FlowPartitions For(int maxFlows) =>
        new(maxFlows, Math.Clamp(maxFlows / MinFlowsPerPartition, 1, MaxCount));

    /// <summary>
    /// The partition of a flow whose key hashes to <paramref name="hash"/> (<see cref="FlowKey.PartitionHash"/>, the same
    /// in every run): from the hash's high bits, by a multiplication, as .NET's FastRange.
    /// </summary>
    public int Of(int hash) => (int)(((ulong)(uint)hash * (uint)Count) >> 32);

    /// <summary>The partition of the flow of <paramref name="key"/>.</summary>
    public int Of(in FlowKey key) => Of(key.PartitionHash());

    /// <summary>Flows <paramref name="partition"/> holds at most: the limit divided, the first ones taking the remainder.</summary>
    public int CapacityOf(int partition) => _maxFlows / Count + (partition < _maxFlows % Count ? 1 : 0);

    /// <summary>
    /// The shard of <paramref name="shards"/> that analyses <paramref name="partition"/>. Shard 0 shares the reading
    /// thread, which also reads, decodes and hands over every frame: it gets about one part of the partitions in
    /// 2N - 1, the others two parts each (on 2 cores, small.pcap: median of 5 interleaved runs 3.64 s with a third
    /// for shard 0, 3.88 s with a half; one thread 4.13 s). With fewer partitions than parts some shards get none.
    /// </summary>
    public int ShardOf(int partition, int shards) => (int)(((long)partition * (2 * shards - 1) / Count + 1) / 2);

    /// <summary>What capture.flow_table_full says of the limit.</summary>
    public string Describe()
    {
        if (Count == 1)
        {
            return $"max_flows={_maxFlows}";
        }
        int smallest = _maxFlows / Count;
        string each = _maxFlows % Count == 0 ? $"{smallest}" : $"{smallest}-{smallest + 1}";
        return $"max_flows={_maxFlows} partitions={Count} per_partition={each}";
    }
}
