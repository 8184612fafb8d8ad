using System.Runtime.CompilerServices;

namespace PcapInsight.Core.Decoding;

/// <summary>The four SACK blocks a TCP header can carry, as left/right edge pairs, stored inline.</summary>
[InlineArray(8)]
public struct SackEdges
{
    private uint _edge;
}

/// <summary>
/// The TCP options the analysis needs, read without allocation (gopacket keeps a fixed array for the same reason).
/// </summary>
public struct TcpOptionsSummary
{
    /// <summary>Maximum segment size (SYN only); 0 when absent.</summary>
    public ushort Mss;
    /// <summary>Window scale shift count (SYN only); -1 when absent.</summary>
    public sbyte WindowScale;
    /// <summary>SACK-permitted option present (SYN only).</summary>
    public bool SackPermitted;
    /// <summary>Timestamps option present.</summary>
    public bool HasTimestamps;
    /// <summary>Number of SACK blocks (0-4).</summary>
    public byte SackBlockCount;
    /// <summary>TSval.</summary>
    public uint TsVal;
    /// <summary>TSecr.</summary>
    public uint TsEcr;
    /// <summary>SACK blocks: left edge at 2i, right edge at 2i+1.</summary>
    public SackEdges Sack;
    /// <summary>An option's length was impossible; the options after it were not read.</summary>
    public bool Malformed;

    /// <summary>Resets every field to "absent".</summary>
    public void Clear()
    {
        this = default;
        WindowScale = -1;
    }
}
