using PcapInsight.Core.Decoding;

namespace PcapInsight.Core.Fragments;

/// <summary>
/// What identifies one datagram's fragments: source, destination, identification and, for IPv4, the protocol
/// (RFC 791); for IPv6 source, destination and identification (RFC 8200).
/// </summary>
public readonly record struct FragmentKey(byte IpVersion, IpAddr Src, IpAddr Dst, uint Id, byte Protocol);
