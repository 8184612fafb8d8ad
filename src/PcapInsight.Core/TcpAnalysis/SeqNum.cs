using System.Runtime.CompilerServices;

namespace PcapInsight.Core.TcpAnalysis;

/// <summary>
/// A TCP sequence number with serial-number arithmetic (RFC 1982, RFC 9293 section 3.4): the difference of two
/// numbers is taken modulo 2^32 and read as signed, so comparisons stay right across the wrap as long as the two
/// are less than 2^31 apart. Examples: 0xFFFFFFF0 + 0x20 = 0x10, and 0x10 is after 0xFFFFFFF0 (by 0x20).
/// </summary>
public readonly record struct SeqNum(uint Value)
{
    /// <summary>How far <paramref name="later"/> is after this number; negative when it is before.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int DistanceTo(SeqNum later) => unchecked((int)(later.Value - Value));

    /// <summary>This number plus <paramref name="bytes"/>, wrapping.</summary>
    public static SeqNum operator +(SeqNum s, int bytes) => new(unchecked(s.Value + (uint)bytes));

    /// <summary>True when <paramref name="a"/> comes before <paramref name="b"/>.</summary>
    public static bool operator <(SeqNum a, SeqNum b) => a.DistanceTo(b) > 0;

    /// <summary>True when <paramref name="a"/> comes after <paramref name="b"/>.</summary>
    public static bool operator >(SeqNum a, SeqNum b) => a.DistanceTo(b) < 0;

    /// <summary>True when <paramref name="a"/> is before or equal to <paramref name="b"/>.</summary>
    public static bool operator <=(SeqNum a, SeqNum b) => a.DistanceTo(b) >= 0;

    /// <summary>True when <paramref name="a"/> is after or equal to <paramref name="b"/>.</summary>
    public static bool operator >=(SeqNum a, SeqNum b) => a.DistanceTo(b) <= 0;
}
