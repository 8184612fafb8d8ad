namespace PcapInsight.Core.Events;

/// <summary>
/// The single gate every event passes through: it counts each kind in full, then applies the kind's
/// <see cref="EventPolicy"/> and the global row limit to decide which rows are kept (Zeek's <c>Reporter::Weird</c>).
/// </summary>
public sealed class EventCollector
{
    /// <summary>Rows kept in full for a <see cref="EventPolicy.Sampled"/> kind before it escalates to 1,000th, 10,000th...</summary>
    public const int SampledFullRows = 100;

    private readonly long[] _counts = new long[Enum.GetValues<EventKind>().Length];
    private readonly List<AnalysisEvent> _rows = new();
    private readonly int _maxRows;
    private long _dropped;

    /// <summary>
    /// A collector holding exactly <paramref name="rows"/> (a selection of another's rows): every kind counted by its
    /// rows, the timeline rebuilt from them.
    /// </summary>
    public static EventCollector FromRows(IReadOnlyList<AnalysisEvent> rows, long originNs)
    {
        var c = new EventCollector(Math.Max(1, rows.Count));
        c.Timeline.Start(originNs);
        foreach (AnalysisEvent e in rows)
        {
            c._counts[(int)e.Kind]++;
            c.Timeline.Add(e.Kind, e.TimestampNs > 0 ? e.TimestampNs : originNs);
            c._rows.Add(e);
        }
        return c;
    }

    /// <summary>Creates a collector that keeps at most <paramref name="maxRows"/> rows.</summary>
    public EventCollector(int maxRows) => _maxRows = maxRows;

    /// <summary>Every event counted by kind and time (bounded bins; nothing dropped).</summary>
    public EventTimeline Timeline { get; } = new();

    /// <summary>
    /// Capture time of the frame being analysed: the time of occurrences counted without a row (<see cref="CountOnly"/>).
    /// </summary>
    internal long ClockNs { get; set; }

    /// <summary>The kept rows, in the order reported.</summary>
    public IReadOnlyList<AnalysisEvent> Rows => _rows;

    /// <summary>Occurrences of <paramref name="kind"/>, before any limiting.</summary>
    public long Count(EventKind kind) => _counts[(int)kind];

    /// <summary>Rows counted but not kept because of the global limit.</summary>
    public long RowsOverLimit => _dropped;

    /// <summary>Every kind that occurred, with its full count, in catalogue order.</summary>
    public IEnumerable<(EventInfo Info, long Count)> Counts()
    {
        foreach (EventInfo info in EventCatalog.All)
        {
            long count = _counts[(int)info.Kind];
            if (count > 0)
            {
                yield return (info, count);
            }
        }
    }

    /// <summary>Counts <paramref name="e"/> and keeps it as a row if its policy and the limit allow.</summary>
    public void Report(in AnalysisEvent e)
    {
        long n = ++_counts[(int)e.Kind];
        Timeline.Add(e.Kind, e.TimestampNs > 0 ? e.TimestampNs : ClockNs);
        EventPolicy policy = EventCatalog.Get(e.Kind).Policy;
        bool keep = policy switch
        {
            EventPolicy.LogAll => true,
            EventPolicy.Sampled => n <= SampledFullRows || IsPowerOfTenFrom1000(n),
            _ => false,
        };
        if (!keep)
        {
            return;
        }
        if (_rows.Count >= _maxRows)
        {
            _dropped++;
            return;
        }
        _rows.Add(e);
    }

    /// <summary>
    /// True when the next occurrence of <paramref name="kind"/> would be kept as a row: callers build the row (and its
    /// detail string) only then, and call <see cref="CountOnly"/> otherwise, so sampled events cost no allocation.
    /// </summary>
    public bool WouldKeep(EventKind kind)
    {
        EventPolicy policy = EventCatalog.Get(kind).Policy;
        long next = _counts[(int)kind] + 1;
        return policy == EventPolicy.LogAll || (policy == EventPolicy.Sampled && (next <= SampledFullRows || IsPowerOfTenFrom1000(next)));
    }

    /// <summary>Counts an occurrence whose row would not be kept anyway.</summary>
    public void CountOnly(EventKind kind, long timeNs = 0)
    {
        _counts[(int)kind]++;
        Timeline.Add(kind, timeNs > 0 ? timeNs : ClockNs);
    }

    /// <summary>
    /// True when the caller should build the row of this occurrence of <paramref name="kind"/> and
    /// <see cref="Report"/> it; otherwise the occurrence has been counted already (the sampling path, with no
    /// string built).
    /// </summary>
    public bool BuildRow(EventKind kind, long timeNs = 0)
    {
        if (WouldKeep(kind))
        {
            return true;
        }
        CountOnly(kind, timeNs);
        return false;
    }

    private static bool IsPowerOfTenFrom1000(long n)
    {
        for (long p = 1000; p <= n && p > 0; p *= 10)
        {
            if (p == n)
            {
                return true;
            }
        }
        return false;
    }
}
