using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using Xunit;
using static PcapInsight.TestKit.FrameBuilder;
using static PcapInsight.TestKit.TunnelFrames;

namespace PcapInsight.Core.Tests.Decoding;

/// <summary>
/// Tunnels opened by the decoder: each encapsulation, crafted byte by byte, decodes to the datagram inside with its
/// offsets into the whole frame; a header that is cut, unknown or not the tunnel's leaves the outer datagram as it
/// was; the depth is bounded. (CorpusTunnelTests holds the real captures' inner headers to tshark's.)
/// </summary>
public class TunnelDecoderTests
{
    // The datagram inside every tunnel below: a TCP segment of 10 bytes between two documentation addresses.
    private static byte[] InnerIpv4() => Ipv4("198.51.100.1", "198.51.100.2", 6, Tcp(40000, 80, seq: 7, payloadLength: 10));
    private static byte[] InnerIpv6() => Ipv6("2001:db8::1", "2001:db8::2", 6, Tcp(40000, 80, seq: 7, payloadLength: 10));
    private static byte[] InnerEthernet(params ushort[] vlans) => Ethernet(0x0800, InnerIpv4(), vlans);

    private static byte[] OverIpv4(byte protocol, byte[] payload) => Ethernet(0x0800, Ipv4("192.0.2.1", "192.0.2.2", protocol, payload));
    private static byte[] OverUdp(ushort dstPort, byte[] payload) => OverIpv4(17, UdpCarrying(50000, dstPort, payload));

