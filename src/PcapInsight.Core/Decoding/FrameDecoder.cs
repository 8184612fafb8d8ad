using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using PcapInsight.Core.Capture;

namespace PcapInsight.Core.Decoding;

/// <summary>
/// Decodes a frame into a reused <see cref="DecodedPacket"/>: link layer, IP (v4 with options, v6 with its
/// extension-header chain), and TCP, UDP, ICMP or ICMPv6. It never throws and never allocates: bad bytes end
/// in <see cref="DecodeStatus.Truncated"/> or <see cref="DecodeStatus.Malformed"/> with a <see cref="DecodeIssue"/>.
/// </summary>
/// <remarks>
/// Link types: Ethernet (802.1Q/802.1ad stacks, 802.3 with LLC/SNAP, MPLS, PPPoE session), Linux SLL and SLL2,
/// raw IP (12, 101, 228, 229), BSD NULL and OpenBSD LOOP, PPP, Cisco HDLC, NFLOG, FDDI, IP over InfiniBand,
/// IEEE 802.11 data frames (bare, after radiotap or PPI: FrameDecoder.Wireless.cs), and Apple PKTAP around any of these. Tunnels (GRE, ERSPAN, VXLAN, Geneve, GTP-U, IP in IP, Teredo) are opened
/// down to the datagram inside, up to a depth the caller sets (FrameDecoder.Tunnels.cs).
/// </remarks>
public static partial class FrameDecoder
{
    private const int MaxVlanTags = 8;
    private const int MaxMplsLabels = 16;
    private const int MaxIpv6ExtensionHeaders = 16;

    /// <summary>True when the decoder understands frames of <paramref name="link"/>.</summary>
    public static bool Supports(LinkType link) => link is LinkType.Ethernet or LinkType.LinuxSll or LinkType.LinuxSll2
        or LinkType.Raw or LinkType.RawBsd12 or LinkType.Ipv4 or LinkType.Ipv6 or LinkType.Null or LinkType.Loop
        or LinkType.Ppp or LinkType.CiscoHdlc or LinkType.Nflog or LinkType.Fddi or LinkType.IpOverInfiniband or LinkType.Pktap
        or LinkType.Ieee80211 or LinkType.Ieee80211Radiotap or LinkType.Ppi;

