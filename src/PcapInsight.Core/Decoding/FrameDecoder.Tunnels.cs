using System.Buffers.Binary;

namespace PcapInsight.Core.Decoding;

/// <summary>
/// Tunnels: the datagram a host's socket sent, found inside GRE, ERSPAN, VXLAN, Geneve, GTP-U, IP in IP or Teredo.
/// </summary>
/// <remarks>
/// The analysis is about sockets (a stall, a full window, a lost datagram), and those live inside the tunnel: the
/// outer datagram is the plumbing between two tunnel endpoints. So the decoder opens a tunnel and describes the
/// datagram inside, as tshark's conversations and Zeek's connections do for the inner flows; the frame's link layer
/// (its VLAN, part of the flow key) stays the outer one. It opens a tunnel only when its header is whole and sane:
/// otherwise, and for a GRE payload it does not know (WCCP, MikroTik's EoIP), the outer datagram is decoded as before.
/// An outer datagram that is a fragment stays shut (its reassembly is the outer datagram's), and so does one deeper
/// than the caller's limit (<c>--tunnel-depth</c>).
/// </remarks>
public static partial class FrameDecoder
{
    /// <summary>Tunnels opened one inside the other by default: GRE within GRE, 6in6in6, VXLAN over a GRE underlay.</summary>
    public const int DefaultTunnelDepth = 4;

    /// <summary>The most the decoder opens whatever it is asked: each level is a few bytes of header, and a crafted frame may nest forever.</summary>
    public const int MaxTunnelDepth = 16;

    private const ushort VxlanPort = 4789;
    private const ushort LinuxVxlanPort = 8472;   // the Linux kernel's VXLAN port when none is given (flannel's too), and OTV's
    private const ushort GenevePort = 6081;
    private const ushort GtpUserPort = 2152;
    private const ushort TeredoPort = 3544;
    private const int MaxGtpExtensionHeaders = 16;

    /// <summary>What begins where a tunnel's header ends.</summary>
    private enum Inner : byte
    {
        Ethernet,
        EtherType,
        IpByVersion,
        Ppp,
        Ieee80211,
    }

    /// <summary>
    /// True when a UDP datagram between these ports may be a tunnel's (the decoder then looks at its header): one is a
    /// tunnel's port, and the other is not a well-known service's. A tunnel endpoint's other port is a flow hash, an
    /// ephemeral port, the tunnel's own, or 0 (Open vSwitch's Geneve in the corpus); a DNS answer to a resolver whose
    /// random source port happened to be 4789 is DNS, and must not be read as VXLAN (it would vanish into a failed decode).
    /// </summary>
    internal static bool IsTunnelPort(ushort a, ushort b) => IsTunnelPort(a) && NotAService(b) || IsTunnelPort(b) && NotAService(a);

    private static bool NotAService(ushort port) => port is 0 or >= 1024;

    /// <summary>True for the IP protocols that carry a tunnel: 4 (IPv4 in IP), 41 (IPv6 in IP) and 47 (GRE).</summary>
    internal static bool IsTunnelProtocol(byte protocol) => protocol is 4 or 41 or 47;

    private static bool IsTunnelPort(ushort port) => port is VxlanPort or LinuxVxlanPort or GenevePort or GtpUserPort or TeredoPort;

    /// <summary>A UDP datagram to or from a tunnel's port: opened when its header is what that tunnel sends.</summary>
    private static void OpenUdpTunnel(ReadOnlySpan<byte> frame, ref DecodedPacket p)
    {
        int o = p.PayloadOffset;
        int have = Math.Max(0, Math.Min(p.CapturedPayloadLength, frame.Length - o));
        ReadOnlySpan<byte> h = frame.Slice(Math.Min(o, frame.Length), have);
        if (p.DstPort == VxlanPort || p.SrcPort == VxlanPort)
        {
            // RFC 7348: flags (the I bit says the VNI is valid), 3 reserved bytes, the VNI, a reserved byte; then Ethernet.
            if (h.Length >= 8 + 14 && (h[0] & 0x08) != 0)
            {
                DecodeInner(frame, TunnelKinds.Vxlan, Inner.Ethernet, 0, o + 8, ref p);
            }
            return;
        }
        if (p.DstPort == LinuxVxlanPort || p.SrcPort == LinuxVxlanPort)
        {
            // Not IANA's port, so the header must be exactly what Linux (and OTV) send: only the I flag, reserved bytes zero.
            if (h.Length >= 8 + 14 && h[0] == 0x08 && h[1] == 0 && h[2] == 0 && h[3] == 0 && h[7] == 0)
            {
                DecodeInner(frame, TunnelKinds.Vxlan, Inner.Ethernet, 0, o + 8, ref p);
            }
            return;
        }
        if (p.DstPort == GenevePort || p.SrcPort == GenevePort)
        {
            // RFC 8926: version (2 bits, 0) and options' length in 4-byte words, flags, the protocol, the VNI; then options.
            if (h.Length >= 8 && h[0] >> 6 == 0)
            {
                int length = 8 + (h[0] & 0x3F) * 4;
                ushort protocol = BinaryPrimitives.ReadUInt16BigEndian(h[2..]);
                if (h.Length > length && protocol is 0x6558 or 0x0800 or 0x86DD)
                {
                    DecodeInner(frame, TunnelKinds.Geneve, protocol == 0x6558 ? Inner.Ethernet : Inner.EtherType, protocol, o + length, ref p);
                }
            }
            return;
        }
        if (p.DstPort == GtpUserPort || p.SrcPort == GtpUserPort)
        {
            int length = GtpUserHeaderLength(h);
            if (length > 0 && h.Length > length && h[length] >> 4 is 4 or 6)
            {
                DecodeInner(frame, TunnelKinds.GtpU, Inner.IpByVersion, 0, o + length, ref p);
            }
            return;
        }
        int teredo = TeredoHeaderLength(h, p.PayloadLength);
        if (teredo >= 0)
        {
            DecodeInner(frame, TunnelKinds.Teredo, Inner.IpByVersion, 0, o + teredo, ref p);
        }
    }

