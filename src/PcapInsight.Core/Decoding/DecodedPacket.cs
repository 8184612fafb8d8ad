namespace PcapInsight.Core.Decoding;

/// <summary>
/// Everything the analysis needs from one frame, as offsets and values. One instance is reused for every frame:
/// <see cref="FrameDecoder.Decode"/> resets every field first (gopacket's <c>DecodingLayer</c> contract).
/// Offsets index the frame span passed to the decoder and are meaningful only with it.
/// </summary>
public struct DecodedPacket
{
    /// <summary>How far decoding got.</summary>
    public DecodeStatus Status;
    /// <summary>Why decoding stopped, when it did.</summary>
    public DecodeIssue Issue;

    /// <summary>The EtherType (or equivalent) that carried the network layer; 0 when none.</summary>
    public ushort EtherType;
    /// <summary>Number of 802.1Q/802.1ad tags.</summary>
    public byte VlanCount;
    /// <summary>Outermost VLAN id (12 bits); 0 when untagged. Part of the flow key.</summary>
    public ushort VlanId;

    /// <summary>
    /// Tunnels opened to reach the datagram below (GRE, VXLAN, IP-in-IP...); 0 when it is the frame's own. The IP and
    /// transport fields then describe the innermost datagram, the one the hosts' sockets sent.
    /// </summary>
    public byte TunnelDepth;
    /// <summary>The kinds of tunnel opened (<see cref="TunnelDepth"/> of them; a kind seen twice is one bit).</summary>
    public TunnelKinds Tunnels;
    /// <summary>Tunnels the decoder may still open in this frame (its limit, counted down as it goes in).</summary>
    internal byte TunnelBudget;

    /// <summary>Offset of the IP header.</summary>
    public int NetworkOffset;
    /// <summary>4 or 6; 0 when not IP.</summary>
    public byte IpVersion;
    /// <summary>Source address.</summary>
    public IpAddr Src;
    /// <summary>Destination address.</summary>
    public IpAddr Dst;
    /// <summary>Upper-layer protocol number after any IPv6 extension headers (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6...).</summary>
    public byte Protocol;
    /// <summary>IPv4 TTL or IPv6 hop limit.</summary>
    public byte Ttl;
    /// <summary>Bytes from the IP header start to the transport header (IPv4 IHL, or IPv6 40 + extension headers).</summary>
    public int IpHeaderLength;
    /// <summary>IP datagram length as the header states it (IPv4 total length; IPv6 40 + payload length).</summary>
    public int IpTotalLength;
    /// <summary>IPv4 identification, or the IPv6 fragment header's identification.</summary>
    public uint IpId;
    /// <summary>IPv4 DF bit.</summary>
    public bool DontFragment;
    /// <summary>More-fragments bit (IPv4 or IPv6 fragment header).</summary>
    public bool MoreFragments;
    /// <summary>Fragment offset in bytes.</summary>
    public int FragmentOffset;
    /// <summary>True when this datagram is a fragment (MF set or offset non-zero); false for an atomic IPv6 fragment header.</summary>
    public bool IsFragment;
    /// <summary>IPv6 fragment header present.</summary>
    public bool HasIpv6FragmentHeader;

    /// <summary>Offset of the transport header.</summary>
    public int TransportOffset;
    /// <summary>True when a TCP, UDP or ICMP header was decoded (false for non-first fragments).</summary>
    public bool HasTransport;
    /// <summary>True when the ports were read, even if the rest of the transport header is cut or impossible.</summary>
    public bool HasPorts;
    /// <summary>Source port (TCP, UDP); 0 otherwise.</summary>
    public ushort SrcPort;
    /// <summary>Destination port (TCP, UDP); 0 otherwise.</summary>
    public ushort DstPort;

    /// <summary>TCP sequence number.</summary>
    public uint Seq;
    /// <summary>TCP acknowledgment number.</summary>
    public uint Ack;
    /// <summary>TCP flags.</summary>
    public TcpFlags Flags;
    /// <summary>TCP window field as sent (not scaled).</summary>
    public ushort Window;
    /// <summary>TCP urgent pointer.</summary>
    public ushort UrgentPointer;
    /// <summary>TCP header length in bytes.</summary>
    public int TcpHeaderLength;
    /// <summary>TCP options.</summary>
    public TcpOptionsSummary TcpOptions;

    /// <summary>UDP length field.</summary>
    public ushort UdpLength;

    /// <summary>ICMP or ICMPv6 type.</summary>
    public byte IcmpType;
    /// <summary>ICMP or ICMPv6 code.</summary>
    public byte IcmpCode;
    /// <summary>Next-hop MTU of an ICMP fragmentation-needed or ICMPv6 packet-too-big message; 0 otherwise.</summary>
    public int IcmpMtu;

    /// <summary>Offset of the transport payload (TCP data, UDP data).</summary>
    public int PayloadOffset;
    /// <summary>Payload length the headers state (TCP: IP length minus headers, as tshark's <c>tcp.len</c>).</summary>
    public int PayloadLength;
    /// <summary>Payload bytes actually present in the frame (smaller when the snaplen cut it).</summary>
    public int CapturedPayloadLength;
    /// <summary>Bytes of the frame the capture did not keep (original minus captured length), as passed to the decoder.</summary>
    public int BytesNotCaptured;
    /// <summary>The IP header states more bytes than the frame had on the wire; lengths were clamped to the frame.</summary>
    public bool IpLengthExceedsFrame;
    /// <summary>Link-layer padding or trailer after the IP datagram (Ethernet minimum-size padding, FCS).</summary>
    public int TrailerLength;
}
