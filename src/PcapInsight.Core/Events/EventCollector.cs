using PcapInsight.Core.Collections;

namespace PcapInsight.Core.Events;

/// <summary>
/// The single gate every event passes through: it counts each kind in full, then applies the kind's
/// <see cref="EventPolicy"/> and the global row limit to decide which rows are kept (Zeek's <c>Reporter::Weird</c>).
/// </summary>
/// <remarks>
/// Which rows are kept depends only on the rows themselves, never on the order they were reported in: rows are
/// ranked by <see cref="EventOrder"/> (time, then flow, then the flow's own order), a sampled kind keeps its first
/// <see cref="SampledFullRows"/> by that rank plus the first of each <see cref="EventTimeline"/> interval, and the
/// row limit keeps the first rows by rank. That is what lets the analysis run in shards (<c>--threads</c>): each shard
/// keeps the candidates it could contribute, and <see cref="Merge"/> picks the same rows a single collector would have.
/// </remarks>
public sealed class EventCollector
{
    /// <summary>Rows of a <see cref="EventPolicy.Sampled"/> kind kept in full (the earliest) before it is sampled per interval.</summary>
    public const int SampledFullRows = 100;

    private static readonly int KindCount = Enum.GetValues<EventKind>().Length;

    private readonly long[] _counts = new long[KindCount];
    private readonly SampledRows?[] _sampled = new SampledRows?[KindCount];
    private readonly SegmentedList<EventOrder.Entry> _logAll = new();   // segments: no large arrays as it grows (SegmentedList says why)
    private readonly int _maxRows;
    private long _seq;
    private KeptRows? _rows;   // the kept rows, made on demand; null after a change
    private long _dropped;
    // Once the log holds the limit's worth of rows: the last by rank of those (after a trim, the last row kept). A
    // logged row ranked after it can never be among the first _maxRows by rank, so it is counted and dropped at once,
    // and not even built (WouldKeep). Rows come mostly in rank order: a capture of millions of logged events (a SYN
    // scan's two million resets) held twice the limit's rows (224 MB of candidates) and sorted them through as much
    // again; now it holds the limit's.
    private EventOrder.Entry? _logCutoff;
    // In a sharded analysis: the limit as all the shards' collectors see it, this one's part in it, and what this one
    // last said there (logged rows of kinds not reported once, the latest date of a logged row).
    private SharedRowLimit? _shared;
    private int _sharedPart;
    private long _sharedRows, _sharedLatestNs = long.MinValue;
    private bool _loggedOnceKind;
    private int _shareEvery;

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
            c._logAll.Add(new EventOrder.Entry(e, ++c._seq, e.TimestampNs > 0 ? e.TimestampNs : originNs));   // every row kept, whatever its kind's policy
        }
        return c;
    }

    /// <summary>Creates a collector that keeps at most <paramref name="maxRows"/> rows.</summary>
    public EventCollector(int maxRows) => _maxRows = maxRows;

    /// <summary>Makes this collector part <paramref name="part"/> of a sharded analysis' <paramref name="limit"/>: it says there what it holds, and drops what all hold past the limit.</summary>
    internal void ShareLimit(SharedRowLimit limit, int part)
    {
        (_shared, _sharedPart) = (limit, part);
        _shareEvery = Math.Clamp(_maxRows / 8, 1, 1024);   // often enough that a small limit is reached in steps
    }

    private bool PastSharedCutoff(long timeNs) => _shared is { } shared && timeNs > 0 && timeNs > shared.CutoffNs;

    /// <summary>Every event counted by kind and time (bounded bins; nothing dropped).</summary>
    public EventTimeline Timeline { get; } = new();

    /// <summary>
    /// A shard's collector: events one analyzer reports once (<see cref="KeepOnce"/>'s kinds: a full flow table) are
    /// left out of its timeline, since only the merge knows which shard's was first. Counted there, each shard's
    /// would add a dot one analyzer does not draw, and a late one could even widen the timeline's intervals.
    /// </summary>
    internal bool LeavesOnceKindsOutOfTimeline { get; init; }

    // The time of the first once-reported event (a shard reports it at most once): the merge places the earliest
    // shard's in the timeline, whether or not its row survived the row limit.
    private long _onceKindNs = long.MaxValue;

    /// <summary>
    /// Capture time of the frame being analysed: the time of occurrences counted without a row (<see cref="CountOnly"/>).
    /// </summary>
    internal long ClockNs { get; set; }

    /// <summary>
    /// The kept rows in <see cref="EventOrder"/> (time order, ties by flow and then as each flow reported them), read
    /// where the collector holds them: valid until it changes (a later <see cref="Report"/>), after which reading them
    /// throws <see cref="InvalidOperationException"/> and this gives the rows anew. Any number of threads may read them.
    /// </summary>
    public IReadOnlyList<AnalysisEvent> Rows => _rows ??= Select(out _dropped);

    /// <summary>Occurrences of <paramref name="kind"/>, before any limiting.</summary>
    public long Count(EventKind kind) => _counts[(int)kind];

    /// <summary>Rows that their kind's policy keeps but the global limit does not.</summary>
    public long RowsOverLimit
    {
        get
        {
            _ = Rows;
            return _dropped;
        }
    }

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

    /// <summary>Counts <paramref name="e"/> and keeps it as a row candidate if its policy and the limit allow.</summary>
    public void Report(in AnalysisEvent e)
    {
        _counts[(int)e.Kind]++;
        long timelineNs = e.TimestampNs > 0 ? e.TimestampNs : ClockNs;
        if (LeavesOnceKindsOutOfTimeline && IsOnceKind(e.Kind))
        {
            _onceKindNs = Math.Min(_onceKindNs, timelineNs);
        }
        else
        {
            AddToTimeline(e.Kind, timelineNs);
        }
        EventPolicy policy = EventCatalog.Get(e.Kind).Policy;
        if (policy == EventPolicy.CountOnly)
        {
            return;
        }
        _rows = null;
        var entry = new EventOrder.Entry(e, ++_seq, timelineNs);
        if (policy == EventPolicy.LogAll)
        {
            if (_maxRows == 0 || _logCutoff is { } cutoff && EventOrder.CompareIn(entry, cutoff) > 0 || PastSharedCutoff(e.TimestampNs))
            {
                return;   // counted above; past the limit whatever comes later
            }
            _logAll.Add(entry);
            if (_shared is not null)
            {
                Share(e);
            }
            if (_logCutoff is null && _logAll.Count == _maxRows)
            {
                _logCutoff = LastByRank(_logAll);
            }
            else if (_logAll.Count >= 2 * _maxRows)
            {
                // Rows ranked before the cutoff came late (out of order): only the first by rank can survive the
                // limit, so the rest go now, and the cutoff moves to the last kept.
                _logAll.Sort(new EventOrder.Rank());
                _logAll.Truncate(_maxRows);
                _logCutoff = _logAll[_maxRows - 1];
            }
            return;
        }
        SampledRows s = _sampled[(int)e.Kind] ??= new SampledRows();
        s.Offer(entry, Bin(timelineNs));
    }

    /// <summary>Says in the shared limit, every few logged rows (an eighth of the limit, at most 1,024), how many this collector holds and how late.</summary>
    private void Share(in AnalysisEvent e)
    {
        _sharedLatestNs = Math.Max(_sharedLatestNs, e.TimestampNs);
        if (IsOnceKind(e.Kind))
        {
            _loggedOnceKind = true;   // the merge keeps one of the shards' rows of it: not counted as held
        }
        else
        {
            _sharedRows++;
        }
        if (_sharedRows % _shareEvery == 0)
        {
            // A trim keeps the first _maxRows rows by rank, all dated at or before the latest: of them, all but the one
            // row of a once-reported kind count.
            _shared!.Publish(_sharedPart, Math.Max(0, Math.Min(_sharedRows, _maxRows) - (_loggedOnceKind ? 1 : 0)), _sharedLatestNs);
        }
    }

    /// <summary>
    /// True when an occurrence of <paramref name="kind"/> at <paramref name="timeNs"/> (the row's timestamp) might be
    /// kept as a row: callers build the row (and its detail string) only then, and call <see cref="CountOnly"/>
    /// otherwise, so sampled events cost no allocation.
    /// </summary>
    public bool WouldKeep(EventKind kind, long timeNs)
    {
        EventPolicy policy = EventCatalog.Get(kind).Policy;
        if (policy != EventPolicy.Sampled)
        {
            // A row dated after the cutoff's time ranks after it: past the limit (ties of time are left to Report).
            return policy == EventPolicy.LogAll && !(timeNs > 0 && _logCutoff is { } cutoff && timeNs > cutoff.Event.TimestampNs)
                && !PastSharedCutoff(timeNs);
        }
        if (_sampled[(int)kind] is not { } s)
        {
            return true;
        }
        long offset = Math.Max(0, (timeNs > 0 ? timeNs : ClockNs) - Timeline.OriginNs);
        // Past the timeline's last interval it will widen for this one, which may then open an interval of its own.
        return offset / Timeline.WidthNs >= EventTimeline.Bins || s.MightKeep(timeNs, (int)(offset / Timeline.WidthNs));
    }

    /// <summary>Counts an occurrence whose row would not be kept anyway.</summary>
    public void CountOnly(EventKind kind, long timeNs = 0)
    {
        _counts[(int)kind]++;
        AddToTimeline(kind, timeNs > 0 ? timeNs : ClockNs);
    }

    /// <summary>
    /// True when the caller should build the row of this occurrence of <paramref name="kind"/> at
    /// <paramref name="timeNs"/> (the row's timestamp, 0 for the clock) and <see cref="Report"/> it; otherwise the
    /// occurrence has been counted already (the sampling path, with no string built).
    /// </summary>
    public bool BuildRow(EventKind kind, long timeNs)
    {
        if (WouldKeep(kind, timeNs))
        {
            return true;
        }
        CountOnly(kind, timeNs);
        return false;
    }

    /// <summary>
    /// One collector from the shards of a sharded analysis: counts and timelines added, and of the row candidates the
    /// rows a single collector would have kept. <paramref name="globalFlowId"/> maps a shard's flow id to the report's.
    /// </summary>
    public static EventCollector Merge(IReadOnlyList<EventCollector> parts, int maxRows, Func<int, int, int> globalFlowId,
        Func<AnalysisEvent, Func<int, int>, AnalysisEvent>? remapDetail = null)
    {
        var merged = new EventCollector(maxRows);
        foreach (EventCollector part in parts)
        {
            merged.Timeline.MergeFrom(part.Timeline);
        }
        var maps = new Func<int, int>[parts.Count];
        for (int i = 0; i < parts.Count; i++)
        {
            EventCollector part = parts[i];
            int shard = i;
            Func<int, int> map = maps[i] = id => id == 0 ? 0 : globalFlowId(shard, id);
            for (int k = 0; k < KindCount; k++)
            {
                merged._counts[k] += part._counts[k];
            }
            merged._onceKindNs = Math.Min(merged._onceKindNs, part._onceKindNs);
            foreach (SampledRows? sampled in part._sampled)
            {
                foreach (EventOrder.Entry entry in sampled?.All() ?? [])
                {
                    merged.AddMoved(Moved(entry, shard, map, remapDetail));
                }
            }
        }

        // The logged rows, taken from the parts in rank order: each part's log is about in rank order, so the merged
        // log is too, and its selection finds few rows out of order. Appended part after part, half of a two-shard
        // run's rows were out of order (the second shard's, dated among the first's): a second copy of them, sorted.
        var next = new int[parts.Count];
        var heads = new EventOrder.Entry[parts.Count];
        var has = new bool[parts.Count];
        for (int i = 0; i < parts.Count; i++)
        {
            has[i] = TryTakeLogged(parts[i], i, ref next[i], maps[i], remapDetail, out heads[i]);
        }
        while (true)
        {
            int first = -1;
            for (int i = 0; i < parts.Count; i++)
            {
                if (has[i] && (first < 0 || EventOrder.CompareIn(heads[i], heads[first]) < 0))
                {
                    first = i;
                }
            }
            if (first < 0)
            {
                break;
            }
            merged.AddMoved(heads[first]);
            has[first] = TryTakeLogged(parts[first], first, ref next[first], maps[first], remapDetail, out heads[first]);
        }
        return merged;
    }

    private static bool TryTakeLogged(EventCollector part, int shard, ref int next, Func<int, int> map,
        Func<AnalysisEvent, Func<int, int>, AnalysisEvent>? remapDetail, out EventOrder.Entry moved)
    {
        if (next >= part._logAll.Count)
        {
            moved = default;
            return false;
        }
        moved = Moved(part._logAll[next++], shard, map, remapDetail);
        return true;
    }

    /// <summary>A part's row with the report's flow ids, as the merged collector holds it.</summary>
    private static EventOrder.Entry Moved(in EventOrder.Entry entry, int shard, Func<int, int> map,
        Func<AnalysisEvent, Func<int, int>, AnalysisEvent>? remapDetail)
    {
        AnalysisEvent e = entry.Event with { FlowId = map(entry.Event.FlowId) };
        if (remapDetail is not null)
        {
            e = remapDetail(e, map);
        }
        // Sequence numbers order one flow's rows; a flow lives in one shard, so they stay comparable. The shard in the
        // high bits keeps them unique.
        return new EventOrder.Entry(e, ((long)shard << 40) | entry.Seq, entry.TimelineNs);
    }

    private void AddMoved(in EventOrder.Entry moved)
    {
        if (EventCatalog.Get(moved.Event.Kind).Policy == EventPolicy.LogAll)
        {
            _logAll.Add(moved);
        }
        else
        {
            SampledRows sampled = _sampled[(int)moved.Event.Kind] ??= new SampledRows();
            sampled.Offer(moved, Bin(moved.TimelineNs));
        }
    }

    /// <summary>
    /// Leaves one occurrence of <paramref name="kind"/> (a LogAll kind reported once per analyzer, such as a full
    /// flow table) in a merged collector: the earliest row, counted once and placed in the timeline, which the shards
    /// left it out of (<see cref="LeavesOnceKindsOutOfTimeline"/>).
    /// </summary>
    internal void KeepOnce(EventKind kind)
    {
        if (!IsOnceKind(kind))
        {
            throw new ArgumentException($"{kind} is not reported once per analyzer", nameof(kind));
        }
        if (_counts[(int)kind] == 0)
        {
            return;
        }
        _counts[(int)kind] = 1;
        EventOrder.Entry? first = null;
        foreach (EventOrder.Entry e in _logAll)
        {
            if (e.Event.Kind == kind && (first is not { } f || EventOrder.CompareIn(e, f) < 0))
            {
                first = e;
            }
        }
        if (first is { } kept)
        {
            _logAll.RemoveWhere(e => e.Event.Kind == kind && e.Seq != kept.Seq);
            _logCutoff = null;   // fewer rows than when it was set: a later row might be kept again
        }
        _rows = null;
        if (_onceKindNs != long.MaxValue)
        {
            AddToTimeline(kind, _onceKindNs);
        }
    }

    private static EventOrder.Entry LastByRank(SegmentedList<EventOrder.Entry> log)
    {
        EventOrder.Entry last = log[0];
        for (int i = 1; i < log.Count; i++)
        {
            EventOrder.Entry e = log[i];
            if (EventOrder.CompareIn(e, last) >= 0)
            {
                last = e;
            }
        }
        return last;
    }

    /// <summary>Logged rows held as candidates (at most twice the limit; about the limit when rows come in rank order).</summary>
    internal int LoggedCandidates => _logAll.Count;

    /// <summary>Logged rows ranked before a row held ahead of them: those the selection sorts aside (a test of the merge's order).</summary>
    internal int LoggedOutOfRank()
    {
        int outOfRank = 0;
        for (int i = 0, last = -1; i < _logAll.Count; i++)
        {
            outOfRank += TakeInRank(i, ref last) ? 0 : 1;
        }
        return outOfRank;
    }

    /// <summary>
    /// Whether logged row <paramref name="i"/> is in rank: not ranked before the last row taken in rank
    /// (<paramref name="last"/>, -1 before the first; moved to <paramref name="i"/> when it is). Walked from the start,
    /// the rows the selection takes where they are; the others it sorts aside.
    /// </summary>
    private bool TakeInRank(int i, ref int last)
    {
        if (last >= 0 && EventOrder.CompareIn(_logAll[i], _logAll[last]) < 0)
        {
            return false;
        }
        last = i;
        return true;
    }

    /// <summary>The place of the next logged row in rank from <paramref name="from"/> on (<see cref="TakeInRank"/>), or the log's count.</summary>
    private int NextInRank(int from, ref int last)
    {
        while (from < _logAll.Count && !TakeInRank(from, ref last))
        {
            from++;
        }
        return from;
    }

    /// <summary>The kinds one analyzer reports at most once, which a merge keeps once (<see cref="KeepOnce"/>).</summary>
    internal static bool IsOnceKind(EventKind kind) => kind == EventKind.CaptureFlowTableFull;

    /// <summary>The events of the rows this collector offers to <see cref="Merge"/> (a shard's: the merge renumbers their flows).</summary>
    internal IEnumerable<AnalysisEvent> CandidateEvents() => Candidates().Select(e => e.Event);

    /// <summary>The rows a shard offers to <see cref="Merge"/>: every candidate it still holds.</summary>
    private IEnumerable<EventOrder.Entry> Candidates()
    {
        foreach (EventOrder.Entry e in _logAll)
        {
            yield return e;
        }
        foreach (SampledRows? s in _sampled)
        {
            if (s is null)
            {
                continue;
            }
            foreach (EventOrder.Entry e in s.All())
            {
                yield return e;
            }
        }
    }

    private KeptRows Select(out long dropped)
    {
        long policyRows = 0;
        for (int k = 0; k < KindCount; k++)
        {
            if (EventCatalog.Get((EventKind)k).Policy == EventPolicy.LogAll)
            {
                policyRows += _counts[k];
            }
        }
        var sampled = new ValueList<EventOrder.Entry>();
        foreach (SampledRows? s in _sampled)
        {
            if (s is null)
            {
                continue;
            }
            int before = sampled.Count;
            s.Kept(sampled);
            policyRows += sampled.Count - before;
        }
        // The logged rows come mostly in rank order (reported as the capture is read; an episode's row is dated when
        // it began). Those that keep the order stay where they are, and the rows that break it and the sampled rows are
        // sorted by their places alone, then merged with them: no copy of the rows and no sort of them (617,000 rows
        // with 2,966 out of order: 0.45 s and two 66 MB arrays sorted whole). Not their copies either: a capture whose
        // files go back in time (mixed.pcapng, the corpus after itself) has a hundred thousand rows out of order, whose
        // copies (112 bytes each) grew a list and its sort's buffer by 41 MB of large arrays. Ties are identical events
        // or one flow's rows told apart by their sequence number, so any order of ties gives the same rows.
        var aside = new ValueList<int>();   // a logged row's place, or ~i for sampled row i
        for (int i = 0; i < sampled.Count; i++)
        {
            aside.Add(~i);
        }
        int inRank = 0;
        for (int i = 0, last = -1; i < _logAll.Count; i++)
        {
            if (TakeInRank(i, ref last))
            {
                inRank++;
            }
            else
            {
                aside.Add(i);
            }
        }
        aside.Sort(new RankOfPlace(_logAll, sampled));
        int count = (int)Math.Min(_maxRows, (long)inRank + aside.Count);
        dropped = Math.Max(0, policyRows - count);
        // The rows are where they are, in the log or among the sampled, listed by place: not copied (a million rows,
        // 96 bytes each, would be a second copy of the log for every analysis to hold and the collector to scan).
        var places = new SegmentedList<int>();
        int lastInRank = -1;
        for (int a = NextInRank(0, ref lastInRank), b = 0; places.Count < count;)
        {
            // The logged row first on a tie.
            if (b >= aside.Count || (a < _logAll.Count && EventOrder.CompareIn(At(aside[b], _logAll, sampled), _logAll[a]) >= 0))
            {
                places.Add(a);
                a = NextInRank(a + 1, ref lastInRank);
            }
            else
            {
                places.Add(aside[b++]);
            }
        }
        return new KeptRows(this, places, sampled);
    }

    /// <summary>The row at <paramref name="place"/>: a logged row's place, or ~i for sampled row i.</summary>
    private static ref readonly EventOrder.Entry At(int place, SegmentedList<EventOrder.Entry> log, ValueList<EventOrder.Entry> sampled) =>
        ref place >= 0 ? ref log[place] : ref sampled[~place];

    /// <summary>Places (<see cref="At"/>) in the rank order of their rows.</summary>
    private readonly struct RankOfPlace(SegmentedList<EventOrder.Entry> log, ValueList<EventOrder.Entry> sampled) : IOrder<int>
    {
        public bool Before(in int a, in int b) => EventOrder.CompareIn(At(a, log, sampled), At(b, log, sampled)) < 0;
    }

    /// <summary>
    /// The kept rows in rank order, read from where the collector holds them: a place at or above zero is in the log
    /// (in rank or not), a place below zero (its complement) among the sampled rows. Valid until the collector changes
    /// (a later <see cref="Report"/>); read after that, it throws rather than give other rows.
    /// </summary>
    private sealed class KeptRows(EventCollector owner, SegmentedList<int> places, ValueList<EventOrder.Entry> sampled)
        : IReadOnlyList<AnalysisEvent>
    {
        public int Count => Current().Count;

        public AnalysisEvent this[int index]
        {
            get
            {
                int place = Current()[index];
                return At(place, owner._logAll, sampled).Event;
            }
        }

        private SegmentedList<int> Current() => ReferenceEquals(owner._rows, this)
            ? places
            : throw new InvalidOperationException("The event collector changed after its rows were taken: take them again.");

        public IEnumerator<AnalysisEvent> GetEnumerator()
        {
            for (int i = 0; i < Count; i++)
            {
                yield return this[i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private void AddToTimeline(EventKind kind, long timeNs)
    {
        long width = Timeline.WidthNs;
        Timeline.Add(kind, timeNs);
        if (Timeline.WidthNs != width)
        {
            int shift = System.Numerics.BitOperations.Log2((ulong)(Timeline.WidthNs / width));
            foreach (SampledRows? s in _sampled)
            {
                s?.Fold(shift);
            }
        }
    }

    private int Bin(long timeNs)
    {
        long offset = Math.Max(0, timeNs - Timeline.OriginNs);
        return (int)Math.Min(EventTimeline.Bins - 1, offset / Timeline.WidthNs);
    }

    /// <summary>
    /// A sampled kind's candidates: the earliest rows by rank (at most twice <see cref="SampledFullRows"/> between
    /// trims), and the earliest row of each timeline interval.
    /// </summary>
    private sealed class SampledRows
    {
        private readonly ValueList<EventOrder.Entry> _first = new();
        private readonly EventOrder.Entry?[] _bins = new EventOrder.Entry?[EventTimeline.Bins];
        private long _thresholdNs = long.MaxValue;   // the timestamp of the 100th row once trimmed: later ones cannot make the first 100

        public bool MightKeep(long timeNs, int bin) =>
            timeNs <= _thresholdNs || _bins[bin] is not { } b || timeNs <= b.Event.TimestampNs;

        public void Offer(EventOrder.Entry e, int bin)
        {
            if (e.Event.TimestampNs <= _thresholdNs)
            {
                _first.Add(e);
                if (_first.Count >= 2 * SampledFullRows)
                {
                    _first.Sort(new EventOrder.Rank());
                    _first.Truncate(SampledFullRows);
                    _thresholdNs = _first[_first.Count - 1].Event.TimestampNs;
                }
            }
            if (_bins[bin] is not { } held || EventOrder.CompareIn(e, held) < 0)
            {
                _bins[bin] = e;
            }
        }

        /// <summary>The timeline's intervals widened 2^<paramref name="shift"/> times: each keeps the earliest of those it joins.</summary>
        public void Fold(int shift)
        {
            for (int i = 0; i < _bins.Length; i++)
            {
                if (_bins[i] is not { } e)
                {
                    continue;
                }
                _bins[i] = null;
                int to = EventTimeline.FoldedBin(i, shift);
                if (_bins[to] is not { } held || EventOrder.CompareIn(e, held) < 0)
                {
                    _bins[to] = e;
                }
            }
        }

        /// <summary>Every candidate once (a row can be both among the first and its interval's first).</summary>
        public IEnumerable<EventOrder.Entry> All()
        {
            var seen = new HashSet<long>();
            foreach (EventOrder.Entry e in _first)
            {
                seen.Add(e.Seq);
                yield return e;
            }
            foreach (EventOrder.Entry? e in _bins)
            {
                if (e is { } b && seen.Add(b.Seq))
                {
                    yield return b;
                }
            }
        }

        /// <summary>Adds the kept rows to <paramref name="rows"/>: the first 100 by rank, and each interval's first not among them.</summary>
        public void Kept(ValueList<EventOrder.Entry> rows)
        {
            _first.Sort(new EventOrder.Rank());
            int n = Math.Min(SampledFullRows, _first.Count);
            var taken = new HashSet<long>();
            for (int i = 0; i < n; i++)
            {
                rows.Add(_first[i]);
                taken.Add(_first[i].Seq);
            }
            foreach (EventOrder.Entry? e in _bins)
            {
                if (e is { } b && taken.Add(b.Seq))
                {
                    rows.Add(b);
                }
            }
        }
    }
}