    /// <summary>
    /// The length of a GTP-U header that carries a user's datagram (version 1, G-PDU), its optional fields and
    /// extension headers included (3GPP TS 29.281); 0 when it is not one or is cut.
    /// </summary>
    private static int GtpUserHeaderLength(ReadOnlySpan<byte> h)
    {
        if (h.Length < 8 || h[0] >> 5 != 1 || (h[0] & 0x10) == 0 || h[1] != 0xFF)
        {
            return 0;
        }
        if ((h[0] & 0x07) == 0)
        {
            return 8;
        }
        // Any of E, S and PN adds the sequence number, the N-PDU number and the next extension's type.
        if (h.Length < 12)
        {
            return 0;
        }
        int length = 12;
        byte next = (h[0] & 0x04) != 0 ? h[11] : (byte)0;
        for (int i = 0; next != 0; i++)
        {
            // Each extension: its length in 4-byte words (never 0), its content, and the next one's type in its last byte.
            if (i == MaxGtpExtensionHeaders || h.Length <= length || h[length] == 0)
            {
                return 0;
            }
            length += h[length] * 4;
            if (h.Length < length)
            {
                return 0;
            }
            next = h[length - 1];
        }
        return length;
    }

    /// <summary>
    /// Where the IPv6 packet of a Teredo datagram (RFC 4380) starts, after its optional authentication and origin
    /// indications; -1 unless an IPv6 header is there whose length fills the datagram exactly (the check tshark's
    /// heuristic makes too: port 3544 alone is no proof).
    /// </summary>
    private static int TeredoHeaderLength(ReadOnlySpan<byte> h, int statedLength)
    {
        int start = 0;
        if (h.Length >= 4 && h[0] == 0 && h[1] == 1)
        {
            // Authentication: 0x0001, client id length, authentication value length, both, an 8-byte nonce, confirmation.
            start = 4 + h[2] + h[3] + 9;
        }
        if (h.Length >= start + 2 && h[start] == 0 && h[start + 1] == 0)
        {
            start += 8; // origin indication: 0x0000, the obfuscated port and address
        }
        if (h.Length < start + 40 || h[start] >> 4 != 6)
        {
            return -1;
        }
        return 40 + BinaryPrimitives.ReadUInt16BigEndian(h[(start + 4)..]) == statedLength - start ? start : -1;
    }

    /// <summary>IP protocol 4 (IPv4), 41 (IPv6) or 47 (GRE): opened when the header inside is sane.</summary>
    private static void OpenIpTunnel(ReadOnlySpan<byte> frame, ref DecodedPacket p)
    {
        int o = p.PayloadOffset;
        int have = Math.Max(0, Math.Min(p.CapturedPayloadLength, frame.Length - o));
        ReadOnlySpan<byte> h = frame.Slice(Math.Min(o, frame.Length), have);
        if (p.Protocol != 47)
        {
            // IP in IP: the version inside must be the one the protocol number announces.
            if (h.Length > 0 && h[0] >> 4 == (p.Protocol == 4 ? 4 : 6))
            {
                DecodeInner(frame, TunnelKinds.IpInIp, Inner.IpByVersion, 0, o, ref p);
            }
            return;
        }
        OpenGre(frame, h, o, ref p);
    }

