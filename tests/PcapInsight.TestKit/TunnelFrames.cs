using System.Buffers.Binary;
using System.Net;

namespace PcapInsight.TestKit;

/// <summary>
/// The headers of the tunnels the decoder opens, byte by byte, to wrap <see cref="FrameBuilder"/>'s frames:
/// <c>Ethernet(0x0800, Ipv4(a, b, 17, Udp(..., Vxlan(7, Ethernet(0x0800, Ipv4(...))))))</c>.
/// </summary>
public static class TunnelFrames
{
    /// <summary>A GRE header (RFC 2784/2890): checksum, key and sequence number when given; <paramref name="flags"/> ORs more bits in.</summary>
    public static byte[] Gre(ushort protocol, byte[] payload, bool checksum = false, uint? key = null, uint? sequence = null, byte flags = 0, byte version = 0)
    {
        var h = new List<byte> { (byte)(flags | (checksum ? 0x80 : 0) | (key is null ? 0 : 0x20) | (sequence is null ? 0 : 0x10)), version };
        h.AddRange(BigEndian16(protocol));
        if (checksum)
        {
            h.AddRange(new byte[4]);
        }
        if (key is { } k)
        {
            h.AddRange(BigEndian32(k));
        }
        if (sequence is { } s)
        {
            h.AddRange(BigEndian32(s));
        }
        h.AddRange(payload);
        return h.ToArray();
    }

    /// <summary>PPTP's enhanced GRE (RFC 2637): version 1, the key (payload length and call id), sequence and acknowledgment numbers, PPP inside.</summary>
    public static byte[] PptpGre(byte[] ppp, uint sequence, uint? acknowledgment)
    {
        var h = new List<byte> { 0x30, (byte)(0x01 | (acknowledgment is null ? 0 : 0x80)), 0x88, 0x0B };
        h.AddRange(BigEndian16((ushort)ppp.Length));
        h.AddRange(BigEndian16(7));
        h.AddRange(BigEndian32(sequence));
        if (acknowledgment is { } a)
        {
            h.AddRange(BigEndian32(a));
        }
        h.AddRange(ppp);
        return h.ToArray();
    }

    /// <summary>An ERSPAN type II header (version 1, session 5).</summary>
    public static byte[] ErspanII(byte[] ethernet) => [0x10, 0x00, 0x00, 0x05, 0, 0, 0, 0, .. ethernet];

    /// <summary>An ERSPAN type III header (version 2): <paramref name="frameType"/> 0 Ethernet, 2 IP; the platform subheader when asked.</summary>
    public static byte[] ErspanIII(byte[] inner, int frameType = 0, bool platformSubheader = false)
    {
        var h = new byte[12];
        h[0] = 0x20;
        h[10] = (byte)(frameType << 2);
        h[11] = (byte)(platformSubheader ? 1 : 0);
        return [.. h, .. platformSubheader ? new byte[8] : [], .. inner];
    }

    /// <summary>A VXLAN header (RFC 7348) with the I flag (or <paramref name="flags"/>) and a VNI.</summary>
    public static byte[] Vxlan(uint vni, byte[] ethernet, byte flags = 0x08) =>
        [flags, 0, 0, 0, (byte)(vni >> 16), (byte)(vni >> 8), (byte)vni, 0, .. ethernet];

    /// <summary>A Geneve header (RFC 8926) with <paramref name="optionBytes"/> of options (a multiple of 4).</summary>
    public static byte[] Geneve(ushort protocol, byte[] inner, int optionBytes = 0, int version = 0) =>
        [(byte)((version << 6) | (optionBytes / 4)), 0, (byte)(protocol >> 8), (byte)protocol, 0, 0, 9, 0, .. new byte[optionBytes], .. inner];

    /// <summary>
    /// A GTP-U header (3GPP TS 29.281), a G-PDU unless <paramref name="messageType"/> says otherwise; with
    /// <paramref name="pduSessionContainer"/> the E flag and one 4-byte extension header (type 0x85).
    /// </summary>
    public static byte[] GtpU(byte[] ip, bool pduSessionContainer = false, byte messageType = 0xFF)
    {
        var h = new List<byte> { (byte)(0x30 | (pduSessionContainer ? 0x04 : 0)), messageType };
        int length = ip.Length + (pduSessionContainer ? 4 + 4 : 0);
        h.AddRange(BigEndian16((ushort)length));
        h.AddRange(BigEndian32(0x1234));
        if (pduSessionContainer)
        {
            h.AddRange(new byte[] { 0, 0, 0, 0x85 });   // sequence, N-PDU number, next extension: PDU session container
            h.AddRange(new byte[] { 1, 0x10, 0x09, 0 }); // length 1 (4 bytes), content, no next extension
        }
        h.AddRange(ip);
        return h.ToArray();
    }

    /// <summary>A Teredo datagram's payload: an origin indication (when asked), then the IPv6 packet.</summary>
    public static byte[] Teredo(byte[] ipv6, bool originIndication = false) =>
        originIndication ? [0, 0, 0xC3, 0x50, .. IPAddress.Parse("192.0.2.99").GetAddressBytes(), .. ipv6] : ipv6;

    /// <summary>
    /// An IEEE 802.11 frame: a data frame (type 2) to the access point carrying <paramref name="payload"/> after
    /// LLC/SNAP with <paramref name="etherType"/>, unless the arguments make it something else.
    /// </summary>
    public static byte[] Wlan(byte[] payload, ushort etherType = 0x0800, bool qos = false, bool fourAddresses = false, bool htControl = false,
        bool protectedFrame = false, bool moreFragments = false, int fragmentNumber = 0, int type = 2, int subtype = 0)
    {
        int header = 24 + (fourAddresses ? 6 : 0) + (qos ? 2 : 0) + (qos && htControl ? 4 : 0);
        var h = new byte[header];
        h[0] = (byte)((type << 2) | ((subtype | (qos ? 0x08 : 0)) << 4));
        h[1] = (byte)((fourAddresses ? 0x03 : 0x01) | (moreFragments ? 0x04 : 0) | (protectedFrame ? 0x40 : 0) | (htControl ? 0x80 : 0));
        h[22] = (byte)fragmentNumber;
        return [.. h, 0xAA, 0xAA, 0x03, 0, 0, 0, (byte)(etherType >> 8), (byte)etherType, .. payload];
    }

    /// <summary>A radiotap header (8 bytes: version, pad, length, an empty present bitmap, then <paramref name="extra"/>) before an 802.11 frame.</summary>
    public static byte[] Radiotap(byte[] wlan, int extra = 0)
    {
        int length = 8 + extra;
        return [0, 0, (byte)length, (byte)(length >> 8), 0, 0, 0, 0, .. new byte[extra], .. wlan];
    }

    /// <summary>A PPI header (8 bytes, no fields) naming <paramref name="linkType"/> for the frame after it.</summary>
    public static byte[] Ppi(byte[] frame, uint linkType = 105) =>
        [0, 0, 8, 0, (byte)linkType, (byte)(linkType >> 8), (byte)(linkType >> 16), (byte)(linkType >> 24), .. frame];

    /// <summary>A UDP header (length and ports) and <paramref name="payload"/>.</summary>
    public static byte[] UdpCarrying(ushort srcPort, ushort dstPort, byte[] payload)
    {
        byte[] udp = FrameBuilder.Udp(srcPort, dstPort, payload.Length);
        payload.CopyTo(udp, 8);
        return udp;
    }

    private static byte[] BigEndian16(ushort v)
    {
        var b = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(b, v);
        return b;
    }

    private static byte[] BigEndian32(uint v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, v);
        return b;
    }
}
