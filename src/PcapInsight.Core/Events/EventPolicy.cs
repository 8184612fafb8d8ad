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
    /// The first rows are kept, then only the 1,000th, 10,000th... (Zeek's <c>ScaledHistoryEntry</c> escalates the
    /// same way): a capture with a million bad packets says so without a million rows.
    /// </summary>
    Sampled,
    /// <summary>Rows are counted, never kept.</summary>
    CountOnly,
}
