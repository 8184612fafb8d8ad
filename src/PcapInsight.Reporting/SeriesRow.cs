using PcapInsight.Core.Analysis;
using PcapInsight.Core.Flows;
using PcapInsight.Core.TcpAnalysis;

namespace PcapInsight.Reporting;

/// <summary>
/// One row of tcp_series.csv: a recorded point of one flow direction, typed, as a view (nothing is formatted until a
/// writer asks). Column order and text are <see cref="CsvColumns.Series"/>'s; a null value is an empty cell.
/// </summary>
/// <remarks>
/// A view and not a record of strings, as <see cref="FlowRow"/>: every cell is a number, a time or one of our names,
/// so the table is written straight as UTF-8 (<see cref="Utf8CsvTable"/>); `--series-flows 1000` records millions of points.
/// </remarks>
/// <param name="FlowId">The flow's id.</param>
/// <param name="Direction"><c>c2s</c> or <c>s2c</c>.</param>
/// <param name="Point">The recorded point.</param>
/// <param name="TimestampDigits">Fractional digits of the capture's times.</param>
public readonly record struct SeriesRow(int FlowId, string Direction, TcpSeriesPoint Point, int TimestampDigits)
{
    public long TimeNs => Point.TimeNs;

    /// <summary><c>data</c>, <c>resend</c>, <c>ack</c> or <c>rtt</c>.</summary>
    public string Kind => Point.Kind switch
    {
        TcpSeriesKind.Data => "data",
        TcpSeriesKind.Resend => "resend",
        TcpSeriesKind.Ack => "ack",
        _ => "rtt",
    };

    public long Seq => Point.Seq;
    public int? Length => Point.Kind is TcpSeriesKind.Data or TcpSeriesKind.Resend ? Point.Length : null;
    public long? InFlight => Point.Kind == TcpSeriesKind.Data ? Point.Value : null;
    public long? Window => Point.Kind == TcpSeriesKind.Ack && Point.Value >= 0 ? Point.Value : null;

    /// <summary>The round-trip time of an <c>rtt</c> point, ns.</summary>
    public long? RttNs => Point.Kind == TcpSeriesKind.Rtt ? Point.Value : null;

    /// <summary>The rows of every recorded flow, by flow, then direction, then time.</summary>
    public static IEnumerable<SeriesRow> All(AnalysisResult result)
    {
        int digits = result.TimestampDigits;
        foreach (Flow flow in result.FlowsWithSeries())
        {
            if (flow.Tcp?.Series is not { } series)
            {
                continue;
            }
            for (int i = 0; i < series.C2S.Points.Length; i++)
            {
                yield return new SeriesRow(flow.Id, "c2s", series.C2S.Points[i], digits);
            }
            for (int i = 0; i < series.S2C.Points.Length; i++)
            {
                yield return new SeriesRow(flow.Id, "s2c", series.S2C.Points[i], digits);
            }
        }
    }
}
