using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Flows;
using PcapInsight.Live;

namespace PcapInsight.Cli.Commands;

/// <summary>
/// <c>analyze --flow N</c> draws flow N, whether or not it had one of the time-series slots (<c>--series-flows</c>,
/// given first come as flows begin: on a capture of 200,000 connections, flow 150,000 had none). Without one, its
/// series is recorded by a second read of the capture (<see cref="FlowReplay"/>), which costs about what
/// <c>info</c> does; the tables keep the analysis' figures.
/// </summary>
internal static class SelectedFlowSeries
{
    /// <summary>
    /// <paramref name="selected"/> (narrowed to <c>--flow N</c>) with flow N's series recorded again when the report
    /// draws charts or writes tcp_series.csv and the analysis had none for it; otherwise <paramref name="selected"/>.
    /// Says on <paramref name="stderr"/> when the series cannot be had (standard input or a pipe cannot be read twice).
    /// </summary>
    internal static AnalysisResult AddIfMissing(AnalysisResult selected, AnalyzeSettings s, HashSet<string> formats, AnalysisOptions options,
        IReadOnlyList<string> paths, BpfFrameFilter? bpf, TextWriter stderr, CancellationToken cancellation)
    {
        bool drawn = formats.Contains("png") || formats.Contains("html");
        bool seriesFile = formats.Contains("csv") && s.SeriesFlows > 0;
        if (s.SelectFlow is not { } id || !(drawn || seriesFile) || Missing(selected, id) is not { } flow)
        {
            return selected;
        }
        if (paths.Any(p => p == "-" || new FileInfo(p) is not { Exists: true, Length: > 0 }))
        {
            stderr.WriteLine($"pcapinsight: flow {id} had no time-series slot (--series-flows), and a pipe cannot be read a second time to record it: no charts for it (analyse a saved file, or give --series-flows more slots)");
            return selected;
        }
        var sources = new List<IPacketSource>();
        try
        {
            for (int i = 0; i < paths.Count; i++)
            {
                sources.Add(FilterOption.Apply(CaptureFile.Open(paths[i], i, options.Reader), bpf));
            }
            using IPacketSource source = sources.Count == 1 ? sources[0] : new MergedPacketSource(sources);
            Flow? replayed = FlowReplay.Record(source, sources.Select(x => x.Stats).ToList(), flow, options, cancellation);
            PhaseLog.Mark("selected flow read again");
            if (replayed is null)
            {
                stderr.WriteLine($"pcapinsight: flow {id} had no time-series slot (--series-flows), and a second read of the capture did not find its first frame: no charts for it");
                return selected;
            }
            return selected.WithReplayed(replayed);
        }
        catch (Exception ex) when (ex is CaptureFormatException or IOException or UnauthorizedAccessException)
        {
            foreach (IPacketSource opened in sources)
            {
                opened.Dispose();
            }
            stderr.WriteLine($"pcapinsight: flow {id} had no time-series slot (--series-flows), and the capture could not be read a second time ({ex.Message}): no charts for it");
            return selected;
        }
    }

    /// <summary>Flow <paramref name="id"/>'s summary when it is a TCP flow of the selection without a series; else null.</summary>
    private static FlowSummary? Missing(AnalysisResult selected, int id)
    {
        foreach (Flow f in selected.Flows)
        {
            if (f.Id == id)
            {
                return f.Protocol == 6 && f.Tcp?.Series is null ? FlowSummary.Of(f) : null;
            }
        }
        // Released past --max-listed-flows: only its summary is left, in the spool.
        return selected.ReadReleasedFlows(new FlowSummaryPool()).FirstOrDefault(f => f.Id == id && f.Protocol == 6);
    }
}
