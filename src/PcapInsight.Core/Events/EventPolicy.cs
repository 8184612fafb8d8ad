namespace PcapInsight.Core.Events;

/// <summary>
/// How many rows of one event kind are kept. Counts are always kept in full, before any limiting (Zeek's
/// <c>weird_count_by_type</c>); the policy only decides which rows reach events.csv.
/// </summary>
public enum EventPolicy : byte
{
    /// <summary>Every occurrence is a row.</summary>
    LogAll,
    /// <summary>
    /// The first 100 rows by time are kept, then the first of each of the event timeline's 256 intervals: a capture
    /// with a million bad packets says so in at most 356 rows, spread over the capture. Which rows depends only on
    /// the rows (<see cref="EventOrder"/>), never on the order of reporting, so a sharded analysis keeps the same ones.
    /// </summary>
    Sampled,
    /// <summary>Rows are counted, never kept.</summary>
    CountOnly,
}
