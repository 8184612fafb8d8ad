using PcapInsight.Core.Decoding;

namespace PcapInsight.Core.Events;

/// <summary>One occurrence of an event: one row of events.csv.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="TimestampNs">Capture time of the frame that showed it (ns since the epoch); 0 when not tied to a frame.</param>
/// <param name="Frame">1-based frame number in its file; 0 when not tied to a frame.</param>
/// <param name="FileIndex">0-based index of the file among those analysed.</param>
/// <param name="FlowId">The flow it belongs to; 0 for none.</param>
/// <param name="Src">Source address of the frame (or of the flow's client); default when none.</param>
/// <param name="SrcPort">Source port; 0 when none.</param>
/// <param name="Dst">Destination address; default when none.</param>
/// <param name="DstPort">Destination port; 0 when none.</param>
/// <param name="DurationNs">How long it lasted; -1 when it is an instant.</param>
/// <param name="Detail">The figures, as <c>key=value</c> pairs separated by spaces.</param>
public readonly record struct AnalysisEvent(
    EventKind Kind,
    long TimestampNs,
    long Frame,
    int FileIndex,
    int FlowId,
    IpAddr Src,
    ushort SrcPort,
    IpAddr Dst,
    ushort DstPort,
    long DurationNs,
    string Detail);