    public static TheoryData<string, byte[], TunnelKinds, int, string> Opened() => new()
    {
        { "GRE, IPv4 inside", OverIpv4(47, Gre(0x0800, InnerIpv4())), TunnelKinds.Gre, 1, "198.51.100.1" },
        { "GRE with checksum, key and sequence, IPv6 inside", OverIpv4(47, Gre(0x86DD, InnerIpv6(), checksum: true, key: 9, sequence: 3)), TunnelKinds.Gre, 1, "2001:db8::1" },
        { "GRE over IPv6", Ethernet(0x86DD, Ipv6("2001:db8:f::1", "2001:db8:f::2", 47, Gre(0x0800, InnerIpv4()))), TunnelKinds.Gre, 1, "198.51.100.1" },
        { "GRE, Ethernet inside (transparent bridging) with a VLAN tag", OverIpv4(47, Gre(0x6558, InnerEthernet(42))), TunnelKinds.Gre, 1, "198.51.100.1" },
        { "GRE, MPLS inside", OverIpv4(47, Gre(0x8847, [0x00, 0x01, 0x01, 0x40, .. InnerIpv4()])), TunnelKinds.Gre, 1, "198.51.100.1" },
        { "ERSPAN type I (no header)", OverIpv4(47, Gre(0x88BE, InnerEthernet())), TunnelKinds.Gre | TunnelKinds.Erspan, 1, "198.51.100.1" },
        { "ERSPAN type II", OverIpv4(47, Gre(0x88BE, ErspanII(InnerEthernet()), sequence: 1)), TunnelKinds.Gre | TunnelKinds.Erspan, 1, "198.51.100.1" },
        { "ERSPAN type III with its platform subheader", OverIpv4(47, Gre(0x22EB, ErspanIII(InnerEthernet(), platformSubheader: true), sequence: 1)), TunnelKinds.Gre | TunnelKinds.Erspan, 1, "198.51.100.1" },
        { "ERSPAN type III, IP frame type", OverIpv4(47, Gre(0x22EB, ErspanIII(InnerIpv6(), frameType: 2), sequence: 1)), TunnelKinds.Gre | TunnelKinds.Erspan, 1, "2001:db8::1" },
        { "PPTP's enhanced GRE, PPP inside", OverIpv4(47, PptpGre([0xFF, 0x03, 0x00, 0x21, .. InnerIpv4()], 5, 4)), TunnelKinds.Gre, 1, "198.51.100.1" },
        { "PPTP, compressed PPP header", OverIpv4(47, PptpGre([0x21, .. InnerIpv4()], 5, null)), TunnelKinds.Gre, 1, "198.51.100.1" },
        { "Aruba's GRE, an 802.11 data frame inside", OverIpv4(47, Gre(0x8200, Wlan(InnerIpv4()))), TunnelKinds.Gre, 1, "198.51.100.1" },
        { "Aruba's GRE, 802.11 QoS data with four addresses and HT control", OverIpv4(47, Gre(0x8310, Wlan(InnerIpv6(), etherType: 0x86DD, qos: true, fourAddresses: true, htControl: true))),
            TunnelKinds.Gre, 1, "2001:db8::1" },
        { "IPv4 in IPv4", OverIpv4(4, InnerIpv4()), TunnelKinds.IpInIp, 1, "198.51.100.1" },
        { "IPv6 in IPv4 (6in4)", OverIpv4(41, InnerIpv6()), TunnelKinds.IpInIp, 1, "2001:db8::1" },
        { "IPv6 in IPv6", Ethernet(0x86DD, Ipv6("2001:db8:f::1", "2001:db8:f::2", 41, InnerIpv6())), TunnelKinds.IpInIp, 1, "2001:db8::1" },
        { "VXLAN", OverUdp(4789, Vxlan(7, InnerEthernet())), TunnelKinds.Vxlan, 1, "198.51.100.1" },
        { "VXLAN from the tunnel's port (a reply)", OverIpv4(17, UdpCarrying(4789, 50000, Vxlan(7, InnerEthernet()))), TunnelKinds.Vxlan, 1, "198.51.100.1" },
        { "VXLAN on Linux's default port (flannel's)", OverUdp(8472, Vxlan(7, InnerEthernet())), TunnelKinds.Vxlan, 1, "198.51.100.1" },
        { "Geneve with options, Ethernet inside", OverUdp(6081, Geneve(0x6558, InnerEthernet(), optionBytes: 8)), TunnelKinds.Geneve, 1, "198.51.100.1" },
        { "Geneve, IPv6 inside", OverUdp(6081, Geneve(0x86DD, InnerIpv6())), TunnelKinds.Geneve, 1, "2001:db8::1" },
        { "Geneve from source port 0 (Open vSwitch)", OverIpv4(17, UdpCarrying(0, 6081, Geneve(0x6558, InnerEthernet()))), TunnelKinds.Geneve, 1, "198.51.100.1" },
        { "GTP-U", OverUdp(2152, GtpU(InnerIpv4())), TunnelKinds.GtpU, 1, "198.51.100.1" },
        { "GTP-U with a PDU session container", OverUdp(2152, GtpU(InnerIpv6(), pduSessionContainer: true)), TunnelKinds.GtpU, 1, "2001:db8::1" },
        { "Teredo", OverUdp(3544, Teredo(InnerIpv6())), TunnelKinds.Teredo, 1, "2001:db8::1" },
        { "Teredo with an origin indication", OverIpv4(17, UdpCarrying(3544, 50000, Teredo(InnerIpv6(), originIndication: true))), TunnelKinds.Teredo, 1, "2001:db8::1" },
        { "GRE within GRE", OverIpv4(47, Gre(0x0800, Ipv4("203.0.113.1", "203.0.113.2", 47, Gre(0x0800, InnerIpv4())))), TunnelKinds.Gre, 2, "198.51.100.1" },
        { "VXLAN over an ERSPAN mirror", OverIpv4(47, Gre(0x88BE, ErspanII(Ethernet(0x0800, Ipv4("203.0.113.1", "203.0.113.2", 17, UdpCarrying(50000, 4789, Vxlan(7, InnerEthernet()))))), sequence: 1)),
            TunnelKinds.Gre | TunnelKinds.Erspan | TunnelKinds.Vxlan, 2, "198.51.100.1" },
    };

