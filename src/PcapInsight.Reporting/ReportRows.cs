using PcapInsight.Core.Analysis;
using PcapInsight.Core.Events;
using PcapInsight.Core.Flows;

namespace PcapInsight.Reporting;

/// <summary>Turns analysis objects into formatted report rows (one place for every column's formatting).</summary>
public static class ReportRows
{
    /// <summary>The flows.csv rows, ordered by flow id: the listed flows and those released to the spool, merged.</summary>
    public static IEnumerable<FlowRow> Flows(AnalysisResult result) =>
        Flows(result, MergeById(result.Flows.Select(FlowSummary.Of), result.ReleasedFlows, f => f.Id));

    /// <summary>
    /// As <see cref="Flows(AnalysisResult)"/>, every row's summary one of <paramref name="reuse"/>: the caller gives each
    /// back once its row is written.
    /// </summary>
    public static IEnumerable<FlowRow> Flows(AnalysisResult result, FlowSummaryPool reuse) =>
        Flows(result, MergeById(result.Flows.Select(reuse.Of), result.ReadReleasedFlows(reuse), f => f.Id));

    /// <summary>The flows.csv rows of <paramref name="flows"/>, in their order.</summary>
    public static IEnumerable<FlowRow> Flows(AnalysisResult result, IEnumerable<FlowSummary> flows) => Rows(flows, result.TimestampDigits, FileNames(result));

    /// <summary>Each input file's name, one string a file (the CSV writer escapes each once), in file index order.</summary>
    internal static string[] FileNames(AnalysisResult result) => result.Files.Select(f => Path.GetFileName(f.Path)).ToArray();

    // An iterator of ours, not LINQ's Select: a Select to a row (a struct) is framework code over our type, compiled at
    // run time every run.
    private static IEnumerable<FlowRow> Rows(IEnumerable<FlowSummary> flows, int digits, string[] files)
    {
        foreach (FlowSummary f in flows)
        {
            yield return new FlowRow(f, digits, (uint)f.FirstFileIndex < (uint)files.Length ? files[f.FirstFileIndex] : "");
        }
    }

    /// <summary>Two sequences, each in flow id order, as one in id order (the listed flows and the spooled ones).</summary>
    internal static IEnumerable<T> MergeById<T>(IEnumerable<T> a, IEnumerable<T> b, Func<T, int> id)
    {
        using IEnumerator<T> x = a.GetEnumerator();
        using IEnumerator<T> y = b.GetEnumerator();
        bool hasX = x.MoveNext(), hasY = y.MoveNext();
        while (hasX || hasY)
        {
            if (hasX && (!hasY || id(x.Current) < id(y.Current)))
            {
                yield return x.Current;
                hasX = x.MoveNext();
            }
            else
            {
                yield return y.Current;
                hasY = y.MoveNext();
            }
        }
    }

    /// <summary>The events.csv rows, in time order.</summary>
    public static IEnumerable<EventRow> Events(AnalysisResult result) =>
        // In time order: an episode's row (a zero window) is written when it ends but is dated when it began.
        Events(result, ReportOrder.InTimeOrder(result.Events.Rows));

    /// <summary>The events.csv rows of <paramref name="events"/> (some of <paramref name="result"/>'s), in their order.</summary>
    public static IEnumerable<EventRow> Events(AnalysisResult result, IReadOnlyList<AnalysisEvent> events)
    {
        int digits = result.TimestampDigits;
        string[] files = FileNames(result);
        for (int i = 0; i < events.Count; i++)
        {
            AnalysisEvent e = events[i];
            EventInfo info = EventCatalog.Get(e.Kind);
            yield return new EventRow
            {
                TimestampNs = e.TimestampNs,
                TimestampDigits = digits,
                FlowId = e.FlowId == 0 ? null : e.FlowId,
                Event = info.Name,
                Severity = SeverityName(info.Severity),
                Frame = e.Frame == 0 ? null : e.Frame,
                SrcAddress = e.Src,
                SrcPort = e.Src.Version == 0 || e.SrcPort == 0 ? null : e.SrcPort,
                DstAddress = e.Dst,
                DstPort = e.Dst.Version == 0 || e.DstPort == 0 ? null : e.DstPort,
                DurationNs = e.DurationNs < 0 ? -1 : e.DurationNs,
                Detail = e.Detail,
                Advice = info.Advice,
                File = files.Length > e.FileIndex ? files[e.FileIndex] : "",
            };
        }
    }

    /// <summary>flows.csv's <c>close</c> word.</summary>
    public static string CloseName(FlowCloseReason reason) => reason switch
    {
        FlowCloseReason.Fin => "fin",
        FlowCloseReason.HalfClosed => "half_closed",
        FlowCloseReason.Reset => "rst",
        FlowCloseReason.Timeout => "timeout",
        FlowCloseReason.Evicted => "evicted",
        FlowCloseReason.Reused => "reused",
        _ => "open",
    };

    /// <summary><c>info</c>, <c>warning</c> or <c>error</c>.</summary>
    public static string SeverityName(Severity severity) => severity switch
    {
        Severity.Error => "error",
        Severity.Warning => "warning",
        _ => "info",
    };
}