    private static void OpenGre(ReadOnlySpan<byte> frame, ReadOnlySpan<byte> h, int o, ref DecodedPacket p)
    {
        if (h.Length < 4)
        {
            return;
        }
        byte flags = h[0];
        int version = h[1] & 0x07;
        ushort protocol = BinaryPrimitives.ReadUInt16BigEndian(h[2..]);
        int length = 4;
        if (version == 0)
        {
            if ((flags & 0x40) != 0)
            {
                return; // RFC 1701's source routes: obsolete, and their length is a list to walk; left shut
            }
            length += ((flags & 0x80) != 0 ? 4 : 0) + ((flags & 0x20) != 0 ? 4 : 0) + ((flags & 0x10) != 0 ? 4 : 0);
        }
        else if (version == 1 && protocol == 0x880B && (flags & 0x20) != 0)
        {
            // PPTP's enhanced GRE (RFC 2637): the key (payload length, call id), then the sequence and acknowledgment numbers if flagged.
            length += 4 + ((flags & 0x10) != 0 ? 4 : 0) + ((h[1] & 0x80) != 0 ? 4 : 0);
        }
        else
        {
            return;
        }
        if (h.Length < length)
        {
            return;
        }
        int inner = o + length;
        switch (protocol)
        {
            case 0x6558: // transparent Ethernet bridging
                DecodeInner(frame, TunnelKinds.Gre, Inner.Ethernet, 0, inner, ref p);
                return;
            case 0x88BE:
                // ERSPAN type II has an 8-byte header (version 1) and comes with GRE's sequence number; type I has
                // neither: the mirrored frame follows GRE's header at once.
                if ((flags & 0x10) != 0)
                {
                    if (h.Length < length + 8 || h[length] >> 4 != 1)
                    {
                        return;
                    }
                    inner += 8;
                }
                DecodeInner(frame, TunnelKinds.Gre | TunnelKinds.Erspan, Inner.Ethernet, 0, inner, ref p);
                return;
            case 0x22EB:
                // ERSPAN type III: a 12-byte header (version 2), an 8-byte platform subheader when its O bit is set;
                // its frame type says Ethernet (0) or IP (2).
                if (h.Length < length + 12 || h[length] >> 4 != 2)
                {
                    return;
                }
                int frameType = (h[length + 10] >> 2) & 0x1F;
                int erspan = 12 + ((h[length + 11] & 0x01) != 0 ? 8 : 0);
                if (frameType is not (0 or 2) || h.Length < length + erspan)
                {
                    return;
                }
                DecodeInner(frame, TunnelKinds.Gre | TunnelKinds.Erspan, frameType == 0 ? Inner.Ethernet : Inner.IpByVersion, 0,
                    inner + erspan, ref p);
                return;
            case 0x880B:
                DecodeInner(frame, TunnelKinds.Gre, Inner.Ppp, 0, inner, ref p);
                return;
            case 0x0800 or 0x86DD or 0x8847 or 0x8848 or 0x8100 or 0x88A8:
                DecodeInner(frame, TunnelKinds.Gre, Inner.EtherType, protocol, inner, ref p);
                return;
            case var _ when IsArubaWlan(protocol):
                DecodeInner(frame, TunnelKinds.Gre, Inner.Ieee80211, 0, inner, ref p);
                return;
            default:
                return; // keep-alives' and other vendors' payloads (WCCP, MikroTik's EoIP): the outer datagram is what we read
        }
    }

    /// <summary>
    /// Decodes what a tunnel carries, from <paramref name="offset"/> to the end of the outer payload, into
    /// <paramref name="p"/>: every field anew but the frame's own (its link layer's VLAN and EtherType, how much of it
    /// the capture kept) and the tunnels' count. Offsets still index the whole frame.
    /// </summary>
    private static void DecodeInner(ReadOnlySpan<byte> frame, TunnelKinds kind, Inner inner, ushort etherType, int offset, ref DecodedPacket p)
    {
        int end = Math.Min(frame.Length, p.PayloadOffset + p.CapturedPayloadLength);
        int notCaptured = Math.Max(0, p.PayloadLength - (end - p.PayloadOffset)); // the outer payload the snaplen cut off
        ushort vlanId = p.VlanId;
        byte vlanCount = p.VlanCount;
        ushort outerEtherType = p.EtherType;
        byte depth = (byte)(p.TunnelDepth + 1);
        TunnelKinds kinds = p.Tunnels | kind;
        byte budget = (byte)(p.TunnelBudget - 1);
        p = default;
        p.VlanId = vlanId;
        p.VlanCount = vlanCount;
        p.EtherType = outerEtherType;
        p.TunnelDepth = depth;
        p.Tunnels = kinds;
        p.TunnelBudget = budget;
        p.BytesNotCaptured = notCaptured;
        p.TcpOptions.WindowScale = -1;
        ReadOnlySpan<byte> bounded = frame[..end];
        switch (inner)
        {
            case Inner.Ethernet:
                DecodeEthernet(bounded, offset, ref p);
                return;
            case Inner.EtherType:
                DecodeEtherType(bounded, etherType, offset, ref p);
                return;
            case Inner.Ppp:
                DecodePpp(bounded, offset, ref p);
                return;
            case Inner.Ieee80211:
                DecodeIeee80211(bounded, offset, ref p);
                return;
            default:
                DecodeIpByVersion(bounded, offset, ref p);
                return;
        }
    }
}