    [Theory]
    [MemberData(nameof(Opened))]
    public void Decode_Tunnel_DescribesTheDatagramInside(string name, byte[] frame, TunnelKinds kinds, int depth, string innerSource)
    {
        var p = new DecodedPacket();
        FrameDecoder.Decode(frame, LinkType.Ethernet, ref p);

        Assert.True(p.Status == DecodeStatus.Ok, $"{name}: {p.Status} {p.Issue}");
        Assert.Equal(kinds, p.Tunnels);
        Assert.Equal(depth, p.TunnelDepth);
        Assert.Equal(IpAddr.Parse(innerSource), p.Src);
        Assert.Equal((byte)6, p.Protocol);
        Assert.Equal((ushort)40000, p.SrcPort);
        Assert.Equal((ushort)80, p.DstPort);
        Assert.Equal(7u, p.Seq);
        Assert.Equal(10, p.PayloadLength);
        Assert.Equal(10, p.CapturedPayloadLength);
        // Offsets index the whole frame: the inner IP header and the segment's bytes are where they say.
        Assert.Equal(p.IpVersion, frame[p.NetworkOffset] >> 4);
        Assert.Equal((byte)'a', frame[p.PayloadOffset]);
        Assert.Equal(frame.Length, p.PayloadOffset + p.PayloadLength);
        Assert.Equal(0, p.TrailerLength);
    }

    [Theory]
    [MemberData(nameof(Opened))]
    public void Decode_TunnelDepthZero_LeavesTheOuterDatagram(string name, byte[] frame, TunnelKinds kinds, int depth, string innerSource)
    {
        _ = (kinds, depth, innerSource);
        var p = new DecodedPacket();
        FrameDecoder.Decode(frame, LinkType.Ethernet, ref p, tunnelDepth: 0);

        Assert.True(p.Status == DecodeStatus.Ok, name);
        Assert.Equal(0, p.TunnelDepth);
        Assert.Equal(TunnelKinds.None, p.Tunnels);
        Assert.True(p.Protocol is 4 or 17 or 41 or 47, $"{name}: protocol {p.Protocol}");
    }

    public static TheoryData<string, byte[], byte> LeftShut() => new()
    {
        { "GRE carrying WCCP (a protocol not opened)", OverIpv4(47, Gre(0x883E, InnerEthernet())), 47 },
        { "GRE of a protocol type just past Aruba's", OverIpv4(47, Gre(0x8410, Wlan(InnerIpv4()))), 47 },
        { "GRE with RFC 1701's routing present", OverIpv4(47, Gre(0x0800, InnerIpv4(), flags: 0x40)), 47 },
        { "GRE version 1 without PPP", OverIpv4(47, Gre(0x0800, InnerIpv4(), key: 1, version: 1)), 47 },
        { "GRE version 2", OverIpv4(47, Gre(0x0800, InnerIpv4(), version: 2)), 47 },
        { "GRE cut inside its key", OverIpv4(47, Gre(0x0800, [], key: 1)[..6]), 47 },
        { "ERSPAN II of the wrong version", OverIpv4(47, Gre(0x88BE, [0x20, .. ErspanII(InnerEthernet())[1..]], sequence: 1)), 47 },
        { "ERSPAN III of an unknown frame type", OverIpv4(47, Gre(0x22EB, ErspanIII(InnerEthernet(), frameType: 3), sequence: 1)), 47 },
        { "IPv4 in IP whose inner version is 6", OverIpv4(4, InnerIpv6()), 4 },
        { "IPv6 in IP whose inner version is 4", OverIpv4(41, InnerIpv4()), 41 },
        { "VXLAN without its I flag", OverUdp(4789, Vxlan(7, InnerEthernet(), flags: 0)), 17 },
        { "VXLAN-GBP's flags on Linux's port, which is not IANA's", OverUdp(8472, Vxlan(7, InnerEthernet(), flags: 0x88)), 17 },
        { "a DNS answer to a resolver whose source port was VXLAN's", OverIpv4(17, UdpCarrying(53, 4789, Vxlan(7, InnerEthernet()))), 17 },
        { "a DNS answer to a resolver whose source port was GTP-U's", OverIpv4(17, UdpCarrying(53, 2152, GtpU(InnerIpv4()))), 17 },
        { "VXLAN too short for a frame", OverUdp(4789, Vxlan(7, [])), 17 },
        { "Geneve of version 1", OverUdp(6081, Geneve(0x6558, InnerEthernet(), version: 1)), 17 },
        { "Geneve of an unknown protocol", OverUdp(6081, Geneve(0x88CC, InnerEthernet())), 17 },
        { "Geneve whose options run to the end", OverUdp(6081, Geneve(0x6558, [], optionBytes: 8)), 17 },
        { "GTP-U echo request (not user data)", OverUdp(2152, GtpU(InnerIpv4(), messageType: 1)), 17 },
        { "GTP-U of version 2 (GTP-C)", OverUdp(2152, [0x48, .. GtpU(InnerIpv4())[1..]]), 17 },
        { "Teredo's port with something else than IPv6", OverUdp(3544, new byte[60]), 17 },
        { "Teredo's port with an IPv6 header whose length does not fill the datagram", OverUdp(3544, [.. InnerIpv6(), 0, 0]), 17 },
        { "a fragment of a GRE datagram", Ethernet(0x0800, Ipv4("192.0.2.1", "192.0.2.2", 47, Gre(0x0800, InnerIpv4()), moreFragments: true)), 47 },
    };

