using System.Buffers.Binary;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using PcapInsight.TestKit;
using Xunit;
using static PcapInsight.TestKit.FrameBuilder;

namespace PcapInsight.Core.Tests.Decoding;

public class FrameDecoderTests
{
    private static DecodedPacket Decode(byte[] frame, LinkType link = LinkType.Ethernet)
    {
        var p = new DecodedPacket();
        FrameDecoder.Decode(frame, link, ref p);
        return p;
    }

    [Fact]
    public void Decode_EthernetIpv4TcpSynWithOptions_ReadsEveryField()
    {
        byte[] options = Concat(MssOption(1460), SackPermittedOption(), TimestampOption(111, 0), WindowScaleOption(7));
        byte[] frame = Ethernet(0x0800, Ipv4("192.0.2.10", "198.51.100.20", 6,
            Tcp(40000, 443, seq: 0xFFFFFFF0, ack: 0, flags: TcpFlags.Syn | TcpFlags.Ece | TcpFlags.Cwr, window: 64240, options: options), id: 0x1234, dontFragment: true));

        DecodedPacket p = Decode(frame);

        Assert.Equal(DecodeStatus.Ok, p.Status);
        Assert.Equal(4, p.IpVersion);
        Assert.Equal(IpAddr.Parse("192.0.2.10"), p.Src);
        Assert.Equal(IpAddr.Parse("198.51.100.20"), p.Dst);
        Assert.Equal((byte)6, p.Protocol);
        Assert.Equal(0x1234u, p.IpId);
        Assert.True(p.DontFragment);
        Assert.False(p.IsFragment);
        Assert.Equal((ushort)40000, p.SrcPort);
        Assert.Equal((ushort)443, p.DstPort);
        Assert.Equal(0xFFFFFFF0u, p.Seq);
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ece | TcpFlags.Cwr, p.Flags);
        Assert.Equal((ushort)64240, p.Window);
        Assert.Equal((ushort)1460, p.TcpOptions.Mss);
        Assert.Equal((sbyte)7, p.TcpOptions.WindowScale);
        Assert.True(p.TcpOptions.SackPermitted);
        Assert.True(p.TcpOptions.HasTimestamps);
        Assert.Equal(111u, p.TcpOptions.TsVal);
        Assert.Equal(0, p.PayloadLength);
        Assert.Equal(14 + 20 + 20 + 24, p.PayloadOffset); // 24 bytes of options
    }

    [Fact]
    public void Decode_TcpWithSackBlocksAndPayloadAndEthernetPadding_PayloadExcludesPadding()
    {
        byte[] ip = Ipv4("192.0.2.1", "192.0.2.2", 6, Tcp(1, 2, seq: 100, ack: 5, options: SackOption((10, 20), (30, 40)), payloadLength: 3));
        byte[] frame = Concat(Ethernet(0x0800, ip), new byte[6]); // 6 bytes of Ethernet padding

        DecodedPacket p = Decode(frame);

        Assert.Equal(3, p.PayloadLength);
        Assert.Equal(3, p.CapturedPayloadLength);
        Assert.Equal(6, p.TrailerLength);
        Assert.Equal((byte)2, p.TcpOptions.SackBlockCount);
        Assert.Equal(30u, p.TcpOptions.Sack[2]);
        Assert.Equal(40u, p.TcpOptions.Sack[3]);
    }

    [Fact]
    public void Decode_SnaplenCutPayload_KeepsStatedLengthAndCountsWhatIsPresent()
    {
        byte[] frame = Ethernet(0x0800, Ipv4("192.0.2.1", "192.0.2.2", 6, Tcp(1, 2, payloadLength: 1000)));

        var p = new DecodedPacket();
        FrameDecoder.Decode(frame[..80], LinkType.Ethernet, ref p, bytesNotCaptured: frame.Length - 80);

        Assert.Equal(DecodeStatus.Ok, p.Status);
        Assert.Equal(1000, p.PayloadLength);            // as tshark's tcp.len
        Assert.Equal(80 - 54, p.CapturedPayloadLength);
        Assert.False(p.IpLengthExceedsFrame);
    }

    [Fact]
    public void Decode_IpLengthPastAFrameThatWasNotCut_IsClampedToTheFrame()
    {
        // The frame was captured whole, yet its IPv4 header claims 1000 more bytes: they never existed.
        byte[] frame = Ethernet(0x0800, Ipv4("192.0.2.1", "192.0.2.2", 6, Tcp(1, 2, payloadLength: 10), totalLengthOverride: 1050));

        DecodedPacket p = Decode(frame);

        Assert.True(p.IpLengthExceedsFrame);
        Assert.Equal(10, p.PayloadLength);
    }

    public static TheoryData<string, byte[], LinkType, ushort, byte> LinkLayers()
    {
        byte[] ip = Ipv4("203.0.113.1", "203.0.113.2", 17, Udp(7, 9, 4));
        byte[] ip6 = Ipv6("2001:db8::1", "2001:db8::2", 17, Udp(7, 9, 4));
        var sll = new byte[16];
        BinaryPrimitives.WriteUInt16BigEndian(sll.AsSpan(14), 0x0800);
        var sll2 = new byte[20];
        BinaryPrimitives.WriteUInt16BigEndian(sll2, 0x86DD);
        byte[] nullLe = [2, 0, 0, 0];
        byte[] nullBe = [0, 0, 0, 2];
        byte[] loop6 = [0, 0, 0, 24];
        byte[] nullLinux6 = [10, 0, 0, 0];
        byte[] qinq = Ethernet(0x0800, ip, 0x0064, 0x00C8);
        qinq[12] = 0x88; // outer tag as 802.1ad
        qinq[13] = 0xA8;
        // PPPoE header: ver/type, code, session id, length of the PPP payload (protocol field included).
        byte[] pppoe = Concat(new byte[12], [0x88, 0x64, 0x11, 0, 0, 1, 0, (byte)(2 + ip.Length)], [0x00, 0x21], ip, new byte[4]);
        byte[] pppoeCompressed = Concat(new byte[12], [0x88, 0x64, 0x11, 0, 0, 1, 0, (byte)(1 + ip.Length)], [0x21], ip);
        byte[] mpls = Concat(new byte[12], [0x88, 0x47], [0, 0, 0x10, 64], [0, 0, 0x21, 64], ip);
        byte[] snap = Concat(new byte[12], [0, 50, 0xAA, 0xAA, 0x03, 0, 0, 0, 0x08, 0x00], ip);
        byte[] ppp = Concat([0xFF, 0x03, 0x00, 0x21], ip);
        byte[] hdlc = Concat([0x0F, 0x00, 0x86, 0xDD], ip6);
        return new TheoryData<string, byte[], LinkType, ushort, byte>
        {
            { "Ethernet", Ethernet(0x0800, ip), LinkType.Ethernet, 0, 4 },
            { "802.1Q", Ethernet(0x0800, ip, 0x0123), LinkType.Ethernet, 0x123, 4 },
            { "802.1ad + 802.1Q", qinq, LinkType.Ethernet, 100, 4 },
            { "802.3 LLC/SNAP", snap, LinkType.Ethernet, 0, 4 },
            { "PPPoE session", pppoe, LinkType.Ethernet, 0, 4 },
            { "PPPoE, compressed PPP protocol", pppoeCompressed, LinkType.Ethernet, 0, 4 },
            { "MPLS two labels", mpls, LinkType.Ethernet, 0, 4 },
            { "Linux SLL", Concat(sll, ip), LinkType.LinuxSll, 0, 4 },
            { "Linux SLL2, IPv6", Concat(sll2, ip6), LinkType.LinuxSll2, 0, 6 },
            { "raw 101, IPv4", ip, LinkType.Raw, 0, 4 },
            { "raw 101, IPv6", ip6, LinkType.Raw, 0, 6 },
            { "raw 12 (BSD)", ip, LinkType.RawBsd12, 0, 4 },
            { "IPV4 228", ip, LinkType.Ipv4, 0, 4 },
            { "IPV6 229", ip6, LinkType.Ipv6, 0, 6 },
            { "NULL, little-endian host", Concat(nullLe, ip), LinkType.Null, 0, 4 },
            { "NULL, big-endian host", Concat(nullBe, ip), LinkType.Null, 0, 4 },
            { "NULL, Linux AF_INET6", Concat(nullLinux6, ip6), LinkType.Null, 0, 6 },
            { "LOOP, BSD AF_INET6", Concat(loop6, ip6), LinkType.Loop, 0, 6 },
            { "PPP with address/control", ppp, LinkType.Ppp, 0, 4 },
            { "Cisco HDLC, IPv6", hdlc, LinkType.CiscoHdlc, 0, 6 },
        };
    }

    [Theory]
    [MemberData(nameof(LinkLayers))]
    public void Decode_EachLinkLayer_FindsTheIpDatagramAndUdpPorts(string name, byte[] frame, LinkType link, ushort vlan, byte version)
    {
        DecodedPacket p = Decode(frame, link);

        Assert.True(p.Status == DecodeStatus.Ok, $"{name}: {p.Status} {p.Issue}");
        Assert.Equal(version, p.IpVersion);
        Assert.Equal(vlan, p.VlanId);
        Assert.Equal((ushort)7, p.SrcPort);
        Assert.Equal((ushort)9, p.DstPort);
        Assert.Equal(4, p.PayloadLength);
    }

    [Fact]
    public void Decode_SnaplenCutInsideIpv6ExtensionHeaders_IsTruncatedNotAnException()
    {
        // Found by fuzzing (fuzz/README.md): a 24-byte hop-by-hop header and TCP, the frame cut 10 bytes into the
        // extension header. Its end lies past the frame but within the IP length the header states.
        byte[] frame = Ethernet(0x86DD, Ipv6("2001:db8::a", "2001:db8::b", 0, Concat(Ipv6Extension(6, new byte[22], units: 2), Tcp(5000, 80, payloadLength: 100))));

        var p = new DecodedPacket();
        FrameDecoder.Decode(frame[..64], LinkType.Ethernet, ref p, bytesNotCaptured: frame.Length - 64);

        Assert.Equal((DecodeStatus.Truncated, DecodeIssue.Ipv6Truncated), (p.Status, p.Issue));
    }

    [Fact]
    public void Decode_Ipv6ExtensionChainThenTcp_FindsTcp()
    {
        byte[] tcp = Tcp(5000, 80, seq: 7, flags: TcpFlags.Ack | TcpFlags.Psh, payloadLength: 10);
        byte[] chain = Concat(Ipv6Extension(43, [0, 0]), Ipv6Extension(60, [1, 4, 0, 0, 0, 0], units: 1), Ipv6Extension(6, []), tcp);
        byte[] frame = Ethernet(0x86DD, Ipv6("2001:db8::a", "2001:db8::b", 0, chain));

        DecodedPacket p = Decode(frame);

        Assert.Equal(DecodeStatus.Ok, p.Status);
        Assert.Equal((byte)6, p.Protocol);
        Assert.Equal(40 + 8 + 16 + 8, p.IpHeaderLength);
        Assert.Equal((ushort)5000, p.SrcPort);
        Assert.Equal(10, p.PayloadLength);
    }

    [Theory]
    [InlineData(0, true, true)]      // first fragment: ports readable
    [InlineData(1448, true, false)]  // middle fragment: no transport header
    [InlineData(2896, false, false)] // last fragment
    public void Decode_Ipv6Fragment_ReportsOffsetIdAndPortsOnlyInTheFirst(int offset, bool more, bool hasPorts)
    {
        byte[] body = offset == 0 ? Udp(53, 53, 100) : new byte[100];
        byte[] frame = Ethernet(0x86DD, Ipv6("2001:db8::1", "2001:db8::2", 44, Concat(Ipv6Fragment(17, offset, more, 0xCAFE), body)));

        DecodedPacket p = Decode(frame);

        Assert.Equal(DecodeStatus.Ok, p.Status);
        Assert.True(p.IsFragment);
        Assert.True(p.HasIpv6FragmentHeader);
        Assert.Equal(offset, p.FragmentOffset);
        Assert.Equal(more, p.MoreFragments);
        Assert.Equal(0xCAFEu, p.IpId);
        Assert.Equal((byte)17, p.Protocol);
        Assert.Equal(hasPorts, p.HasPorts);
    }

    [Fact]
    public void Decode_Ipv4LaterFragment_HasNoTransportAndIsNotMalformed()
    {
        byte[] frame = Ethernet(0x0800, Ipv4("192.0.2.1", "192.0.2.2", 17, new byte[64], id: 9, fragmentOffsetBytes: 1480));

        DecodedPacket p = Decode(frame);

        Assert.Equal(DecodeStatus.Ok, p.Status);
        Assert.True(p.IsFragment);
        Assert.Equal(1480, p.FragmentOffset);
        Assert.False(p.HasTransport);
    }

    [Fact]
    public void Decode_TinyFirstFragmentSplittingTheTcpHeader_IsNotMalformed()
    {
        byte[] frame = Ethernet(0x0800, Ipv4("192.0.2.1", "192.0.2.2", 6, Tcp(1, 2)[..8], moreFragments: true));

        DecodedPacket p = Decode(frame);

        Assert.Equal(DecodeStatus.Ok, p.Status);
        Assert.True(p.IsFragment);
        Assert.False(p.HasTransport);
    }

    [Fact]
    public void Decode_IcmpFragmentationNeeded_ReadsNextHopMtu()
    {
        byte[] frame = Ethernet(0x0800, Ipv4("192.0.2.254", "192.0.2.1", 1, Icmp(3, 4, restOfHeader: 1400, payloadLength: 28)));

        DecodedPacket p = Decode(frame);

        Assert.Equal((byte)3, p.IcmpType);
        Assert.Equal((byte)4, p.IcmpCode);
        Assert.Equal(1400, p.IcmpMtu);
    }

    [Fact]
    public void Decode_Icmpv6PacketTooBig_ReadsMtu()
    {
        byte[] frame = Ethernet(0x86DD, Ipv6("2001:db8::fe", "2001:db8::1", 58, Icmp(2, 0, restOfHeader: 1280, payloadLength: 48)));

        DecodedPacket p = Decode(frame);

        Assert.Equal((byte)58, p.Protocol);
        Assert.Equal(1280, p.IcmpMtu);
    }

    public static TheoryData<string, byte[], LinkType, DecodeStatus, DecodeIssue> BadFrames() => new()
    {
        { "empty Ethernet", [], LinkType.Ethernet, DecodeStatus.Truncated, DecodeIssue.LinkTruncated },
        { "ARP", Ethernet(0x0806, new byte[28]), LinkType.Ethernet, DecodeStatus.NotIp, DecodeIssue.None },
        { "IPv4 header cut", Ethernet(0x0800, Ipv4("192.0.2.1", "192.0.2.2", 6, [])[..12]), LinkType.Ethernet, DecodeStatus.Truncated, DecodeIssue.Ipv4Truncated },
        { "IHL 4", SetByte(Ethernet(0x0800, Ipv4("192.0.2.1", "192.0.2.2", 6, Tcp(1, 2))), 14, 0x44), LinkType.Ethernet, DecodeStatus.Malformed, DecodeIssue.Ipv4HeaderLengthTooSmall },
        { "total length 10", Ethernet(0x0800, Ipv4("192.0.2.1", "192.0.2.2", 6, Tcp(1, 2), totalLengthOverride: 10)), LinkType.Ethernet, DecodeStatus.Malformed, DecodeIssue.Ipv4TotalLengthTooSmall },
        { "version 5 on raw", [0x50, 0, 0, 20], LinkType.Raw, DecodeStatus.Malformed, DecodeIssue.IpBadVersion },
        { "IPv6 in an IPv4 EtherType", Ethernet(0x0800, Ipv6("2001:db8::1", "2001:db8::2", 59, [])), LinkType.Ethernet, DecodeStatus.Malformed, DecodeIssue.IpBadVersion },
        { "TCP header cut", Ethernet(0x0800, Ipv4("192.0.2.1", "192.0.2.2", 6, Tcp(1, 2)))[..44], LinkType.Ethernet, DecodeStatus.Truncated, DecodeIssue.TcpTruncated },
        { "TCP data offset 3", Ethernet(0x0800, Ipv4("192.0.2.1", "192.0.2.2", 6, Tcp(1, 2, dataOffsetWordsOverride: 3))), LinkType.Ethernet, DecodeStatus.Malformed, DecodeIssue.TcpBadDataOffset },
        { "TCP data offset past segment", Ethernet(0x0800, Ipv4("192.0.2.1", "192.0.2.2", 6, Tcp(1, 2, dataOffsetWordsOverride: 15))), LinkType.Ethernet, DecodeStatus.Malformed, DecodeIssue.TcpBadDataOffset },
        { "UDP header cut", Ethernet(0x0800, Ipv4("192.0.2.1", "192.0.2.2", 17, Udp(1, 2)[..5])), LinkType.Ethernet, DecodeStatus.Truncated, DecodeIssue.UdpTruncated },
        { "IPv6 header cut", Ethernet(0x86DD, Ipv6("2001:db8::1", "2001:db8::2", 17, Udp(1, 2)))[..40], LinkType.Ethernet, DecodeStatus.Truncated, DecodeIssue.Ipv6Truncated },
        { "IPv6 extension loop", Ethernet(0x86DD, Ipv6("2001:db8::1", "2001:db8::2", 0, Concat(Enumerable.Repeat(Ipv6Extension(0, []), 20).ToArray()))), LinkType.Ethernet, DecodeStatus.Malformed, DecodeIssue.Ipv6BadExtensionHeader },
        { "VLAN tag cut", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x81, 0x00, 0], LinkType.Ethernet, DecodeStatus.Truncated, DecodeIssue.LinkTruncated },
        { "unknown link type", new byte[40], (LinkType)147, DecodeStatus.UnsupportedLinkType, DecodeIssue.None },
    };

    [Theory]
    [MemberData(nameof(BadFrames))]
    public void Decode_BadFrame_IsMarkedNotThrown(string name, byte[] frame, LinkType link, DecodeStatus status, DecodeIssue issue)
    {
        DecodedPacket p = Decode(frame, link);

        Assert.True(status == p.Status && issue == p.Issue, $"{name}: got {p.Status}/{p.Issue}");
    }

    [Fact]
    public void Decode_ReusedStruct_ForgetsThePreviousFrame()
    {
        var p = new DecodedPacket();
        FrameDecoder.Decode(Ethernet(0x0800, Ipv4("192.0.2.1", "192.0.2.2", 6, Tcp(1, 2, options: MssOption(1400)))), LinkType.Ethernet, ref p);
        FrameDecoder.Decode(Ethernet(0x0806, new byte[28]), LinkType.Ethernet, ref p);

        Assert.Equal(DecodeStatus.NotIp, p.Status);
        Assert.Equal(0, p.IpVersion);
        Assert.Equal((ushort)0, p.TcpOptions.Mss);
        Assert.Equal((sbyte)-1, p.TcpOptions.WindowScale);
    }

    [Fact]
    public void Decode_RandomBytesOnEveryLinkType_NeverThrows()
    {
        var random = new Random(12345);
        var p = new DecodedPacket();
        LinkType[] links = [LinkType.Ethernet, LinkType.LinuxSll, LinkType.LinuxSll2, LinkType.Raw, LinkType.Null, LinkType.Loop,
            LinkType.Ppp, LinkType.CiscoHdlc, LinkType.Nflog, LinkType.Fddi, LinkType.IpOverInfiniband, LinkType.Pktap, LinkType.Ipv4, LinkType.Ipv6,
            LinkType.Ieee80211, LinkType.Ieee80211Radiotap, LinkType.Ppi];
        for (int i = 0; i < 200_000; i++)
        {
            var frame = new byte[random.Next(0, 120)];
            random.NextBytes(frame);
            if (frame.Length > 20 && i % 2 == 0)
            {
                frame[14 % frame.Length] = (byte)(i % 4 == 0 ? 0x45 : 0x60); // steer half of them into IP
                frame[12] = 0x08;
                frame[13] = 0x00;
            }
            FrameDecoder.Decode(frame, links[i % links.Length], ref p);
            Assert.True(p.PayloadOffset <= frame.Length || p.CapturedPayloadLength == 0);
            Assert.True(p.CapturedPayloadLength >= 0 && p.PayloadOffset + p.CapturedPayloadLength <= Math.Max(frame.Length, p.PayloadOffset));
        }
    }

    private static byte[] SetByte(byte[] frame, int index, byte value)
    {
        frame[index] = value;
        return frame;
    }
}
