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
    public static readonly Comparison<Entry> Compare = (a, b) =>
    {
        AnalysisEvent x = a.Event, y = b.Event;
        int c = x.TimestampNs.CompareTo(y.TimestampNs);
        if (c != 0)
        {
            return c;
        }
        c = x.FlowId.CompareTo(y.FlowId);
        if (c != 0)
        {
            return c;
        }
        return x.FlowId != 0 ? a.Seq.CompareTo(b.Seq) : CompareContent(x, y);
    };

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