    [Theory]
    [MemberData(nameof(LeftShut))]
    public void Decode_NotQuiteATunnel_KeepsTheOuterDatagram(string name, byte[] frame, byte outerProtocol)
    {
        var p = new DecodedPacket();
        FrameDecoder.Decode(frame, LinkType.Ethernet, ref p);

        Assert.True(p.Status == DecodeStatus.Ok, $"{name}: {p.Status} {p.Issue}");
        Assert.Equal(0, p.TunnelDepth);
        Assert.Equal(IpAddr.Parse("192.0.2.1"), p.Src);
        Assert.Equal(outerProtocol, p.Protocol);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(4, 4)]
    [InlineData(16, 16)]
    [InlineData(1000, FrameDecoder.MaxTunnelDepth)]
    public void Decode_NestedBeyondTheLimit_StopsThere(int limit, int expectedDepth)
    {
        // 40 IPv4-in-IPv4 headers around the segment: a crafted frame may nest as deep as its bytes allow.
        byte[] datagram = InnerIpv4();
        for (int i = 0; i < 40; i++)
        {
            datagram = Ipv4("192.0.2.1", "192.0.2.2", 4, datagram);
        }
        var p = new DecodedPacket();
        FrameDecoder.Decode(Ethernet(0x0800, datagram), LinkType.Ethernet, ref p, tunnelDepth: limit);

        Assert.Equal(DecodeStatus.Ok, p.Status);
        Assert.Equal(expectedDepth, p.TunnelDepth);
        Assert.Equal((byte)4, p.Protocol);   // the datagram where the decoder stopped still carries IP in IP
        Assert.Equal(expectedDepth == 0 ? TunnelKinds.None : TunnelKinds.IpInIp, p.Tunnels);
    }

    [Fact]
    public void Decode_TunnelCutBySnaplen_InnerPayloadCountedAsTheHeadersState()
    {
        // VXLAN carrying a 1,000-byte segment, the frame cut 600 bytes before its end (tcpdump -s).
        byte[] whole = OverUdp(4789, Vxlan(7, Ethernet(0x0800, Ipv4("198.51.100.1", "198.51.100.2", 6, Tcp(40000, 80, payloadLength: 1000)))));
        byte[] cut = whole[..^600];
        var p = new DecodedPacket();
        FrameDecoder.Decode(cut, LinkType.Ethernet, ref p, bytesNotCaptured: 600);

        Assert.Equal(DecodeStatus.Ok, p.Status);
        Assert.Equal(TunnelKinds.Vxlan, p.Tunnels);
        Assert.Equal(1000, p.PayloadLength);
        Assert.Equal(400, p.CapturedPayloadLength);
        Assert.Equal(600, p.BytesNotCaptured);
        Assert.False(p.IpLengthExceedsFrame);
    }

