namespace PcapInsight.Core.Decoding;

/// <summary>How far the decoder got with a frame.</summary>
public enum DecodeStatus : byte
{
    /// <summary>Every header up to the transport layer was read (the payload may still be cut by the snaplen).</summary>
    Ok,
    /// <summary>The frame is not IP (ARP, STP, LLDP, ...): nothing wrong, nothing for us.</summary>
    NotIp,
    /// <summary>The frame ends inside a header we need; <see cref="DecodedPacket.Issue"/> says which.</summary>
    Truncated,
    /// <summary>A header is impossible (bad version, length smaller than the header...); <see cref="DecodedPacket.Issue"/> says which.</summary>
    Malformed,
    /// <summary>The link type is one we do not decode.</summary>
    UnsupportedLinkType,
}

/// <summary>The precise reason behind <see cref="DecodeStatus.Truncated"/> or <see cref="DecodeStatus.Malformed"/>.</summary>
public enum DecodeIssue : byte
{
    /// <summary>No issue.</summary>
    None,
    /// <summary>The link-layer header is cut short.</summary>
    LinkTruncated,
    /// <summary>The IPv4 header is cut short.</summary>
    Ipv4Truncated,
    /// <summary>The IP version nibble is neither 4 nor 6 where IP was announced.</summary>
    IpBadVersion,
    /// <summary>IPv4 header length below 20 bytes.</summary>
    Ipv4HeaderLengthTooSmall,
    /// <summary>IPv4 total length smaller than its header.</summary>
    Ipv4TotalLengthTooSmall,
    /// <summary>The IPv6 header or an extension header is cut short.</summary>
    Ipv6Truncated,
    /// <summary>The IPv6 extension-header chain is too long or runs past the payload.</summary>
    Ipv6BadExtensionHeader,
    /// <summary>The TCP header is cut short.</summary>
    TcpTruncated,
    /// <summary>TCP data offset below 5 words or past the segment.</summary>
    TcpBadDataOffset,
    /// <summary>The UDP header is cut short.</summary>
    UdpTruncated,
    /// <summary>The ICMP header is cut short.</summary>
    IcmpTruncated,
}
