using PcapInsight.Reporting;
using ScottPlot;

namespace PcapInsight.Charts;

/// <summary>The four charts of one TCP flow: time-sequence, window and bytes in flight, throughput, RTT.</summary>
internal static class FlowCharts
{
    /// <summary>
    /// The four charts of the flow whose data <paramref name="data"/> makes, each drawn on its own by whichever thread
    /// runs it (the data made once, by the first); none when the flow has no time series.
    /// </summary>
    public static Func<Chart?>[] Jobs(Lazy<FlowChartData?> data, ChartOptions options) =>
    [
        () => data.Value is { } d ? new Chart($"flow-{d.Flow.Id}-time-sequence.png", $"Time-sequence: {Who(d)}",
            "Stevens-style time-sequence graph: each dot is a segment (its last byte), red crosses are resent segments, the green line is what the " +
            "receiver acknowledged and the orange line the edge of its window. The sender stalls where the dots meet the orange line; shaded: " +
            "zero-window episodes (red) and Nagle stalls (purple)." + Thinned(d), d.Flow.Id, TimeSequence(d, options)) : null,
        () => data.Value is { } d ? new Chart($"flow-{d.Flow.Id}-window.png", $"Receiver window and bytes in flight: {Who(d)}",
            "The window the receiver advertised against the bytes the sender had in flight. In flight up against the window means the receiver " +
            "limits the transfer (its application reads too slowly, or SO_RCVBUF is small); a window of 0 is a zero-window episode." + Thinned(d), d.Flow.Id, Window(d, options)) : null,
        () => data.Value is { } d ? new Chart($"flow-{d.Flow.Id}-throughput.png", $"Throughput (acknowledged bytes): {Who(d)}",
            "Bytes the receiver acknowledged per interval (about a hundredth of the flow's duration). Gaps fall where the flow stalled." + Thinned(d), d.Flow.Id, Throughput(d, options)) : null,
        () => data.Value is { } d ? new Chart($"flow-{d.Flow.Id}-rtt.png", $"Round-trip time: {Who(d)}",
            "RTT samples of the sender's segments (time from a segment to the ACK that covered it, not from resent ones). A rise with bytes in " +
            "flight is queueing (bufferbloat); spikes at stalls are the stall." + Thinned(d), d.Flow.Id, Rtt(d, options)) : null,
    ];

    private static string Who(FlowChartData d) => $"flow {d.Flow.Id}, {d.DirectionLabel}";

    private static string Thinned(FlowChartData d) =>
        d.Stride > 1 ? $" One point in {d.Stride} is drawn (the series was thinned evenly to stay bounded)." : "";

    private static byte[] TimeSequence(FlowChartData d, ChartOptions options)
    {
        double max = Math.Max(1, ChartStyle.MaxValue(d.Data, d.Resent, d.WindowEdge));
        (double div, string unit) = ChartStyle.ByteUnit(max);
        Plot plot = ChartStyle.NewPlot($"Time-sequence: flow {d.Flow.Id}, {d.DirectionLabel}", ChartStyle.TimeAxis, $"relative sequence number ({unit})");
        ChartStyle.ShadeStalls(plot, d);
        ChartStyle.Line(plot, Scale(d.WindowEdge, div), ChartStyle.WindowColor, "window edge (ACK + window)", steps: true);
        ChartStyle.Line(plot, Scale(d.Acks, div), ChartStyle.AckColor, "ACK", steps: true);
        ChartStyle.Dots(plot, Scale(d.Data, div), ChartStyle.DataColor, "segment", size: 3);
        ChartStyle.Dots(plot, Scale(d.Resent, div), ChartStyle.ResentColor, "resent", MarkerShape.Eks, 7);
        // A window far larger than what was sent would flatten the segments into a line: show the data, and the
        // window edge only where it comes near (where it limits the sender, which is what the chart is for).
        double sent = Math.Max(1, ChartStyle.MaxValue(d.Data, d.Resent, d.Acks));
        if (max > 2 * sent)
        {
            plot.Axes.SetLimitsY(-0.03 * sent / div, 1.25 * sent / div);
        }
        return ChartStyle.Png(plot, options);
    }

    private static byte[] Window(FlowChartData d, ChartOptions options)
    {
        double max = Math.Max(1, ChartStyle.MaxValue(d.Window, d.InFlight));
        (double div, string unit) = ChartStyle.ByteUnit(max);
        Plot plot = ChartStyle.NewPlot($"Receiver window and bytes in flight: flow {d.Flow.Id}", ChartStyle.TimeAxis, unit);
        ChartStyle.ShadeStalls(plot, d);
        ChartStyle.Line(plot, Scale(d.Window, div), ChartStyle.WindowColor, "advertised window", steps: true);
        ChartStyle.Line(plot, Scale(d.InFlight, div), ChartStyle.DataColor, "bytes in flight", width: 1);
        return ChartStyle.Png(plot, options);
    }

    private static byte[] Throughput(FlowChartData d, ChartOptions options)
    {
        double max = Math.Max(1, ChartStyle.MaxValue(d.Throughput));
        (double div, string unit) = ChartStyle.RateUnit(max);
        Plot plot = ChartStyle.NewPlot($"Throughput: flow {d.Flow.Id}, {d.DirectionLabel}", ChartStyle.TimeAxis, $"acknowledged ({unit})");
        ChartStyle.ShadeStalls(plot, d);
        ChartStyle.Line(plot, Scale(d.Throughput, div), ChartStyle.DataColor, "throughput", steps: true);
        return ChartStyle.Png(plot, options);
    }

    private static byte[] Rtt(FlowChartData d, ChartOptions options)
    {
        Plot plot = ChartStyle.NewPlot($"Round-trip time: flow {d.Flow.Id}, {d.DirectionLabel}", ChartStyle.TimeAxis, "RTT (ms)");
        ChartStyle.ShadeStalls(plot, d);
        ChartStyle.Dots(plot, d.Rtt, ChartStyle.DataColor, "RTT sample");
        if (d.Flow.Tcp is { InitialRttNs: > 0 } tcp)
        {
            var line = plot.Add.HorizontalLine(tcp.InitialRttNs / 1e6, 1, ChartStyle.AckColor, LinePattern.Dashed);
            line.LegendText = "handshake RTT";
        }
        return ChartStyle.Png(plot, options);
    }

    private static List<(double, double)> Scale(List<(double T, double V)> points, double div)
    {
        var scaled = new List<(double, double)>(points.Count);
        foreach ((double t, double v) in points)
        {
            scaled.Add((t, v / div));
        }
        return scaled;
    }
}