    [Fact]
    public void Decode_TunnelCutInsideTheInnerHeader_IsTruncatedWithItsPorts()
    {
        byte[] whole = OverUdp(4789, Vxlan(7, InnerEthernet()));
        var p = new DecodedPacket();
        FrameDecoder.Decode(whole[..^24], LinkType.Ethernet, ref p, bytesNotCaptured: 24);   // 6 bytes of the inner TCP header left

        Assert.Equal(DecodeStatus.Truncated, p.Status);
        Assert.Equal(DecodeIssue.TcpTruncated, p.Issue);
        Assert.True(p.HasPorts);
        Assert.Equal((ushort)80, p.DstPort);
        Assert.Equal(1, p.TunnelDepth);
    }

    [Fact]
    public void Decode_InnerDatagramClaimingMoreThanTheTunnelCarried_IsClampedToIt()
    {
        // The outer datagram ends with the Ethernet frame's padding after it; the inner IPv4 header claims 200 bytes more.
        byte[] inner = Ipv4("198.51.100.1", "198.51.100.2", 17, Udp(53, 53, 4), totalLengthOverride: 232);
        byte[] frame = [.. OverIpv4(4, inner), .. new byte[16]];
        var p = new DecodedPacket();
        FrameDecoder.Decode(frame, LinkType.Ethernet, ref p);

        Assert.Equal(DecodeStatus.Ok, p.Status);
        Assert.True(p.IpLengthExceedsFrame);
        Assert.Equal(inner.Length, p.IpTotalLength);   // the outer datagram's end bounds it, not the frame's padding
    }

    [Fact]
    public void Decode_TunnelInsideALinkTypeOtherThanEthernet_IsOpenedToo()
    {
        byte[] frame = Ipv4("192.0.2.1", "192.0.2.2", 47, Gre(0x0800, InnerIpv4()));
        var p = new DecodedPacket();
        FrameDecoder.Decode(frame, LinkType.Raw, ref p);

        Assert.Equal(TunnelKinds.Gre, p.Tunnels);
        Assert.Equal(IpAddr.Parse("198.51.100.1"), p.Src);
        Assert.Equal(20 + 4, p.NetworkOffset);
    }

    public static TheoryData<string, LinkType, byte[]> WirelessLinks() => new()
    {
        { "802.11 data", LinkType.Ieee80211, Wlan(InnerIpv4()) },
        { "802.11 QoS data", LinkType.Ieee80211, Wlan(InnerIpv4(), qos: true) },
        { "802.11 after radiotap", LinkType.Ieee80211Radiotap, Radiotap(Wlan(InnerIpv4()), extra: 12) },
        { "802.11 after PPI", LinkType.Ppi, Ppi(Wlan(InnerIpv4())) },
        { "Ethernet after PPI", LinkType.Ppi, Ppi(Ethernet(0x0800, InnerIpv4()), linkType: 1) },
    };

    [Theory]
    [MemberData(nameof(WirelessLinks))]
    public void Decode_WirelessLinkType_ReadsTheDatagram(string name, LinkType link, byte[] frame)
    {
        var p = new DecodedPacket();
        FrameDecoder.Decode(frame, link, ref p);

        Assert.True(p.Status == DecodeStatus.Ok, $"{name}: {p.Status} {p.Issue}");
        Assert.True(FrameDecoder.Supports(link));
        Assert.Equal(IpAddr.Parse("198.51.100.1"), p.Src);
        Assert.Equal((ushort)80, p.DstPort);
        Assert.Equal((byte)'a', frame[p.PayloadOffset]);
        Assert.Equal(0, p.TunnelDepth);
    }

