namespace PcapInsight.Core.Events;

/// <summary>
/// The rank of events.csv rows, which decides both their order and which rows the sampling and the row limit keep:
/// by time; at one time, rows tied to no flow first (by their content), then by flow id, and one flow's rows in the
/// order that flow reported them. It never depends on how the flows' work interleaved, so a sharded analysis
/// (<c>--threads</c>) and a single-threaded one rank every row alike.
/// </summary>
public static class EventOrder
{
    /// <summary>A row candidate: the event, its collector's sequence number, and the time its timeline counted it at.</summary>
    public readonly record struct Entry(AnalysisEvent Event, long Seq, long TimelineNs);

    /// <summary>Compares two candidates by rank.</summary>
    public static readonly Comparison<Entry> Compare = static (a, b) => CompareIn(a, b);

    /// <summary>
    /// <see cref="Compare"/> by reference: ranking the log compares each of its rows (617,000 on a capture of many
    /// kinds), and a <see cref="Comparison{T}"/> copies two 112-byte entries into every call.
    /// </summary>
    internal static int CompareIn(in Entry a, in Entry b)
    {
        // Each field read through the readonly struct's property: inlined, not a copy of the event.
        int c = a.Event.TimestampNs.CompareTo(b.Event.TimestampNs);
        if (c != 0)
        {
            return c;
        }
        c = a.Event.FlowId.CompareTo(b.Event.FlowId);
        if (c != 0)
        {
            return c;
        }
        return a.Event.FlowId != 0 ? a.Seq.CompareTo(b.Seq) : CompareContent(a.Event, b.Event);
    }

    /// <summary>The rank as an order a sort is compiled with (<see cref="Collections.StableSort"/>), the comparison inlined.</summary>
    internal readonly struct Rank : Collections.IOrder<Entry>
    {
        public bool Before(in Entry a, in Entry b) => CompareIn(a, b) < 0;
    }

    private static int CompareContent(in AnalysisEvent x, in AnalysisEvent y)
    {
        int c = x.FileIndex.CompareTo(y.FileIndex);
        c = c != 0 ? c : x.Frame.CompareTo(y.Frame);
        c = c != 0 ? c : x.Kind.CompareTo(y.Kind);
        c = c != 0 ? c : x.Src.CompareTo(y.Src);
        c = c != 0 ? c : x.SrcPort.CompareTo(y.SrcPort);
        c = c != 0 ? c : x.Dst.CompareTo(y.Dst);
        c = c != 0 ? c : x.DstPort.CompareTo(y.DstPort);
        c = c != 0 ? c : x.DurationNs.CompareTo(y.DurationNs);
        c = c != 0 ? c : string.CompareOrdinal(x.Detail, y.Detail);
        return c;
    }
}
