using PcapInsight.Core.Analysis;
using PcapInsight.Core.Decoding;

namespace PcapInsight.Reporting;

/// <summary>
/// One row of events.csv: its numbers and addresses as values (events.csv formats them as UTF-8 straight into its
/// buffer), with their texts made on demand (<see cref="Time"/>, <see cref="Src"/>, <see cref="Dst"/>,
/// <see cref="DurationMs"/>) for report.html's few rows. As strings made for every row, a capture's 600,000 event
/// rows cost four strings each, and events.csv was two thirds of its CSV phase (bench/RESULTS.md, 2026-11-28).
/// </summary>
public sealed record EventRow
{
    /// <summary>Capture time (ns since the epoch); 0 when the event is tied to no frame.</summary>
    public long TimestampNs { get; init; }

    /// <summary>Fraction digits of the capture's timestamps (<see cref="CaptureTime.ToIso"/>).</summary>
    public int TimestampDigits { get; init; } = 6;

    /// <summary>The time as ISO 8601 UTC text; empty when none.</summary>
    public string Time => TimestampNs == 0 ? "" : CaptureTime.ToIso(TimestampNs, TimestampDigits);

    public int? FlowId { get; init; }
    public string Event { get; init; } = "";
    public string Severity { get; init; } = "";
    public long? Frame { get; init; }

    /// <summary>The source address; "no address" when none.</summary>
    public IpAddr SrcAddress { get; init; }

    /// <summary><see cref="SrcAddress"/> as text; empty when none.</summary>
    public string Src => SrcAddress.ToString();

    public int? SrcPort { get; init; }

    /// <summary>The destination address; "no address" when none.</summary>
    public IpAddr DstAddress { get; init; }

    /// <summary><see cref="DstAddress"/> as text; empty when none.</summary>
    public string Dst => DstAddress.ToString();

    public int? DstPort { get; init; }

    /// <summary>How long it lasted (ns); negative for an instant.</summary>
    public long DurationNs { get; init; } = -1;

    /// <summary><see cref="DurationNs"/> in milliseconds as text; null for an instant.</summary>
    public string? DurationMs => DurationNs < 0 ? null : CaptureTime.Milliseconds(DurationNs);

    public string Detail { get; init; } = "";
    public string Advice { get; init; } = "";
    public string File { get; init; } = "";
}
