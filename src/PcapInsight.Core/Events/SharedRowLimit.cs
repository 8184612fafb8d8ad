namespace PcapInsight.Core.Events;

/// <summary>
/// The row limit (<c>--max-events</c>) as the collectors of one sharded analysis see it together. Each collector keeps
/// the rows it could contribute to the first <c>maxRows</c> by rank, judging from its own rows only: on a capture
/// whose logged rows are spread over the shards (a SYN scan's resets), every shard held up to the limit's rows until
/// the merge, N times the rows one analyzer holds. Here each says, now and then, "I hold at least R logged rows, none
/// dated after T"; once some shards' R add up to the limit, no row dated after the latest of those T can be among the
/// first rows (that many rank before it: rows rank by time first), and every collector drops such rows as they come.
/// </summary>
/// <remarks>
/// Lock-free and safe whatever the interleaving: a collector writes its T before its R and a reader reads R before T,
/// so the T it reads is at least the one that R was said with; T only grows, and a collector's rows dated at or
/// before a T it said never fall under the R it said (a trim keeps the first rows by rank, which are those). Which
/// rows are dropped early depends on the threads' timing; which rows the report keeps does not: only rows the limit
/// would cut anyway are dropped, and every event is still counted.
/// </remarks>
internal sealed class SharedRowLimit(int parts, int maxRows)
{
    private readonly long[] _rows = new long[parts];
    private readonly long[] _latestNs = new long[parts];
    private long _cutoffNs = long.MaxValue;

    /// <summary>Logged rows dated after this (ns) are past the limit; <see cref="long.MaxValue"/> until the parts' rows reach it.</summary>
    public long CutoffNs => Volatile.Read(ref _cutoffNs);

    /// <summary>Part <paramref name="part"/> holds at least <paramref name="rows"/> logged rows dated at or before <paramref name="latestNs"/>, and will.</summary>
    public void Publish(int part, long rows, long latestNs)
    {
        Volatile.Write(ref _latestNs[part], latestNs);
        Volatile.Write(ref _rows[part], rows);
        // The earliest time by which some parts together hold the limit's rows: the parts by their time, their rows
        // added up until they reach it (a part whose rows alone reach it early lowers the cutoff for all).
        Span<(long LatestNs, long Rows)> said = _rows.Length <= 64 ? stackalloc (long, long)[_rows.Length] : new (long, long)[_rows.Length];
        int count = 0;
        for (int i = 0; i < _rows.Length; i++)
        {
            long r = Volatile.Read(ref _rows[i]);
            if (r > 0)
            {
                said[count++] = (Volatile.Read(ref _latestNs[i]), r);
            }
        }
        said = said[..count];
        said.Sort();
        long sum = 0;
        foreach ((long latest, long r) in said)
        {
            sum += r;
            if (sum >= maxRows)
            {
                Lower(latest);
                return;
            }
        }
    }

    private void Lower(long cutoffNs)
    {
        for (long current = CutoffNs; cutoffNs < current; current = CutoffNs)
        {
            if (Interlocked.CompareExchange(ref _cutoffNs, cutoffNs, current) == current)
            {
                return;
            }
        }
    }
}
