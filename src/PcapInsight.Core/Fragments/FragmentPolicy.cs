namespace PcapInsight.Core.Fragments;

/// <summary>
/// Which copy of overlapping fragment bytes a receiving stack keeps (Novak's target-based reassembly, as Suricata
/// implements it). Each rule decides, for bytes a new fragment shares with one that arrived before it, whether
/// the new one wins.
/// </summary>
public enum FragmentPolicy : byte
{
    /// <summary>The first copy always wins.</summary>
    First,
    /// <summary>The last copy always wins.</summary>
    Last,
    /// <summary>The new copy wins when its fragment starts before the old one (BSD).</summary>
    Bsd,
    /// <summary>The new copy wins when its fragment starts at or before the old one (older Linux).</summary>
    Linux,
    /// <summary>The new copy wins only when its fragment starts before and ends after the old one (Windows).</summary>
    Windows,
    /// <summary>The new copy wins when its fragment starts before and ends at or after the old one (Solaris).</summary>
    Solaris,
}

/// <summary>The rules of <see cref="FragmentPolicy"/>.</summary>
public static class FragmentPolicies
{
    /// <summary>Every policy, in a stable order.</summary>
    public static IReadOnlyList<FragmentPolicy> All => Every;

    // The array itself, for loops that index it: through IReadOnlyList an enum array's indexer is framework code
    // compiled at run time.
    internal static readonly FragmentPolicy[] Every = Enum.GetValues<FragmentPolicy>();

    /// <summary>The option spelling of <paramref name="policy"/>.</summary>
    public static string Name(FragmentPolicy policy) => policy.ToString().ToLowerInvariant();

    /// <summary>Parses an option value; false when unknown.</summary>
    public static bool TryParse(string text, out FragmentPolicy policy) =>
        Enum.TryParse(text, ignoreCase: true, out policy) && Enum.IsDefined(policy) && !int.TryParse(text, out _);

    /// <summary>
    /// Whether the bytes of a fragment spanning [newStart, newEnd) that arrived later replace those of one spanning
    /// [oldStart, oldEnd) where they overlap.
    /// </summary>
    public static bool NewWins(FragmentPolicy policy, int newStart, int newEnd, int oldStart, int oldEnd) => policy switch
    {
        FragmentPolicy.First => false,
        FragmentPolicy.Last => true,
        FragmentPolicy.Bsd => newStart < oldStart,
        FragmentPolicy.Linux => newStart <= oldStart,
        FragmentPolicy.Windows => newStart < oldStart && newEnd > oldEnd,
        FragmentPolicy.Solaris => newStart < oldStart && newEnd >= oldEnd,
        _ => false,
    };
}
