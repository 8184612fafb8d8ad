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
    /// here, on another core while the capture is analysed. Failures are left to the real drawing to report.
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
            int n = 0;
            if (byFlow.TryGetValue(f.Id, out List<AnalysisEvent>? rows))
            {
                foreach (AnalysisEvent e in rows)
                {
                    n += EventCatalog.Get(e.Kind).Severity >= Severity.Warning ? 1 : 0;
                }
            }
            warnings[f.Id] = n;
        }
        // Those with the most warnings or errors first, then the largest.
        ReportOrder.KeepFirst(drawable, (a, b) =>
            warnings[a.Id] != warnings[b.Id] ? warnings[b.Id].CompareTo(warnings[a.Id])
            : a.BytesC2S + a.BytesS2C != b.BytesC2S + b.BytesS2C ? (b.BytesC2S + b.BytesS2C).CompareTo(a.BytesC2S + a.BytesS2C)
            : a.Id.CompareTo(b.Id), max);
        ReportOrder.StableSort(drawable, static (a, b) => a.Id.CompareTo(b.Id));
        return drawable;
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
