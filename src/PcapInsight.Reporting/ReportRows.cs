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

    /// <summary>The flows.csv rows of <paramref name="flows"/> (some of <paramref name="result"/>'s), in their order.</summary>
    public static IEnumerable<FlowRow> Flows(AnalysisResult result, IEnumerable<Flow> flows) => Flows(result, flows.Select(FlowSummary.Of));

    /// <summary>The flows.csv rows of <paramref name="flows"/>, in their order.</summary>
    public static IEnumerable<FlowRow> Flows(AnalysisResult result, IEnumerable<FlowSummary> flows)
    {
        int digits = result.TimestampDigits;
        foreach (FlowSummary f in flows)
        {
            TcpSummary? tcp = f.Tcp;
            yield return new FlowRow
            {
                FlowId = f.Id,
                Proto = ProtocolNames.Name(f.Protocol),
                Client = f.Client.ToString(),
                ClientPort = f.ClientPort,
                Server = f.Server.ToString(),
                ServerPort = f.ServerPort,
                FirstTime = CaptureTime.ToIso(f.FirstTimeNs, digits),
                LastTime = CaptureTime.ToIso(f.LastTimeNs, digits),
                PacketsC2S = f.PacketsC2S,
                PacketsS2C = f.PacketsS2C,
                BytesC2S = f.BytesC2S,
                BytesS2C = f.BytesS2C,
                MssC2S = tcp is { SawSyn: true, MssC2S: > 0 } ? tcp.MssC2S : null,
                MssS2C = tcp is { SawSynAck: true, MssS2C: > 0 } ? tcp.MssS2C : null,
                WscaleC2S = tcp is { SawSyn: true, WindowScaleC2S: >= 0 } ? tcp.WindowScaleC2S : null,
                WscaleS2C = tcp is { SawSynAck: true, WindowScaleS2C: >= 0 } ? tcp.WindowScaleS2C : null,
                IrttMs = tcp is { InitialRttNs: >= 0 } ? CaptureTime.Milliseconds(tcp.InitialRttNs) : null,
                Retransmissions = tcp is null ? null : tcp.C2S.Retransmissions + tcp.S2C.Retransmissions,
                ZeroWindowEpisodes = tcp is null ? null : tcp.C2S.ZeroWindowEpisodes + tcp.S2C.ZeroWindowEpisodes,
                ZeroWindowMs = tcp is null ? null : CaptureTime.Milliseconds(tcp.C2S.ZeroWindowNs + tcp.S2C.ZeroWindowNs),
                NagleStalls = tcp is null ? null : tcp.C2S.NagleStalls + tcp.S2C.NagleStalls,
                NagleStallMs = tcp is null ? null : CaptureTime.Milliseconds(tcp.C2S.NagleStallNs + tcp.S2C.NagleStallNs),
                // Negotiated when both SYNs offered it; empty when the handshake was not captured.
                Sack = tcp is { SawSyn: true, SawSynAck: true } ? (tcp.SackPermittedC2S && tcp.SackPermittedS2C ? "1" : "0") : null,
                Timestamps = tcp is { SawSyn: true, SawSynAck: true } ? (tcp.TimestampsC2S && tcp.TimestampsS2C ? "1" : "0") : null,
                PmtuMessages = f.PmtuMessages,
                LowestPmtu = f.LowestPmtu > 0 ? f.LowestPmtu : null,
                MaxInFlightC2S = tcp?.C2S.MaxBytesInFlight,
                MaxInFlightS2C = tcp?.S2C.MaxBytesInFlight,
                WindowFullC2S = tcp?.C2S.WindowFull,
                WindowFullS2C = tcp?.S2C.WindowFull,
                ZeroWindowProbes = tcp is null ? null : tcp.C2S.ZeroWindowProbes + tcp.S2C.ZeroWindowProbes,
                Close = CloseName(f.Close),
                Vlan = f.Vlan,
                PayloadBytesC2S = f.PayloadBytesC2S,
                PayloadBytesS2C = f.PayloadBytesS2C,
                DurationS = CaptureTime.Seconds(f.LastTimeNs - f.FirstTimeNs),
                FirstFrame = f.FirstFrame,
                RttC2SMinMs = RttMs(tcp?.C2S, d => d.RttMinNs),
                RttC2SAvgMs = RttMs(tcp?.C2S, d => d.RttSumNs / d.RttSamples),
                RttC2SMaxMs = RttMs(tcp?.C2S, d => d.RttMaxNs),
                RttS2CMinMs = RttMs(tcp?.S2C, d => d.RttMinNs),
                RttS2CAvgMs = RttMs(tcp?.S2C, d => d.RttSumNs / d.RttSamples),
                RttS2CMaxMs = RttMs(tcp?.S2C, d => d.RttMaxNs),
            };
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

    private static string? RttMs(TcpDirectionSummary? direction, Func<TcpDirectionSummary, long> pick) =>
        direction is { RttSamples: > 0 } d ? CaptureTime.Milliseconds(pick(d)) : null;

    /// <summary>The events.csv rows, in time order.</summary>
    public static IEnumerable<EventRow> Events(AnalysisResult result) =>
        // In time order: an episode's row (a zero window) is written when it ends but is dated when it began.
        Events(result, result.Events.Rows.OrderBy(e => e.TimestampNs));

    /// <summary>The events.csv rows of <paramref name="events"/> (some of <paramref name="result"/>'s), in their order.</summary>
    public static IEnumerable<EventRow> Events(AnalysisResult result, IEnumerable<AnalysisEvent> events)
    {
        int digits = result.TimestampDigits;
        foreach (AnalysisEvent e in events)
        {
            EventInfo info = EventCatalog.Get(e.Kind);
            yield return new EventRow
            {
                Time = e.TimestampNs == 0 ? "" : CaptureTime.ToIso(e.TimestampNs, digits),
                FlowId = e.FlowId == 0 ? null : e.FlowId,
                Event = info.Name,
                Severity = SeverityName(info.Severity),
                Frame = e.Frame == 0 ? null : e.Frame,
                Src = e.Src.ToString(),
                SrcPort = e.Src.Version == 0 || e.SrcPort == 0 ? null : e.SrcPort,
                Dst = e.Dst.ToString(),
                DstPort = e.Dst.Version == 0 || e.DstPort == 0 ? null : e.DstPort,
                DurationMs = e.DurationNs < 0 ? null : CaptureTime.Milliseconds(e.DurationNs),
                Detail = e.Detail,
                Advice = info.Advice,
                File = result.Files.Count > e.FileIndex ? Path.GetFileName(result.Files[e.FileIndex].Path) : "",
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
