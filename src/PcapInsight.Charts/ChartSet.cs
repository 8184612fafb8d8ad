using System.Runtime.InteropServices;
using PcapInsight.Reporting;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Events;
using PcapInsight.Core.Flows;

namespace PcapInsight.Charts;

/// <summary>Draws every chart of a report: the capture-wide ones, then four per chosen TCP flow.</summary>
public static class ChartSet
{
    /// <summary>All charts of <paramref name="result"/>, capture-wide first, then by flow id.</summary>
    public static IReadOnlyList<Chart> Draw(AnalysisResult result, ChartOptions options)
    {
        var jobs = new List<Func<Chart?>>(CaptureCharts.Jobs(result, options));
        var drawable = new List<Flow>(result.FlowsWithSeries());
        Dictionary<int, List<AnalysisEvent>> byFlow = EventsOf(result, drawable);
        foreach (Flow flow in ChooseFlows(drawable, byFlow, options.MaxChartedFlows))
        {
            List<AnalysisEvent> events = byFlow[flow.Id];
            jobs.AddRange(FlowCharts.Jobs(new Lazy<FlowChartData?>(() => FlowChartData.From(result, flow, events)), options));
        }
        // Rendering is most of the time a report takes beyond the analysis; each chart is independent, so they are
        // drawn on every core, one chart a job (one job a flow, or the capture's four in one, left a core idle
        // while another drew the longest), no more at once than there are cores, and put back in order.
        var drawn = new Chart?[jobs.Count];
        Parallel.For(0, jobs.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i => drawn[i] = jobs[i]());
        var charts = new List<Chart>(jobs.Count);
        foreach (Chart? chart in drawn)
        {
            if (chart is not null)
            {
                charts.Add(chart);
            }
        }
        return charts;
    }

    /// <summary>
    /// Null when the chart library's native part (SkiaSharp's libSkiaSharp.so) loads; else why not, in words for the
    /// user. Asked before a capture is analysed: the native program copied somewhere without the library beside it
    /// otherwise analysed the whole capture and then failed with an internal error and a stack trace.
    /// </summary>
    public static string? WhyChartsCannotBeDrawn()
    {
        // The search a chart's first native call makes: beside the program (the native build), the runtime's probing
        // paths (the JIT build's runtimes/ folder), then the system's library path.
        if (NativeLibrary.TryLoad("libSkiaSharp", typeof(SkiaSharp.SKObject).Assembly, null, out _))
        {
            return null;
        }
        return $"the chart library's native part, libSkiaSharp.so, is neither beside the program ({AppContext.BaseDirectory.TrimEnd('/')}) nor on the library path";
    }

    /// <summary>
    /// Draws one small chart of the kinds every report draws (lines, markers, a shaded span, a legend, PNG encoding)
    /// and throws it away: what the chart library does once per process (loading its code and fonts) then happens
    /// here, on another core while the capture is analysed (in the JIT build: the native build has the code compiled
    /// already, and analyze skips this there). Failures are left to the real drawing to report.
    /// </summary>
    public static void Warm()
    {
        try
        {
            ScottPlot.Plot plot = ChartStyle.NewPlot("warm-up", ChartStyle.TimeAxis, "bytes");
            ChartStyle.Line(plot, [(0, 0), (1, 2)], ChartStyle.DataColor, "data");
            ChartStyle.Dots(plot, [(0.5, 1)], ChartStyle.ResentColor, "resent");
            plot.Add.HorizontalSpan(0.2, 0.4, ChartStyle.ZeroWindowColor);
            _ = ChartStyle.Png(plot, new ChartOptions { Width = 320, Height = 200 });
        }
        catch (Exception)
        {
            // Nothing to report from a warm-up: the charts that matter are drawn, and fail, later.
        }
    }