    public static TheoryData<string, LinkType, byte[], DecodeStatus> WirelessNotIp() => new()
    {
        { "a beacon (management)", LinkType.Ieee80211, Wlan(InnerIpv4(), type: 0, subtype: 8), DecodeStatus.NotIp },
        { "an ACK (control)", LinkType.Ieee80211, Wlan(InnerIpv4(), type: 1, subtype: 13), DecodeStatus.NotIp },
        { "null data (no body)", LinkType.Ieee80211, Wlan(InnerIpv4(), subtype: 4), DecodeStatus.NotIp },
        { "a protected data frame (encrypted)", LinkType.Ieee80211, Wlan(InnerIpv4(), protectedFrame: true), DecodeStatus.NotIp },
        { "a first fragment of an MSDU", LinkType.Ieee80211, Wlan(InnerIpv4(), moreFragments: true), DecodeStatus.NotIp },
        { "a later fragment of an MSDU", LinkType.Ieee80211, Wlan(InnerIpv4(), fragmentNumber: 1), DecodeStatus.NotIp },
        { "ARP", LinkType.Ieee80211, Wlan(new byte[28], etherType: 0x0806), DecodeStatus.NotIp },
        { "a header cut short", LinkType.Ieee80211, Wlan(InnerIpv4())[..20], DecodeStatus.Truncated },
        { "radiotap whose length runs past the frame", LinkType.Ieee80211Radiotap, Radiotap(Wlan(InnerIpv4()))[..6], DecodeStatus.Truncated },
        { "radiotap of version 1", LinkType.Ieee80211Radiotap, [1, .. Radiotap(Wlan(InnerIpv4()))[1..]], DecodeStatus.Truncated },
        { "PPI naming PPI", LinkType.Ppi, Ppi(Wlan(InnerIpv4()), linkType: 192), DecodeStatus.UnsupportedLinkType },
        { "PPI naming a link type not decoded", LinkType.Ppi, Ppi(Wlan(InnerIpv4()), linkType: 129), DecodeStatus.UnsupportedLinkType },
    };

    [Theory]
    [MemberData(nameof(WirelessNotIp))]
    public void Decode_WirelessFrameWithoutADatagram_SaysWhy(string name, LinkType link, byte[] frame, DecodeStatus expected)
    {
        var p = new DecodedPacket();
        FrameDecoder.Decode(frame, link, ref p);

        Assert.True(p.Status == expected, $"{name}: {p.Status} {p.Issue}");
    }

    [Fact]
    public void Decode_TunnelsWithDamagedBytes_NeverThrowAndStayInTheFrame()
    {
        // Every tunnel above, 5,000 times each with bytes changed past the outer IP header and cut at random:
        // the decoder never throws, never points past the frame, never opens more than it may.
        var random = new Random(20261129);
        var p = new DecodedPacket();
        foreach (object[] row in Opened())
        {
            byte[] valid = (byte[])row[1];
            for (int i = 0; i < 5_000; i++)
            {
                byte[] frame = valid[..random.Next(14, valid.Length + 1)];
                for (int flips = random.Next(1, 4); flips > 0; flips--)
                {
                    frame[random.Next(Math.Min(34, frame.Length - 1), frame.Length)] = (byte)random.Next(256);
                }
                int depth = random.Next(0, 3);
                FrameDecoder.Decode(frame, LinkType.Ethernet, ref p, bytesNotCaptured: valid.Length - frame.Length, tunnelDepth: depth);

                Assert.True(p.TunnelDepth <= depth);
                Assert.True(p.CapturedPayloadLength >= 0 && p.PayloadOffset + p.CapturedPayloadLength <= Math.Max(frame.Length, p.PayloadOffset));
                Assert.True(p.IpVersion == 0 || p.NetworkOffset < frame.Length);
            }
        }
    }
}
