using System.Globalization;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Flows;

namespace PcapInsight.Reporting;

/// <summary>
/// One row of udp.csv: the values of its cells, typed, as a view over the UDP flow's summary (nothing is copied or
/// formatted until a writer asks). Column order and text are <see cref="CsvColumns.Udp"/>'s; a null value is an
/// empty cell. Both directions' sequence figures add up; the jitter is the worse direction's.
/// </summary>
/// <remarks>
/// A view and not a record of strings, as <see cref="FlowRow"/>: a capture of a million UDP flows (a resolver's
/// queries) wrote udp.csv through CsvHelper from a row object, two address strings and more a flow (most of the 1.8 GB
/// the report phase allocated, and half of a 10 s run); its cells now go straight into the row's bytes (<see cref="Utf8CsvTable"/>).
/// </remarks>
public readonly record struct UdpRow(FlowSummary Flow)
{
    private UdpStreamSummary? C2S => Flow.Udp?.C2S;
    private UdpStreamSummary? S2C => Flow.Udp?.S2C;
    private bool AnySequence => C2S is not null || S2C is not null;

    public int FlowId => Flow.Id;
    public IpAddr Src => Flow.Client;
    public int SrcPort => Flow.ClientPort;
    public IpAddr Dst => Flow.Server;
    public int DstPort => Flow.ServerPort;
    public long Datagrams => Flow.PacketsC2S + Flow.PacketsS2C;
    public long Bytes => Flow.PayloadBytesC2S + Flow.PayloadBytesS2C;
    public int MaxDatagram => Flow.Udp?.MaxDatagram ?? 0;
    public long FragmentedDatagrams => Flow.Udp?.FragmentedDatagrams ?? 0;
    public long LostWithFragment => Flow.Udp?.LostWithFragment ?? 0;

    /// <summary><c>rtp</c> or <c>custom</c>, or both joined by <c>+</c> (client to server's first) when the directions differ.</summary>
    public string? SeqKind => (C2S, S2C) switch
    {
        ({ } c, { } s) when c.Rtp != s.Rtp => c.Kind + "+" + s.Kind,
        ({ } c, _) => c.Kind,
        (_, { } s) => s.Kind,
        _ => null,
    };

    public long? SeqLost => AnySequence ? (C2S?.Lost ?? 0) + (S2C?.Lost ?? 0) : null;
    public long? SeqDuplicates => AnySequence ? (C2S?.Duplicates ?? 0) + (S2C?.Duplicates ?? 0) : null;
    public long? SeqReordered => AnySequence ? (C2S?.Reordered ?? 0) + (S2C?.Reordered ?? 0) : null;

    /// <summary>The worse direction's RTP jitter, ms; null when neither direction has one.</summary>
    public double? JitterMs
    {
        get
        {
            double c = C2S?.JitterMs ?? double.NaN, s = S2C?.JitterMs ?? double.NaN;
            double worst = double.IsNaN(c) ? s : double.IsNaN(s) ? c : Math.Max(c, s);
            return double.IsNaN(worst) ? null : worst;
        }
    }

    /// <summary><c>both</c>, <c>c2s</c> or <c>s2c</c>: the directions whose sequence numbers were followed.</summary>
    public string? SeqDirection => (C2S, S2C) switch
    {
        ({ }, { }) => "both",
        ({ }, _) => "c2s",
        (_, { }) => "s2c",
        _ => null,
    };

    /// <summary>The RTP directions' SSRCs, <c>0x</c> and eight hex digits each, <c>;</c> between (client to server's first).</summary>
    public string? Ssrc => (C2S is { Rtp: true } c ? Hex(c.Ssrc) : null, S2C is { Rtp: true } s ? Hex(s.Ssrc) : null) switch
    {
        ({ } a, { } b) => a + ";" + b,
        ({ } a, _) => a,
        (_, { } b) => b,
        _ => null,
    };

    /// <summary>The first RTP direction's payload type (client to server's first).</summary>
    public int? PayloadType => C2S is { Rtp: true } c ? c.PayloadType : S2C is { Rtp: true } s ? s.PayloadType : null;

    /// <summary>The UDP flows, by id: the listed ones and those released to the spool (a released flow's row is the row it had while listed).</summary>
    /// <remarks>
    /// Each row's summary stays the caller's: the pool here only takes back the TCP summaries the spool's reading
    /// skips, which no row holds.
    /// </remarks>
    public static IEnumerable<UdpRow> All(AnalysisResult result) => All(result, new FlowSummaryPool());

    /// <summary>
    /// As <see cref="All(AnalysisResult)"/>, every row's summary one of <paramref name="reuse"/>: the caller gives each
    /// back once its row is written (as <see cref="ReportRows.Flows(AnalysisResult, FlowSummaryPool)"/>).
    /// </summary>
    public static IEnumerable<UdpRow> All(AnalysisResult result, FlowSummaryPool reuse) =>
        Rows(ReportRows.MergeById(result.Flows.Where(f => f.Protocol == 17).Select(reuse.Of), ReleasedUdp(result, reuse), f => f.Id));

    // An iterator of ours, not LINQ's Select: a Select to a row (a struct) is framework code over our type, compiled at
    // run time every run.
    private static IEnumerable<UdpRow> Rows(IEnumerable<FlowSummary> flows)
    {
        foreach (FlowSummary f in flows)
        {
            yield return new UdpRow(f);
        }
    }

    // A spool of a million TCP flows is not read through for the UDP ones it does not have.
    private static IEnumerable<FlowSummary> ReleasedUdp(AnalysisResult result, FlowSummaryPool reuse) =>
        result.Spools.Any(s => s.MayHold(17)) ? reuse.Keeping(result.ReadReleasedFlows(reuse), f => f.Protocol == 17) : [];

    private static string Hex(uint ssrc) => "0x" + ssrc.ToString("x8", CultureInfo.InvariantCulture);
}
