using PcapInsight.Charts;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Flows;
using PcapInsight.Live;

namespace PcapInsight.Cli.Commands;

/// <summary>
/// A narrowed report (<c>--flow N</c>, <c>--host</c>, <c>--port</c>, <c>--from</c>/<c>--to</c>) draws the flows it
/// would choose if every flow had a time series: the selection's TCP flows with the most warnings and errors, then the
/// largest (<c>--charts</c> of them), whether or not they had one of the series slots (<c>--series-flows</c>, given
/// first come as flows begin: on a capture of 200,000 connections, flow 150,000 had none). Those without are recorded
/// by a second read of the capture (<see cref="FlowReplay"/>), which costs at most what <c>info</c> does; the tables
/// keep the analysis' figures. A report of the whole capture does so for the flows with warnings or errors it would
/// draw (a stalled connection that began while every slot was held by others is the one to see); its plain flows are
/// drawn among those that had slots, so that a capture without trouble is never read twice.
/// </summary>
internal static class SelectedFlowSeries
{
    /// <summary>
    /// <paramref name="selected"/> with the series of the flows it draws recorded again where the analysis had none
    /// (or tcp_series.csv's row of <c>--flow N</c>); otherwise <paramref name="selected"/>. Says on
    /// <paramref name="stderr"/> when they cannot be had (standard input or a pipe cannot be read twice).
    /// </summary>
    internal static AnalysisResult AddIfMissing(AnalysisResult selected, AnalyzeSettings s, HashSet<string> formats, AnalysisOptions options,
        IReadOnlyList<string> paths, BpfFrameFilter? bpf, TextWriter stderr, CancellationToken cancellation)
    {
        int wanted = formats.Contains("png") || formats.Contains("html") ? s.Charts.MaxChartedFlows : 0;
        if (s.SelectFlow is not null && formats.Contains("csv") && s.SeriesFlows > 0)
        {
            wanted = Math.Max(wanted, 1);   // tcp_series.csv's rows of the flow asked for
        }
        List<FlowSummary> missing = wanted > 0 ? Missing(selected, wanted, onlyTroubled: selected.Selection is null) : [];
        if (missing.Count == 0)
        {
            return selected;
        }
        string which = missing.Count == 1 ? $"flow {missing[0].Id} had" : $"flows {Ids(missing.Select(f => f.Id).ToList())} had";
        if (paths.Any(p => p == "-" || new FileInfo(p) is not { Exists: true, Length: > 0 }))
        {
            stderr.WriteLine($"pcapinsight: {which} no time-series slot (--series-flows), and a pipe cannot be read a second time to record {(missing.Count == 1 ? "it" : "them")}: not drawn (analyse a saved file, or give --series-flows more slots)");
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
            IReadOnlyList<Flow> replayed = FlowReplay.Record(source, sources.Select(x => x.Stats).ToList(), missing, options, cancellation);
            PhaseLog.Mark("selected flows read again");
            var lost = missing.Where(m => !replayed.Any(r => r.Id == m.Id)).Select(m => m.Id).ToList();
            if (lost.Count > 0)
            {
                stderr.WriteLine($"pcapinsight: {(lost.Count == 1 ? "flow" : "flows")} {Ids(lost)} had no time-series slot (--series-flows), and a second read of the capture did not find {(lost.Count == 1 ? "its" : "their")} first frame: not drawn");
            }
            return selected.WithReplayed(replayed);
        }
        catch (Exception ex) when (ex is CaptureFormatException or IOException or UnauthorizedAccessException)
        {
            foreach (IPacketSource opened in sources)
            {
                opened.Dispose();
            }
            stderr.WriteLine($"pcapinsight: {which} no time-series slot (--series-flows), and the capture could not be read a second time ({ex.Message}): not drawn");
            return selected;
        }
    }

    /// <summary>Flow ids for a message: the first ten, and how many more (--charts may choose thousands).</summary>
    internal static string Ids(IReadOnlyList<int> ids) =>
        string.Join(", ", ids.Take(10)) + (ids.Count > 10 ? $" and {ids.Count - 10:N0} more" : "");

    /// <summary>
    /// The TCP flows of the selection the charts would choose (<see cref="ChartSet.ChartOrder"/>, at most
    /// <paramref name="wanted"/>) that have no series, in id order: listed ones without a slot, and released ones.
    /// With <paramref name="onlyTroubled"/>, among the flows with warnings or errors only (and the spool is read only
    /// when such a flow was released).
    /// </summary>
    private static List<FlowSummary> Missing(AnalysisResult selected, int wanted, bool onlyTroubled)
    {
        Dictionary<int, int> warnings = ChartSet.WarningsByFlow(selected);
        if (onlyTroubled && warnings.Count == 0)
        {
            return [];
        }
        var best = new List<((int Warnings, long Bytes, int Id) Rank, FlowSummary? Missing)>(wanted + 1);
        void Offer((int, long, int) rank, Func<FlowSummary>? missing)
        {
            if (best.Count == wanted && ChartSet.ChartOrder(rank, best[^1].Rank) >= 0)
            {
                return;
            }
            int lo = 0, hi = best.Count;   // the first place whose rank comes after this one (the list is in chart order)
            while (lo < hi)
            {
                int mid = (lo + hi) / 2;
                (lo, hi) = ChartSet.ChartOrder(rank, best[mid].Rank) < 0 ? (lo, mid) : (mid + 1, hi);
            }
            best.Insert(lo, (rank, missing?.Invoke()));
            if (best.Count > wanted)
            {
                best.RemoveAt(best.Count - 1);
            }
        }
        int troubledListed = 0;
        foreach (Flow f in selected.Flows)
        {
            int warned = warnings.GetValueOrDefault(f.Id);
            troubledListed += warned > 0 ? 1 : 0;
            if (f.Protocol == 6 && (warned > 0 || !onlyTroubled))
            {
                Offer((warned, f.BytesC2S + f.BytesS2C, f.Id), f.Tcp?.Series is null ? () => FlowSummary.Of(f) : null);
            }
        }
        if (onlyTroubled && troubledListed == warnings.Count)
        {
            return Chosen();   // no flow with trouble was released: the spool need not be read
        }
        // Released past --max-listed-flows: only their summaries are left, in the spool (read back into reused ones).
        var reuse = new FlowSummaryPool();
        foreach (FlowSummary f in selected.ReadReleasedFlows(reuse))
        {
            if (f.Protocol == 6 && (!onlyTroubled || warnings.ContainsKey(f.Id)))
            {
                Offer((warnings.GetValueOrDefault(f.Id), f.BytesC2S + f.BytesS2C, f.Id), f.Copy);
            }
            reuse.Return(f);
        }
        return Chosen();

        List<FlowSummary> Chosen() => best.Where(b => b.Missing is not null).Select(b => b.Missing!).OrderBy(f => f.Id).ToList();
    }
}
