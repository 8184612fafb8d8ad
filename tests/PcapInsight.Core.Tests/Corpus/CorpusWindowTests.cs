using PcapInsight.Core.Analysis;
using PcapInsight.Core.Events;
using PcapInsight.Core.Flows;
using PcapInsight.Core.TcpAnalysis;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Core.Tests.Corpus;

/// <summary>
/// Window analysis on every corpus file against tshark's per-packet figures (FACTS.tsv):
/// <list type="bullet">
/// <item>zero-window advertisements (tshark's <c>tcp.analysis.zero_window</c>): the same rule, counted per packet
/// (our events are one per episode; the per-packet count is kept on each direction);</item>
/// <item>zero-window probes: tshark knows only the one-byte form; the Linux form (no data, one below the next
/// byte) it calls a keep-alive, so ours less that form is compared;</item>
/// <item>window updates: the same rule;</item>
/// <item>window full: tshark flags a segment ending exactly at the window's right edge; we also flag one past it,
/// so ours may exceed tshark's, never fall short, except where the listed reasons say.</item>
/// </list>
/// </summary>
public class CorpusWindowTests
{

    /// <summary>file → (figure, ours, why).</summary>
    private static readonly Dictionary<string, (string What, long Ours, string Why)[]> Differences = new()
    {
        ["tcpdump__arcnet-rfc1201-arp-icmp-http.pcap"] = [("window_update", 0, "ARCNET frames are not decoded")],
    };

    private static long Sum(AnalysisResult r, Func<TcpDirection, long> figure) =>
        r.Flows.Where(f => f.Tcp is not null).Sum(f => figure(f.Tcp!.C2S) + figure(f.Tcp!.S2C));

    [CorpusTheory]
    [MemberData(nameof(CorpusManifest.FileNames), MemberType = typeof(CorpusManifest))]
    public void Analyze_CorpusFile_WindowFiguresMatchTshark(string file)
    {
        CorpusEntry entry = CorpusManifest.Get(file);
        if (entry.AnalyzeOrNull() is not { } r)
        {
            return; // refused as not a capture: the packet-count test holds the reason
        }
        long Theirs(string column) => entry.FactNumber(column) ?? 0;
        var figures = new (string What, long Ours, long Theirs)[]
        {
            ("zero_window", Sum(r, d => d.ZeroWindowAdverts), Theirs("zero_window")),
            ("zero_window_probe", Sum(r, d => d.ZeroWindowProbes - d.ZeroWindowProbesWithoutData), Theirs("zero_window_probe")),
            ("window_update", r.Events.Count(EventKind.TcpWindowUpdate), Theirs("window_update")),
        };
        foreach ((string what, long ours, long theirs) in figures)
        {
            CorpusDifferences.AssertFigure(Differences, file, what, ours, theirs);
        }
        long full = r.Events.Count(EventKind.TcpWindowFull);
        if (full < Theirs("window_full"))
        {
            CorpusDifferences.AssertFigure(Differences, file, "window_full", full, Theirs("window_full"));
        }
    }
}
