namespace PcapInsight.Charts;

/// <summary>What to draw and how large.</summary>
public sealed record ChartOptions
{
    /// <summary>Flows that get their own charts (those with findings first, then the largest). 0 draws only the capture-wide charts.</summary>
    public int MaxChartedFlows { get; init; } = 10;

    /// <summary>Image width, pixels.</summary>
    public int Width { get; init; } = 1200;

    /// <summary>Image height, pixels.</summary>
    public int Height { get; init; } = 560;

    /// <summary>Time series kept per flow direction for the charts: enough that drawing stays bounded on any capture.</summary>
    public const int SeriesFlowsPerChartedFlow = 4;

    /// <summary>Checks the limits; throws <see cref="ArgumentOutOfRangeException"/> naming the option.</summary>
    public void Validate()
    {
        if (MaxChartedFlows is < 0 or > 10_000)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxChartedFlows), MaxChartedFlows, "must be 0 to 10000");
        }
        if (Width is < 200 or > 8000 || Height is < 150 or > 8000)
        {
            throw new ArgumentOutOfRangeException(nameof(Width), $"{Width}x{Height}", "must be 200x150 to 8000x8000");
        }
    }
}
