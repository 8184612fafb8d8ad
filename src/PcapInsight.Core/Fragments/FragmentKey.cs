using PcapInsight.Core.Collections;
using PcapInsight.Core.Decoding;

namespace PcapInsight.Core.Fragments;

/// <summary>
/// What identifies one datagram's fragments: source, destination, identification and, for IPv4, the protocol
/// (RFC 791); for IPv6 source, destination and identification (RFC 8200).
/// </summary>
public readonly record struct FragmentKey(byte IpVersion, IpAddr Src, IpAddr Dst, uint Id, byte Protocol)
{
    // Written out rather than the record's: those compare each field through EqualityComparer<T>.Default, framework
    // code over our types that is compiled at run time.

    /// <inheritdoc />
    public bool Equals(FragmentKey other) =>
        Id == other.Id && Src == other.Src && Dst == other.Dst && IpVersion == other.IpVersion && Protocol == other.Protocol;

    /// <inheritdoc />
    /// <remarks>Keyed per process (<see cref="SeededHash"/>): a capture chooses the identifications, and a sum of them
    /// with the addresses' hashes would let it choose identifications that share a chain of the open datagrams.</remarks>
    public override int GetHashCode() =>
        SeededHash.Of((ulong)Id << 32 | (uint)Protocol << 8 | IpVersion, (ulong)(uint)Src.GetHashCode() << 32 | (uint)Dst.GetHashCode());
}
