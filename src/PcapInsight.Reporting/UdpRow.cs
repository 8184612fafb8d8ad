using System.Globalization;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Flows;
using PcapInsight.Core.UdpAnalysis;

namespace PcapInsight.Reporting;

/// <summary>One row of udp.csv.</summary>
public sealed record UdpRow
{
    public int FlowId { get; init; }
    public string Src { get; init; } = "";
    public int SrcPort { get; init; }
    public string Dst { get; init; } = "";
    public int DstPort { get; init; }
    public long Datagrams { get; init; }
    public long Bytes { get; init; }
    public int MaxDatagram { get; init; }
    public long FragmentedDatagrams { get; init; }
    public long LostWithFragment { get; init; }
    public string? SeqKind { get; init; }
    public long? SeqLost { get; init; }
    public long? SeqDuplicates { get; init; }
    public long? SeqReordered { get; init; }
    public string? JitterMs { get; init; }
    public string? SeqDirection { get; init; }
    public string? Ssrc { get; init; }
    public int? PayloadType { get; init; }

    /// <summary>
    /// The UDP flows, by id: the listed ones and those released to the spool. A released flow's row has its counts
    /// and sizes; its sequence figures are kept only while it is listed (flows with sequence evidence are released last).
    /// </summary>
    public static IEnumerable<UdpRow> All(AnalysisResult result) =>
        ReportRows.MergeById(Listed(result), ReleasedUdp(result).Select(Counts), r => r.FlowId);

    // A spool of a million TCP flows is not read through for the UDP ones it does not have.
    private static IEnumerable<FlowSummary> ReleasedUdp(AnalysisResult result) =>
        result.Spools.Any(s => s.MayHold(17)) ? result.ReleasedFlows.Where(f => f.Protocol == 17) : [];

    /// <summary>The cells a flow's summary has: everything but the sequence figures.</summary>
    private static UdpRow Counts(FlowSummary f) => new()
    {
        FlowId = f.Id,
        Src = f.Client.ToString(),
        SrcPort = f.ClientPort,
        Dst = f.Server.ToString(),
        DstPort = f.ServerPort,
        Datagrams = f.PacketsC2S + f.PacketsS2C,
        Bytes = f.PayloadBytesC2S + f.PayloadBytesS2C,
        MaxDatagram = f.Udp?.MaxDatagram ?? 0,
        FragmentedDatagrams = f.Udp?.FragmentedDatagrams ?? 0,
        LostWithFragment = f.Udp?.LostWithFragment ?? 0,
    };

    private static IEnumerable<UdpRow> Listed(AnalysisResult result)
    {
        foreach (Flow f in result.Flows.Where(f => f.Protocol == 17))
        {
            var streams = f.Udp?.Streams().ToList() ?? [];
            bool any = streams.Count > 0;
            yield return Counts(FlowSummary.Of(f)) with
            {
                // Both directions' figures add up; the jitter is the worse direction's.
                SeqKind = any ? string.Join('+', streams.Select(s => s.Stream.SeqKind).Distinct()) : null,
                SeqLost = any ? streams.Sum(s => s.Stream.Sequence!.Lost) : null,
                SeqDuplicates = any ? streams.Sum(s => s.Stream.Sequence!.Duplicates) : null,
                SeqReordered = any ? streams.Sum(s => s.Stream.Sequence!.Reordered) : null,
                JitterMs = streams.Select(s => s.Stream.JitterMs).Where(j => j is not null).Max() is { } j ? j.ToString("0.000", CultureInfo.InvariantCulture) : null,
                SeqDirection = any ? streams.Count == 2 ? "both" : streams[0].FromClient ? "c2s" : "s2c" : null,
                Ssrc = streams.Any(s => s.Stream.SeqKind == "rtp")
                    ? string.Join(';', streams.Where(s => s.Stream.SeqKind == "rtp").Select(s => "0x" + s.Stream.Ssrc.ToString("x8", CultureInfo.InvariantCulture))) : null,
                PayloadType = streams.FirstOrDefault(s => s.Stream.SeqKind == "rtp").Stream?.PayloadType,
            };
        }
    }
}
