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
        var jobs = new List<Func<IEnumerable<Chart>>> { () => CaptureCharts.Draw(result, options) };
        Dictionary<int, List<AnalysisEvent>> byFlow = EventsByFlow(result);
        foreach (Flow flow in ChooseFlows(result, byFlow, options.MaxChartedFlows))
        {
            if (FlowChartData.From(result, flow, byFlow.GetValueOrDefault(flow.Id) ?? []) is { } data)
            {
                jobs.Add(() => FlowCharts.Draw(data, options));
            }
        }
        // Rendering is most of the time a report takes beyond the analysis; each plot is independent, so they are
        // drawn on every core and put back in order.
        var drawn = new List<Chart>[jobs.Count];
        Parallel.For(0, jobs.Count, i => drawn[i] = jobs[i]().ToList());
        return drawn.SelectMany(c => c).ToList();
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
    public static IReadOnlyList<Flow> ChooseFlows(AnalysisResult result, int max) => ChooseFlows(result, EventsByFlow(result), max);

    /// <summary>The data of one flow's charts (null when it has no time series), for tests and tools.</summary>
    public static FlowChartData? DataOf(AnalysisResult result, Flow flow) =>
        FlowChartData.From(result, flow, EventsByFlow(result).GetValueOrDefault(flow.Id) ?? []);

    private static IReadOnlyList<Flow> ChooseFlows(AnalysisResult result, Dictionary<int, List<AnalysisEvent>> byFlow, int max)
    {
        var drawable = new List<Flow>(result.FlowsWithSeries());
        var warnings = new Dictionary<int, int>(drawable.Count);
        foreach (Flow f in drawable)
        {
            warnings[f.Id] = byFlow.TryGetValue(f.Id, out List<AnalysisEvent>? rows) ? WarningsIn(rows) : 0;
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
            if (e.FlowId != 0 && EventCatalog.Get(e.Kind).Severity >= Severity.Warning)
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
            n += EventCatalog.Get(e.Kind).Severity >= Severity.Warning ? 1 : 0;
        }
        return n;
    }

    private static Dictionary<int, List<AnalysisEvent>> EventsByFlow(AnalysisResult result)
    {
        var byFlow = new Dictionary<int, List<AnalysisEvent>>();
        foreach (AnalysisEvent e in result.Events.Rows)
        {
            if (e.FlowId != 0)
            {
                (byFlow.TryGetValue(e.FlowId, out var list) ? list : byFlow[e.FlowId] = new()).Add(e);
            }
        }
        return byFlow;
    }
}
