using ScottPlot;

namespace PcapInsight.Charts;

/// <summary>The look every chart shares: fonts, colours, shaded periods, PNG output.</summary>
internal static class ChartStyle
{
    public static readonly Color DataColor = Color.FromHex("#1f77b4");
    public static readonly Color ResentColor = Color.FromHex("#d62728");
    public static readonly Color AckColor = Color.FromHex("#2ca02c");
    public static readonly Color WindowColor = Color.FromHex("#ff7f0e");
    public static readonly Color ZeroWindowColor = Color.FromHex("#d62728").WithAlpha(0.18);
    public static readonly Color NagleColor = Color.FromHex("#9467bd").WithAlpha(0.25);

    public const string TimeAxis = "time since the first frame (s)";

    /// <summary>A new plot with its title and axis labels.</summary>
    public static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.Font.Set(Fonts.Default);
        plot.Title(title, size: 16);
        plot.XLabel(xLabel, size: 13);
        plot.YLabel(yLabel, size: 13);
        return plot;
    }

    /// <summary>Shades the zero-window episodes and Nagle stalls, each kind with one legend entry.</summary>
    public static void ShadeStalls(Plot plot, FlowChartData d)
    {
        Shade(plot, d.ZeroWindow, ZeroWindowColor, $"zero window ({d.ZeroWindow.Count})");
        Shade(plot, d.NagleStalls, NagleColor, $"Nagle stall ({d.NagleStalls.Count})");
    }

    private static void Shade(Plot plot, List<ShadedPeriod> spans, Color color, string legend)
    {
        bool first = true;
        foreach (ShadedPeriod s in spans)
        {
            var span = plot.Add.HorizontalSpan(s.Start, Math.Max(s.End, s.Start + 1e-6), color);
            span.LineStyle.Width = 0;
            if (first)
            {
                span.LegendText = legend;
                first = false;
            }
        }
    }

    /// <summary>A line through points (steps when <paramref name="steps"/>), with its legend text; nothing when empty.</summary>
    public static void Line(Plot plot, IReadOnlyList<(double X, double Y)> points, Color color, string legend, bool steps = false, float width = 1.5f)
    {
        if (points.Count == 0)
        {
            return;
        }
        (double[] xs, double[] ys) = Split(points);
        var line = plot.Add.ScatterLine(xs, ys, color);
        line.LineWidth = width;
        line.MarkerSize = 0;
        line.LegendText = legend;
        if (steps)
        {
            line.ConnectStyle = ConnectStyle.StepHorizontal;
        }
    }

    /// <summary>Markers at points, with their legend text; nothing when empty.</summary>
    public static void Dots(Plot plot, IReadOnlyList<(double X, double Y)> points, Color color, string legend, MarkerShape shape = MarkerShape.FilledCircle, float size = 4)
    {
        if (points.Count == 0)
        {
            return;
        }
        (double[] xs, double[] ys) = Split(points);
        var markers = plot.Add.Markers(xs, ys, shape, size, color);
        markers.LegendText = legend;
    }

    // The chart code keeps to loops over its points: LINQ over tuples of doubles is framework generic code that
    // ReadyToRun cannot compile ahead, compiled at run time in every report (see ReportOrder).
    private static (double[] Xs, double[] Ys) Split(IReadOnlyList<(double X, double Y)> points)
    {
        var xs = new double[points.Count];
        var ys = new double[points.Count];
        for (int i = 0; i < xs.Length; i++)
        {
            (xs[i], ys[i]) = points[i];
        }
        return (xs, ys);
    }

    /// <summary>The largest of the second values of <paramref name="lists"/>' points; 0 when they are all empty.</summary>
    public static double MaxValue(params ReadOnlySpan<List<(double T, double V)>> lists)
    {
        double max = 0;
        bool any = false;
        foreach (List<(double T, double V)> list in lists)
        {
            foreach ((double _, double v) in list)
            {
                max = any ? Math.Max(max, v) : v;
                any = true;
            }
        }
        return max;
    }

    /// <summary>Shows the legend (when anything has a legend text) and renders the PNG.</summary>
    public static byte[] Png(Plot plot, ChartOptions options)
    {
        plot.ShowLegend(Alignment.UpperLeft);
        return Png(plot, options.Width, options.Height);
    }

    /// <summary>
    /// Renders <paramref name="plot"/> as PNG, encoded for speed. ScottPlot's own PNG output takes Skia's default (zlib
    /// level 6, every row filter tried), which was 70 % of a report's chart time. A chart is flat colour and thin
    /// lines, rows much like the row above: the Up filter alone with zlib level 1 drew a report's 42 charts in 0.5 s
    /// instead of 1.7 s, 2.4 MB instead of 2.1 MB (small.pcap, bench/RESULTS.md). The surface is opaque (every chart
    /// paints its whole background), so the PNG is RGB without an alpha channel: the same pixels, files 11 % smaller.
    /// </summary>
    public static byte[] Png(Plot plot, int width, int height)
    {
        using var surface = SkiaSharp.SKSurface.Create(new SkiaSharp.SKImageInfo(width, height, SkiaSharp.SKImageInfo.PlatformColorType, SkiaSharp.SKAlphaType.Opaque));
        plot.Render(surface.Canvas, width, height);
        using SkiaSharp.SKImage image = surface.Snapshot();
        using SkiaSharp.SKPixmap pixels = image.PeekPixels();
        using SkiaSharp.SKData png = pixels.Encode(new SkiaSharp.SKPngEncoderOptions(SkiaSharp.SKPngEncoderFilterFlags.Up, zLibLevel: 1))
            ?? throw new InvalidOperationException($"the chart library could not encode a {width}x{height} PNG");
        return png.ToArray();
    }

    /// <summary>Bit rates with their unit chosen for the largest.</summary>
    public static (double Divisor, string Unit) RateUnit(double max) => max switch
    {
        >= 1e9 => (1e9, "Gbit/s"),
        >= 1e6 => (1e6, "Mbit/s"),
        >= 1e3 => (1e3, "kbit/s"),
        _ => (1, "bit/s"),
    };

    /// <summary>Byte counts with their unit chosen for the largest.</summary>
    public static (double Divisor, string Unit) ByteUnit(double max) => max switch
    {
        >= 1 << 30 => (1 << 30, "GiB"),
        >= 1 << 20 => (1 << 20, "MiB"),
        >= 1 << 10 => (1 << 10, "KiB"),
        _ => (1, "bytes"),
    };
}
