namespace PcapInsight.Reporting;

/// <summary>One row of events.csv, already formatted.</summary>
public sealed record EventRow
{
    public string Time { get; init; } = "";
    public int? FlowId { get; init; }
    public string Event { get; init; } = "";
    public string Severity { get; init; } = "";
    public long? Frame { get; init; }
    public string Src { get; init; } = "";
    public int? SrcPort { get; init; }
    public string Dst { get; init; } = "";
    public int? DstPort { get; init; }
    public string? DurationMs { get; init; }
    public string Detail { get; init; } = "";
    public string Advice { get; init; } = "";
    public string File { get; init; } = "";
}

