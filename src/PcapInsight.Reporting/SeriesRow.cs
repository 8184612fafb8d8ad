using PcapInsight.Core.Analysis;
using PcapInsight.Core.Flows;
using PcapInsight.Core.TcpAnalysis;

namespace PcapInsight.Reporting;

/// <summary>One row of tcp_series.csv.</summary>
public sealed record SeriesRow
{
    public int FlowId { get; init; }
    public string Direction { get; init; } = "";
    public string Time { get; init; } = "";
    public string Kind { get; init; } = "";
    public long Seq { get; init; }
    public int? Length { get; init; }
    public long? InFlight { get; init; }
    public long? Window { get; init; }
    public string? RttMs { get; init; }

    /// <summary>The rows of every recorded flow, by flow, then direction, then time.</summary>
    public static IEnumerable<SeriesRow> All(AnalysisResult result)
    {
        int digits = result.TimestampDigits;
        foreach (Flow flow in result.Flows)
        {
            if (flow.Tcp?.Series is not { } series)
            {
                continue;
            }
            foreach ((string direction, TcpSeries s) in new[] { ("c2s", series.C2S), ("s2c", series.S2C) })
            {
                for (int i = 0; i < s.Points.Length; i++)
                {
                    TcpSeriesPoint p = s.Points[i];
                    yield return new SeriesRow
                    {
                        FlowId = flow.Id,
                        Direction = direction,
                        Time = CaptureTime.ToIso(p.TimeNs, digits),
                        Kind = p.Kind switch
                        {
                            TcpSeriesKind.Data => "data",
                            TcpSeriesKind.Resend => "resend",
                            TcpSeriesKind.Ack => "ack",
                            _ => "rtt",
                        },
                        Seq = p.Seq,
                        Length = p.Kind is TcpSeriesKind.Data or TcpSeriesKind.Resend ? p.Length : null,
                        InFlight = p.Kind == TcpSeriesKind.Data ? p.Value : null,
                        Window = p.Kind == TcpSeriesKind.Ack && p.Value >= 0 ? p.Value : null,
                        RttMs = p.Kind == TcpSeriesKind.Rtt ? CaptureTime.Milliseconds(p.Value) : null,
                    };
                }
            }
        }
    }
}