    /// <summary>
    /// The TCP flows worth their own charts, at most <paramref name="max"/>, in id order: those with warnings or
    /// errors first (the most first), then the largest. Only flows whose time series was recorded can be drawn.
    /// </summary>
    public static IReadOnlyList<Flow> ChooseFlows(AnalysisResult result, int max)
    {
        var drawable = new List<Flow>(result.FlowsWithSeries());
        return ChooseFlows(drawable, EventsOf(result, drawable), max);
    }

    /// <summary>The data of one flow's charts (null when it has no time series), for tests and tools.</summary>
    public static FlowChartData? DataOf(AnalysisResult result, Flow flow) => FlowChartData.From(result, flow, EventsOf(result, [flow])[flow.Id]);

    // Keeps, of the drawable flows, those to draw (in id order).
    private static List<Flow> ChooseFlows(List<Flow> drawable, Dictionary<int, List<AnalysisEvent>> byFlow, int max)
    {
        var warnings = new Dictionary<int, int>(drawable.Count);
        foreach (Flow f in drawable)
        {
            warnings[f.Id] = WarningsIn(byFlow[f.Id]);
        }
        ReportOrder.KeepFirst(drawable, (a, b) =>
            ChartOrder((warnings[a.Id], a.BytesC2S + a.BytesS2C, a.Id), (warnings[b.Id], b.BytesC2S + b.BytesS2C, b.Id)), max);
        ReportOrder.StableSort(drawable, static (a, b) => a.Id.CompareTo(b.Id));
        return drawable;
    }

    /// <summary>
    /// The order in which flows are chosen for their own charts: those with the most warnings and errors first, then
    /// the largest (bytes both ways), then the lowest id.
    /// </summary>
    public static int ChartOrder((int Warnings, long Bytes, int Id) a, (int Warnings, long Bytes, int Id) b) =>
        a.Warnings != b.Warnings ? b.Warnings.CompareTo(a.Warnings)
        : a.Bytes != b.Bytes ? b.Bytes.CompareTo(a.Bytes)
        : a.Id.CompareTo(b.Id);

    /// <summary>Each flow's events of warning or error severity among the result's event rows, by flow id.</summary>
    public static Dictionary<int, int> WarningsByFlow(AnalysisResult result)
    {
        var warnings = new Dictionary<int, int>();
        foreach (AnalysisEvent e in result.Events.Rows)
        {
            if (e.FlowId != 0 && IsWarning(e))
            {
                warnings[e.FlowId] = warnings.GetValueOrDefault(e.FlowId) + 1;
            }
        }
        return warnings;
    }

    private static int WarningsIn(List<AnalysisEvent> rows)
    {
        int n = 0;
        foreach (AnalysisEvent e in rows)
        {
            n += IsWarning(e) ? 1 : 0;
        }
        return n;
    }

    // What counts towards a flow's warnings, for choosing the flows to chart here and for a selection's charts.
    private static bool IsWarning(AnalysisEvent e) => EventCatalog.Get(e.Kind).Severity >= Severity.Warning;

    /// <summary>
    /// The event rows of each of <paramref name="flows"/> (by flow id, in the rows' order; empty where it has none), in
    /// one pass over the rows with lists for those flows only: a capture of fragment floods or lossy streams has rows on
    /// hundreds of thousands of flows, and only the few with a time series can be drawn.
    /// </summary>
    private static Dictionary<int, List<AnalysisEvent>> EventsOf(AnalysisResult result, List<Flow> flows)
    {
        var byFlow = new Dictionary<int, List<AnalysisEvent>>(flows.Count);
        foreach (Flow f in flows)
        {
            byFlow.TryAdd(f.Id, []);
        }
        if (byFlow.Count == 0)
        {
            return byFlow;
        }
        foreach (AnalysisEvent e in result.Events.Rows)
        {
            if (e.FlowId != 0 && byFlow.TryGetValue(e.FlowId, out List<AnalysisEvent>? rows))
            {
                rows.Add(e);
            }
        }
        return byFlow;
    }
}
