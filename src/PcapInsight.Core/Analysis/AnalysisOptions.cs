using PcapInsight.Core.Capture;
using PcapInsight.Core.Flows;

namespace PcapInsight.Core.Analysis;

/// <summary>Every limit of an analysis, each with a default (CLI options map onto these one to one).</summary>
public sealed record AnalysisOptions
{
    /// <summary>Reader limits.</summary>
    public CaptureReaderOptions Reader { get; init; } = CaptureReaderOptions.Default;

    /// <summary>Flow table limits.</summary>
    public FlowTableOptions Flows { get; init; } = new();

    /// <summary>Rows kept in events.csv; every event is still counted. Default 1,000,000; at least 1.</summary>
    public int MaxEventRows { get; init; } = 1_000_000;

    /// <summary>Nagle and delayed-ACK thresholds.</summary>
    public TcpAnalysis.NagleOptions Nagle { get; init; } = new();

    /// <summary>The defaults.</summary>
    public static AnalysisOptions Default { get; } = new();

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> when a limit is out of range.</summary>
    public void Validate()
    {
        Reader.Validate();
        Flows.Validate();
        Nagle.Validate();
        if (MaxEventRows < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxEventRows), MaxEventRows, "must be at least 1");
        }
    }
}
