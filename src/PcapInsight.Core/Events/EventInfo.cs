namespace PcapInsight.Core.Events;

/// <summary>One row of the event catalogue.</summary>
/// <param name="Kind">The enum member.</param>
/// <param name="Name">Stable dotted name, as in CONTRACT.md (<c>capture.truncated</c>).</param>
/// <param name="Severity">How much it matters.</param>
/// <param name="Summary">What it means, in one sentence.</param>
/// <param name="Advice">What to do about it, in the socket API's or the capture tool's terms.</param>
/// <param name="Policy">How many rows are kept.</param>
public sealed record EventInfo(EventKind Kind, string Name, Severity Severity, string Summary, string Advice, EventPolicy Policy)
{
    /// <summary>The part before the first dot: <c>capture</c>, <c>tcp</c>, <c>ip</c>, <c>udp</c>.</summary>
    public string Group => Name[..Name.IndexOf('.', StringComparison.Ordinal)];
}
