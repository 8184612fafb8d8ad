namespace PcapInsight.Core.Analysis;

/// <summary>
/// How large the IP packets of the capture were, in 16-byte bins up to 64 KiB: whole packets and fragments apart,
/// so a chart can set them against the MTU (fragments pile up just under it; whole packets above it were sent by an
/// offloading NIC or a jumbo-frame path). Fixed memory, one increment per IP packet.
/// </summary>
public sealed class IpSizeHistogram
{
    /// <summary>Width of one bin, bytes.</summary>
    public const int BinBytes = 16;

    private const int Bins = 65536 / BinBytes + 1;   // last bin: the largest IPv6 jumbograms and oddities

    /// <summary>Packets that were not fragments, by IP size (header included).</summary>
    public long[] Whole { get; } = new long[Bins];

    /// <summary>Fragments, by IP size (header included).</summary>
    public long[] Fragments { get; } = new long[Bins];

    internal void Add(int ipBytes, bool fragment)
    {
        int bin = Math.Clamp(ipBytes / BinBytes, 0, Bins - 1);
        (fragment ? Fragments : Whole)[bin]++;
    }
}
