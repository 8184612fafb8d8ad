using System.Globalization;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Flows;

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
    /// The UDP flows, by id: the listed ones and those released to the spool, each row from the flow's summary (a
    /// released flow's row is the row it had while listed, sequence figures included).
    /// </summary>
    public static IEnumerable<UdpRow> All(AnalysisResult result)
    {
        // A row keeps nothing of its summary, so each summary goes back to be decoded into again at once.
        var reuse = new FlowSummaryPool();
        foreach (FlowSummary f in ReportRows.MergeById(result.Flows.Where(f => f.Protocol == 17).Select(reuse.Of), ReleasedUdp(result, reuse), f => f.Id))
        {
            UdpRow row = Of(f);
            reuse.Return(f);
            yield return row;
        }
    }

    private static IEnumerable<FlowSummary> ReleasedUdp(AnalysisResult result, FlowSummaryPool reuse)
    {
        if (!result.Spools.Any(s => s.MayHold(17)))
        {
            yield break;   // a spool of a million TCP flows is not read through for the UDP ones it does not have
        }
        foreach (FlowSummary f in result.ReadReleasedFlows(reuse))
        {
            if (f.Protocol == 17)
            {
                yield return f;
            }
            else
            {
                reuse.Return(f);
            }
        }
    }

    /// <summary>The row of one UDP flow's summary.</summary>
    public static UdpRow Of(FlowSummary f)
    {
        var streams = new List<(bool FromClient, UdpStreamSummary Stream)>(2);
        if (f.Udp?.C2S is { } c2s)
        {
            streams.Add((true, c2s));
        }
        if (f.Udp?.S2C is { } s2c)
        {
            streams.Add((false, s2c));
        }
        bool any = streams.Count > 0;
        var rtp = streams.Where(s => s.Stream.Rtp).ToList();
        double jitter = streams.Select(s => s.Stream.JitterMs).Where(j => !double.IsNaN(j)).DefaultIfEmpty(double.NaN).Max();
        return new UdpRow
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
            // Both directions' figures add up; the jitter is the worse direction's.
            SeqKind = any ? string.Join('+', streams.Select(s => s.Stream.Kind).Distinct()) : null,
            SeqLost = any ? streams.Sum(s => s.Stream.Lost) : null,
            SeqDuplicates = any ? streams.Sum(s => s.Stream.Duplicates) : null,
            SeqReordered = any ? streams.Sum(s => s.Stream.Reordered) : null,
            JitterMs = double.IsNaN(jitter) ? null : jitter.ToString("0.000", CultureInfo.InvariantCulture),
            SeqDirection = any ? streams.Count == 2 ? "both" : streams[0].FromClient ? "c2s" : "s2c" : null,
            Ssrc = rtp.Count > 0 ? string.Join(';', rtp.Select(s => "0x" + s.Stream.Ssrc.ToString("x8", CultureInfo.InvariantCulture))) : null,
            PayloadType = rtp.Count > 0 ? rtp[0].Stream.PayloadType : null,
        };
    }
}