    /// <summary>Decodes <paramref name="frame"/>, overwriting every field of <paramref name="p"/>.</summary>
    /// <param name="frame">The captured bytes.</param>
    /// <param name="link">How they begin.</param>
    /// <param name="p">Filled in.</param>
    /// <param name="bytesNotCaptured">Original minus captured length (the snaplen's cut). An IP length that runs past
    /// the frame by more than this is clamped to the frame, as tshark does ("total length exceeds packet length"):
    /// the stated payload was never on the wire.</param>
    /// <param name="tunnelDepth">How many tunnels to open, one inside the other, to reach the datagram they carry
    /// (<see cref="DefaultTunnelDepth"/>; 0 leaves every tunnel shut, so the outer datagram is the one decoded).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Decode(ReadOnlySpan<byte> frame, LinkType link, ref DecodedPacket p, int bytesNotCaptured = 0,
        int tunnelDepth = DefaultTunnelDepth)
    {
        p = default;
        p.BytesNotCaptured = bytesNotCaptured;
        p.TcpOptions.WindowScale = -1;
        p.TunnelBudget = (byte)Math.Clamp(tunnelDepth, 0, MaxTunnelDepth);
        switch (link)
        {
            case LinkType.Ethernet:
                DecodeEthernet(frame, 0, ref p);
                break;
            case LinkType.LinuxSll:
                if (frame.Length < 16)
                {
                    SetLinkTruncated(ref p);
                    return;
                }
                DecodeEtherType(frame, BinaryPrimitives.ReadUInt16BigEndian(frame[14..]), 16, ref p);
                break;
            case LinkType.LinuxSll2:
                if (frame.Length < 20)
                {
                    SetLinkTruncated(ref p);
                    return;
                }
                DecodeEtherType(frame, BinaryPrimitives.ReadUInt16BigEndian(frame), 20, ref p);
                break;
            case LinkType.Raw:
            case LinkType.RawBsd12:
            case LinkType.Ipv4:
            case LinkType.Ipv6:
                // The version nibble decides, even where the link type promises one version: what is there is
                // what the sender sent (tshark does the same for 228, not for 229; a test records the difference).
                DecodeIpByVersion(frame, 0, ref p);
                break;
            case LinkType.Fddi:
                DecodeFddi(frame, ref p);
                break;
            case LinkType.IpOverInfiniband:
                // tcpdump's layout: destination and source GIDs (20 bytes each), EtherType, 2 reserved bytes.
                if (frame.Length < 44)
                {
                    SetLinkTruncated(ref p);
                    return;
                }
                DecodeEtherType(frame, BinaryPrimitives.ReadUInt16BigEndian(frame[40..]), 44, ref p);
                break;
            case LinkType.Pktap:
                DecodePktap(frame, ref p);
                break;
            case LinkType.Null:
            case LinkType.Loop:
                DecodeLoopback(frame, link, ref p);
                break;
            case LinkType.Ppp:
                DecodePpp(frame, 0, ref p);
                break;
            case LinkType.CiscoHdlc:
                if (frame.Length < 4)
                {
                    SetLinkTruncated(ref p);
                    return;
                }
                DecodeEtherType(frame, BinaryPrimitives.ReadUInt16BigEndian(frame[2..]), 4, ref p);
                break;
            case LinkType.Nflog:
                DecodeNflog(frame, ref p);
                break;
            case LinkType.Ieee80211:
                DecodeIeee80211(frame, 0, ref p);
                break;
            case LinkType.Ieee80211Radiotap:
                DecodeRadiotap(frame, ref p);
                break;
            case LinkType.Ppi:
                DecodePpi(frame, ref p);
                break;
            default:
                p.Status = DecodeStatus.UnsupportedLinkType;
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DecodeEthernet(ReadOnlySpan<byte> frame, int start, ref DecodedPacket p)
    {
        if (frame.Length < start + 14)
        {
            SetLinkTruncated(ref p);
            return;
        }
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(frame[(start + 12)..]);
        int offset = start + 14;
        if (type < 0x0600)
        {
            // IEEE 802.3 length field: only LLC/SNAP (AA AA 03 + OUI) can carry an EtherType.
            if (frame.Length < start + 22)
            {
                SetLinkTruncated(ref p);
                return;
            }
            if (frame[start + 14] != 0xAA || frame[start + 15] != 0xAA || frame[start + 16] != 0x03)
            {
                p.Status = DecodeStatus.NotIp;
                return;
            }
            type = BinaryPrimitives.ReadUInt16BigEndian(frame[(start + 20)..]);
            offset = start + 22;
        }
        DecodeEtherType(frame, type, offset, ref p);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DecodeEtherType(ReadOnlySpan<byte> frame, ushort type, int offset, ref DecodedPacket p)
    {
        for (int tags = 0; type is 0x8100 or 0x88A8 or 0x9100 or 0x9200; tags++)
        {
            if (tags == MaxVlanTags || frame.Length < offset + 4)
            {
                SetLinkTruncated(ref p);
                return;
            }
            if (p.VlanCount == 0)
            {
                p.VlanId = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(frame[offset..]) & 0x0FFF);
            }
            p.VlanCount++;
            type = BinaryPrimitives.ReadUInt16BigEndian(frame[(offset + 2)..]);
            offset += 4;
        }
        p.EtherType = type;
        switch (type)
        {
            case 0x0800:
                DecodeIpv4(frame, offset, ref p);
                return;
            case 0x86DD:
                DecodeIpv6(frame, offset, ref p);
                return;
            case 0x8847:
            case 0x8848:
                DecodeMpls(frame, offset, ref p);
                return;
            case 0x8864: // PPPoE session: 6-byte header, then a PPP protocol field (possibly compressed).
                if (frame.Length < offset + 6)
                {
                    SetLinkTruncated(ref p);
                    return;
                }
                // The PPPoE length bounds the PPP payload: bytes past it are padding, not datagram (as tshark reads it).
                int pppoeEnd = offset + 6 + BinaryPrimitives.ReadUInt16BigEndian(frame[(offset + 4)..]);
                DecodePpp(pppoeEnd < frame.Length ? frame[..pppoeEnd] : frame, offset + 6, ref p);
                return;
            default:
                p.Status = DecodeStatus.NotIp;
                return;
        }
    }

    private static void DecodeFddi(ReadOnlySpan<byte> frame, ref DecodedPacket p)
    {
        // Frame control (1), destination (6), source (6), then 802.2 LLC; only SNAP carries an EtherType.
        if (frame.Length < 21)
        {
            SetLinkTruncated(ref p);
            return;
        }
        if (frame[13] != 0xAA || frame[14] != 0xAA || frame[15] != 0x03)
        {
            p.Status = DecodeStatus.NotIp;
            return;
        }
        DecodeEtherType(frame, BinaryPrimitives.ReadUInt16BigEndian(frame[19..]), 21, ref p);
    }

    private static void DecodePktap(ReadOnlySpan<byte> frame, ref DecodedPacket p)
    {
        // Apple PKTAP: a little-endian header whose first word is its length and second the inner link type.
        if (frame.Length < 8)
        {
            SetLinkTruncated(ref p);
            return;
        }
        uint headerLength = BinaryPrimitives.ReadUInt32LittleEndian(frame);
        var inner = (LinkType)BinaryPrimitives.ReadUInt32LittleEndian(frame[4..]);
        if (headerLength < 8 || headerLength > (uint)frame.Length)
        {
            SetLinkTruncated(ref p);
            return;
        }
        DecodeAfterHeader(frame, (int)headerLength, inner, ref p);
    }

    /// <summary>
    /// A frame of <paramref name="inner"/> after a metadata header of <paramref name="shift"/> bytes (PKTAP, PPI): decoded,
    /// then its offsets shifted back, since they must index the whole frame. A header naming another such header, or
    /// a link type we do not decode, makes the frame unsupported (one level: a crafted chain cannot recurse).
    /// </summary>
    private static void DecodeAfterHeader(ReadOnlySpan<byte> frame, int shift, LinkType inner, ref DecodedPacket p)
    {
        if (inner is LinkType.Pktap or LinkType.Ppi || !Supports(inner))
        {
            p.Status = DecodeStatus.UnsupportedLinkType;
            return;
        }
        int notCaptured = p.BytesNotCaptured;
        Decode(frame[shift..], inner, ref p, notCaptured, p.TunnelBudget);
        ShiftOffsets(ref p, shift);
    }

    private static void ShiftOffsets(ref DecodedPacket p, int shift)
    {
        if (p.NetworkOffset != 0 || p.IpVersion != 0)
        {
            p.NetworkOffset += shift;
        }
        if (p.TransportOffset != 0)
        {
            p.TransportOffset += shift;
        }
        if (p.PayloadOffset != 0)
        {
            p.PayloadOffset += shift;
        }
    }

    private static void DecodeMpls(ReadOnlySpan<byte> frame, int offset, ref DecodedPacket p)
    {
        for (int i = 0; i < MaxMplsLabels; i++)
        {
            if (frame.Length < offset + 4)
            {
                SetLinkTruncated(ref p);
                return;
            }
            bool bottom = (frame[offset + 2] & 0x01) != 0;
            offset += 4;
            if (bottom)
            {
                // No protocol field after the stack: the first nibble tells IP from a pseudowire control word (0).
                if (frame.Length > offset && (frame[offset] >> 4) is 4 or 6)
                {
                    DecodeIpByVersion(frame, offset, ref p);
                }
                else
                {
                    p.Status = DecodeStatus.NotIp;
                }
                return;
            }
        }
        p.Status = DecodeStatus.NotIp;
    }

    private static void DecodeLoopback(ReadOnlySpan<byte> frame, LinkType link, ref DecodedPacket p)
    {
        if (frame.Length < 4)
        {
            SetLinkTruncated(ref p);
            return;
        }
        // NULL stores the address family in the capturing host's byte order, LOOP in network order. A family is a
        // small number, so a value above 0xFFFF read little-endian means the host was big-endian.
        uint family = link == LinkType.Loop ? BinaryPrimitives.ReadUInt32BigEndian(frame) : BinaryPrimitives.ReadUInt32LittleEndian(frame);
        if (family > 0xFFFF)
        {
            family = BinaryPrimitives.ReverseEndianness(family);
        }
        if (family > 1500)
        {
            // Some stacks put an EtherType in the low 16 bits instead of an address family (Wireshark's
            // packet-null.c accepts the same); no address family is that large.
            DecodeEtherType(frame, (ushort)family, 4, ref p);
            return;
        }
        switch (family)
        {
            case 2: // AF_INET everywhere
                DecodeIpv4(frame, 4, ref p);
                return;
            case 10 or 24 or 28 or 30: // AF_INET6: Linux, NetBSD/OpenBSD, FreeBSD, macOS
                DecodeIpv6(frame, 4, ref p);
                return;
            default:
                p.Status = DecodeStatus.NotIp;
                return;
        }
    }

    private static void DecodePpp(ReadOnlySpan<byte> frame, int offset, ref DecodedPacket p)
    {
        if (frame.Length >= offset + 2 && frame[offset] == 0xFF && frame[offset + 1] == 0x03)
        {
            offset += 2; // HDLC-like address and control (RFC 1662)
        }
        if (frame.Length < offset + 1)
        {
            SetLinkTruncated(ref p);
            return;
        }
        // A protocol field whose first byte is odd was compressed to one byte (RFC 1661, section 6.5).
        if ((frame[offset] & 1) != 0)
        {
            DecodePppProtocol(frame, frame[offset], offset + 1, ref p);
            return;
        }
        if (frame.Length < offset + 2)
        {
            SetLinkTruncated(ref p);
            return;
        }
        DecodePppProtocol(frame, BinaryPrimitives.ReadUInt16BigEndian(frame[offset..]), offset + 2, ref p);
    }

    private static void DecodePppProtocol(ReadOnlySpan<byte> frame, ushort protocol, int offset, ref DecodedPacket p)
    {
        switch (protocol)
        {
            case 0x0021:
                DecodeIpv4(frame, offset, ref p);
                return;
            case 0x0057:
                DecodeIpv6(frame, offset, ref p);
                return;
            default:
                p.Status = DecodeStatus.NotIp;
                return;
        }
    }

    private static void DecodeNflog(ReadOnlySpan<byte> frame, ref DecodedPacket p)
    {
        // NFLOG: family, version, resource id, then TLVs (length and type in host order, little-endian on the
        // machines that write it), padded to 4 bytes. Type 9 (NFULA_PAYLOAD) holds the IP datagram.
        if (frame.Length < 4)
        {
            SetLinkTruncated(ref p);
            return;
        }
        int offset = 4;
        while (offset + 4 <= frame.Length)
        {
            int length = BinaryPrimitives.ReadUInt16LittleEndian(frame[offset..]);
            int type = BinaryPrimitives.ReadUInt16LittleEndian(frame[(offset + 2)..]) & 0x7FFF;
            if (length < 4 || offset + length > frame.Length)
            {
                SetLinkTruncated(ref p);
                return;
            }
            if (type == 9)
            {
                DecodeIpByVersion(frame[..(offset + length)], offset + 4, ref p);
                return;
            }
            offset += (length + 3) & ~3;
        }
        p.Status = DecodeStatus.NotIp;
    }

    private static void DecodeIpByVersion(ReadOnlySpan<byte> frame, int offset, ref DecodedPacket p)
    {
        if (frame.Length <= offset)
        {
            SetLinkTruncated(ref p);
            return;
        }
        switch (frame[offset] >> 4)
        {
            case 4:
                DecodeIpv4(frame, offset, ref p);
                return;
            case 6:
                DecodeIpv6(frame, offset, ref p);
                return;
            default:
                SetMalformed(ref p, DecodeIssue.IpBadVersion);
                return;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DecodeIpv4(ReadOnlySpan<byte> frame, int offset, ref DecodedPacket p)
    {
        p.NetworkOffset = offset;
        if (frame.Length < offset + 20)
        {
            SetTruncated(ref p, DecodeIssue.Ipv4Truncated);
            return;
        }
        ReadOnlySpan<byte> ip = frame[offset..];
        if (ip[0] >> 4 != 4)
        {
            SetMalformed(ref p, DecodeIssue.IpBadVersion);
            return;
        }
        int headerLength = (ip[0] & 0x0F) * 4;
        if (headerLength < 20)
        {
            SetMalformed(ref p, DecodeIssue.Ipv4HeaderLengthTooSmall);
            return;
        }
        p.IpVersion = 4;
        p.Src = IpAddr.FromIpv4(ip[12..]);
        p.Dst = IpAddr.FromIpv4(ip[16..]);
        p.Protocol = ip[9];
        p.Ttl = ip[8];
        p.IpId = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
        ushort flagsAndOffset = BinaryPrimitives.ReadUInt16BigEndian(ip[6..]);
        p.DontFragment = (flagsAndOffset & 0x4000) != 0;
        p.MoreFragments = (flagsAndOffset & 0x2000) != 0;
        p.FragmentOffset = (flagsAndOffset & 0x1FFF) * 8;
        p.IsFragment = p.MoreFragments || p.FragmentOffset != 0;
        p.IpHeaderLength = headerLength;
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        if (totalLength == 0 && p.FragmentOffset == 0)
        {
            // Linux TSO hands the capture super-segments with total length 0; the frame length is the truth.
            totalLength = ip.Length;
        }
        if (totalLength < headerLength)
        {
            SetMalformed(ref p, DecodeIssue.Ipv4TotalLengthTooSmall);
            return;
        }
        if (totalLength > ip.Length + p.BytesNotCaptured)
        {
            p.IpLengthExceedsFrame = true;
            totalLength = Math.Max(headerLength, ip.Length + p.BytesNotCaptured);
        }
        p.IpTotalLength = totalLength;
        if (ip.Length < headerLength)
        {
            SetTruncated(ref p, DecodeIssue.Ipv4Truncated);
            return;
        }
        p.TrailerLength = Math.Max(0, ip.Length - totalLength);
        if (p.FragmentOffset != 0)
        {
            return; // A later fragment: its bytes continue a transport header we do not have here.
        }
        DecodeTransport(frame, offset + headerLength, totalLength - headerLength, ref p);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DecodeIpv6(ReadOnlySpan<byte> frame, int offset, ref DecodedPacket p)
    {
        p.NetworkOffset = offset;
        if (frame.Length < offset + 40)
        {
            SetTruncated(ref p, DecodeIssue.Ipv6Truncated);
            return;
        }
        ReadOnlySpan<byte> ip = frame[offset..];
        if (ip[0] >> 4 != 6)
        {
            SetMalformed(ref p, DecodeIssue.IpBadVersion);
            return;
        }
        p.IpVersion = 6;
        p.Src = IpAddr.FromIpv6(ip[8..]);
        p.Dst = IpAddr.FromIpv6(ip[24..]);
        p.Ttl = ip[7];
        int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
        if (payloadLength == 0)
        {
            payloadLength = ip.Length - 40; // jumbogram or offload: take what the frame holds
        }
        if (40 + payloadLength > ip.Length + p.BytesNotCaptured)
        {
            p.IpLengthExceedsFrame = true;
            payloadLength = ip.Length + p.BytesNotCaptured - 40;
        }
        p.IpTotalLength = 40 + payloadLength;
        p.TrailerLength = Math.Max(0, ip.Length - p.IpTotalLength);
        byte next = ip[6];
        int headerEnd = 40;
        for (int i = 0; ; i++)
        {
            if (i == MaxIpv6ExtensionHeaders)
            {
                SetMalformed(ref p, DecodeIssue.Ipv6BadExtensionHeader);
                return;
            }
            int extensionLength;
            switch (next)
            {
                case 0:   // hop-by-hop options
                case 43:  // routing
                case 60:  // destination options
                case 135: // mobility
                case 139: // HIP
                case 140: // shim6
                    if (ip.Length < headerEnd + 2)
                    {
                        SetTruncated(ref p, DecodeIssue.Ipv6Truncated);
                        return;
                    }
                    extensionLength = (ip[headerEnd + 1] + 1) * 8;
                    break;
                case 51: // authentication header counts 4-byte words, minus 2
                    if (ip.Length < headerEnd + 2)
                    {
                        SetTruncated(ref p, DecodeIssue.Ipv6Truncated);
                        return;
                    }
                    extensionLength = (ip[headerEnd + 1] + 2) * 4;
                    break;
                case 44: // fragment
                    if (ip.Length < headerEnd + 8)
                    {
                        SetTruncated(ref p, DecodeIssue.Ipv6Truncated);
                        return;
                    }
                    extensionLength = 8;
                    ushort offsetAndFlags = BinaryPrimitives.ReadUInt16BigEndian(ip[(headerEnd + 2)..]);
                    p.HasIpv6FragmentHeader = true;
                    p.FragmentOffset = offsetAndFlags & 0xFFF8;
                    p.MoreFragments = (offsetAndFlags & 1) != 0;
                    p.IsFragment = p.MoreFragments || p.FragmentOffset != 0;
                    p.IpId = BinaryPrimitives.ReadUInt32BigEndian(ip[(headerEnd + 4)..]);
                    break;
                default:
                    p.Protocol = next;
                    p.IpHeaderLength = headerEnd;
                    if (headerEnd > p.IpTotalLength)
                    {
                        SetMalformed(ref p, DecodeIssue.Ipv6BadExtensionHeader);
                        return;
                    }
                    if (p.FragmentOffset != 0 || next == 59)
                    {
                        return; // a later fragment, or "no next header"
                    }
                    if (headerEnd > ip.Length)
                    {
                        // The snaplen cut the frame inside the extension headers (found by fuzzing: the transport
                        // decoder was handed an offset past the frame's end).
                        SetTruncated(ref p, DecodeIssue.Ipv6Truncated);
                        return;
                    }
                    DecodeTransport(frame, offset + headerEnd, p.IpTotalLength - headerEnd, ref p);
                    return;
            }
            next = ip[headerEnd];
            headerEnd += extensionLength;
            if (headerEnd > p.IpTotalLength && headerEnd > ip.Length)
            {
                SetMalformed(ref p, DecodeIssue.Ipv6BadExtensionHeader);
                return;
            }
            if (p.FragmentOffset != 0)
            {
                p.Protocol = next;
                p.IpHeaderLength = headerEnd;
                return;
            }
        }
    }

    /// <summary>
    /// Decodes the transport header of a reassembled datagram: <paramref name="payload"/> is the whole IP payload,
    /// <paramref name="p"/> the completing fragment's decode (its IP fields are kept; offsets become offsets into
    /// <paramref name="payload"/>). A tunnel it carries is opened as in a frame, up to <paramref name="tunnelDepth"/>
    /// in all (the fragment's own tunnels count): <paramref name="p"/> then describes the datagram inside.
    /// </summary>
    public static void DecodeReassembled(ReadOnlySpan<byte> payload, ref DecodedPacket p, int tunnelDepth = 0)
    {
        p.IsFragment = false;
        p.MoreFragments = false;
        p.FragmentOffset = 0;
        p.TunnelBudget = (byte)Math.Clamp(tunnelDepth - p.TunnelDepth, 0, MaxTunnelDepth);
        p.HasTransport = false;
        p.HasPorts = false;
        p.SrcPort = p.DstPort = 0;
        p.Seq = p.Ack = 0;
        p.Flags = default;
        p.Window = 0;
        p.TcpHeaderLength = 0;
        p.TcpOptions.Clear();
        p.PayloadOffset = p.PayloadLength = p.CapturedPayloadLength = 0;
        p.BytesNotCaptured = 0;
        p.Status = default;
        p.Issue = default;
        DecodeTransport(payload, 0, payload.Length, ref p);
    }

    /// <summary>Decodes the transport header at <paramref name="offset"/>; <paramref name="length"/> is what IP says it spans.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DecodeTransport(ReadOnlySpan<byte> frame, int offset, int length, ref DecodedPacket p)
    {
        p.TransportOffset = offset;
        int captured = Math.Max(0, Math.Min(length, frame.Length - offset));
        if (p.IsFragment && length < MinTransportHeader(p.Protocol))
        {
            // A first fragment too small for the transport header (a crafted or tiny-MTU split): the header
            // exists only in the reassembled datagram. Nothing is wrong with this frame itself.
            return;
        }
        switch (p.Protocol)
        {
            case 6:
                // Past the frame's end, the slice is empty (a truncated header), never an exception.
                DecodeTcp(frame.Slice(Math.Min(offset, frame.Length), captured), offset, length, ref p);
                return;
            case 17:
            case 136: // UDP-Lite has the same header
                if (captured < 8)
                {
                    SetTruncated(ref p, DecodeIssue.UdpTruncated);
                    return;
                }
                ReadOnlySpan<byte> udp = frame.Slice(offset, captured);
                p.HasTransport = true;
                p.HasPorts = true;
                p.SrcPort = BinaryPrimitives.ReadUInt16BigEndian(udp);
                p.DstPort = BinaryPrimitives.ReadUInt16BigEndian(udp[2..]);
                p.UdpLength = BinaryPrimitives.ReadUInt16BigEndian(udp[4..]);
                p.PayloadOffset = offset + 8;
                // A first fragment carries only part of the datagram: the IP length, not the UDP length, bounds it.
                p.PayloadLength = p.IsFragment ? length - 8 : Math.Max(0, Math.Min(p.UdpLength, length) - 8);
                p.CapturedPayloadLength = Math.Min(p.PayloadLength, captured - 8);
                if (p.TunnelBudget != 0 && !p.IsFragment && IsTunnelPort(p.SrcPort, p.DstPort))
                {
                    OpenUdpTunnel(frame, ref p);
                }
                return;
            case 1:
            case 58:
                if (captured < 4)
                {
                    SetTruncated(ref p, DecodeIssue.IcmpTruncated);
                    return;
                }
                p.HasTransport = true;
                p.IcmpType = frame[offset];
                p.IcmpCode = frame[offset + 1];
                if (captured >= 8)
                {
                    if (p.Protocol == 1 && p.IcmpType == 3 && p.IcmpCode == 4)
                    {
                        p.IcmpMtu = BinaryPrimitives.ReadUInt16BigEndian(frame[(offset + 6)..]);
                    }
                    else if (p.Protocol == 58 && p.IcmpType == 2)
                    {
                        p.IcmpMtu = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(frame[(offset + 4)..]), int.MaxValue);
                    }
                }
                p.PayloadOffset = offset + Math.Min(8, captured);
                p.PayloadLength = Math.Max(0, length - 8);
                p.CapturedPayloadLength = Math.Max(0, captured - 8);
                return;
            default:
                p.PayloadOffset = offset;
                p.PayloadLength = length;
                p.CapturedPayloadLength = captured;
                if (p.TunnelBudget != 0 && !p.IsFragment && IsTunnelProtocol(p.Protocol))
                {
                    OpenIpTunnel(frame, ref p);
                }
                return;
        }
    }

    private static int MinTransportHeader(byte protocol) => protocol switch
    {
        6 => 20,
        17 or 136 => 8,
        1 or 58 => 4,
        _ => 0,
    };

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DecodeTcp(ReadOnlySpan<byte> tcp, int offset, int length, ref DecodedPacket p)
    {
        if (tcp.Length < 20)
        {
            if (tcp.Length >= 4)
            {
                // The ports survive, so the segment can still be counted in its flow.
                p.SrcPort = BinaryPrimitives.ReadUInt16BigEndian(tcp);
                p.DstPort = BinaryPrimitives.ReadUInt16BigEndian(tcp[2..]);
                p.HasPorts = true;
            }
            SetTruncated(ref p, DecodeIssue.TcpTruncated);
            return;
        }
        p.SrcPort = BinaryPrimitives.ReadUInt16BigEndian(tcp);
        p.DstPort = BinaryPrimitives.ReadUInt16BigEndian(tcp[2..]);
        p.HasPorts = true;
        p.Seq = BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]);
        p.Ack = BinaryPrimitives.ReadUInt32BigEndian(tcp[8..]);
        int headerLength = (tcp[12] >> 4) * 4;
        p.Flags = (TcpFlags)(((tcp[12] & 0x01) << 8) | tcp[13]);
        p.Window = BinaryPrimitives.ReadUInt16BigEndian(tcp[14..]);
        p.UrgentPointer = BinaryPrimitives.ReadUInt16BigEndian(tcp[18..]);
        p.TcpHeaderLength = headerLength;
        if (headerLength < 20 || (headerLength > length && !p.IsFragment))
        {
            SetMalformed(ref p, DecodeIssue.TcpBadDataOffset);
            return;
        }
        if (tcp.Length < headerLength)
        {
            SetTruncated(ref p, DecodeIssue.TcpTruncated);
            return;
        }
        p.HasTransport = true;
        ReadTcpOptions(tcp[20..headerLength], ref p.TcpOptions);
        p.PayloadOffset = offset + headerLength;
        p.PayloadLength = Math.Max(0, length - headerLength);
        p.CapturedPayloadLength = Math.Max(0, Math.Min(p.PayloadLength, tcp.Length - headerLength));
    }

    /// <summary>Reads MSS, window scale, SACK-permitted, SACK blocks and timestamps; stops at an impossible length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ReadTcpOptions(ReadOnlySpan<byte> options, ref TcpOptionsSummary o)
    {
        int i = 0;
        while (i < options.Length)
        {
            byte kind = options[i];
            if (kind == 0)
            {
                return; // end of option list
            }
            if (kind == 1)
            {
                i++; // no-operation
                continue;
            }
            if (i + 1 >= options.Length)
            {
                o.Malformed = true;
                return;
            }
            int length = options[i + 1];
            if (length < 2 || i + length > options.Length)
            {
                o.Malformed = true;
                return;
            }
            ReadOnlySpan<byte> value = options.Slice(i + 2, length - 2);
            switch (kind)
            {
                case 2 when value.Length == 2:
                    o.Mss = BinaryPrimitives.ReadUInt16BigEndian(value);
                    break;
                case 3 when value.Length == 1:
                    // RFC 7323 section 2.3: a shift above 14 is used as 14.
                    o.WindowScale = (sbyte)Math.Min(value[0], (byte)14);
                    break;
                case 4:
                    o.SackPermitted = true;
                    break;
                case 5:
                    int blocks = Math.Min(4, value.Length / 8);
                    for (int b = 0; b < blocks; b++)
                    {
                        o.Sack[2 * b] = BinaryPrimitives.ReadUInt32BigEndian(value[(8 * b)..]);
                        o.Sack[2 * b + 1] = BinaryPrimitives.ReadUInt32BigEndian(value[(8 * b + 4)..]);
                    }
                    o.SackBlockCount = (byte)blocks;
                    break;
                case 8 when value.Length == 8:
                    o.HasTimestamps = true;
                    o.TsVal = BinaryPrimitives.ReadUInt32BigEndian(value);
                    o.TsEcr = BinaryPrimitives.ReadUInt32BigEndian(value[4..]);
                    break;
            }
            i += length;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SetLinkTruncated(ref DecodedPacket p) => SetTruncated(ref p, DecodeIssue.LinkTruncated);

    private static void SetTruncated(ref DecodedPacket p, DecodeIssue issue)
    {
        p.Status = DecodeStatus.Truncated;
        p.Issue = issue;
    }

    private static void SetMalformed(ref DecodedPacket p, DecodeIssue issue)
    {
        p.Status = DecodeStatus.Malformed;
        p.Issue = issue;
    }
}
