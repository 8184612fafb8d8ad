using System.Buffers.Binary;
using System.Net;
using PcapInsight.Core.Decoding;

namespace PcapInsight.TestKit;

/// <summary>
/// Builds frames byte by byte for decoder and flow tests, composably:
/// <c>Ethernet(0x0800, Ipv4("192.0.2.1", "192.0.2.2", 6, Tcp(1000, 80, seq: 1, flags: TcpFlags.Syn)))</c>.
/// Checksums are left zero: PcapInsight does not validate them (captures with offload carry wrong ones).
/// </summary>
public static class FrameBuilder
{
    /// <summary>An Ethernet II frame; <paramref name="vlans"/> adds 802.1Q tags, outermost first.</summary>
    public static byte[] Ethernet(ushort etherType, byte[] payload, params ushort[] vlans)
    {
        var frame = new List<byte>();
        frame.AddRange(new byte[] { 0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01 });
        foreach (ushort vlan in vlans)
        {
            frame.AddRange(BigEndian((ushort)0x8100));
            frame.AddRange(BigEndian(vlan));
        }
        frame.AddRange(BigEndian(etherType));
        frame.AddRange(payload);
        return frame.ToArray();
    }

    /// <summary>An IPv4 header (with optional options) and payload.</summary>
    public static byte[] Ipv4(string src, string dst, byte protocol, byte[] payload, ushort id = 1, bool dontFragment = false,
        bool moreFragments = false, int fragmentOffsetBytes = 0, byte[]? options = null, byte ttl = 64, int? totalLengthOverride = null)
    {
        options ??= [];
        int headerLength = 20 + options.Length;
        var ip = new byte[headerLength + payload.Length];
        ip[0] = (byte)(0x40 | (headerLength / 4));
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(2), (ushort)(totalLengthOverride ?? ip.Length));
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(4), id);
        ushort flags = (ushort)((dontFragment ? 0x4000 : 0) | (moreFragments ? 0x2000 : 0) | (fragmentOffsetBytes / 8));
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(6), flags);
        ip[8] = ttl;
        ip[9] = protocol;
        IPAddress.Parse(src).GetAddressBytes().CopyTo(ip, 12);
        IPAddress.Parse(dst).GetAddressBytes().CopyTo(ip, 16);
        options.CopyTo(ip, 20);
        payload.CopyTo(ip, headerLength);
        return ip;
    }

    /// <summary>An IPv6 header followed by <paramref name="extensionHeaders"/> (already chained) and payload.</summary>
    public static byte[] Ipv6(string src, string dst, byte nextHeader, byte[] payload, byte hopLimit = 64)
    {
        var ip = new byte[40 + payload.Length];
        ip[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(4), (ushort)payload.Length);
        ip[6] = nextHeader;
        ip[7] = hopLimit;
        IPAddress.Parse(src).GetAddressBytes().CopyTo(ip, 8);
        IPAddress.Parse(dst).GetAddressBytes().CopyTo(ip, 24);
        payload.CopyTo(ip, 40);
        return ip;
    }

    /// <summary>An IPv6 extension header of the 8-octet-unit kind (hop-by-hop, routing, destination options).</summary>
    public static byte[] Ipv6Extension(byte nextHeader, byte[] rest, int units = 0)
    {
        var header = new byte[(units + 1) * 8];
        header[0] = nextHeader;
        header[1] = (byte)units;
        rest.AsSpan(0, Math.Min(rest.Length, header.Length - 2)).CopyTo(header.AsSpan(2));
        return header;
    }

    /// <summary>An IPv6 fragment header.</summary>
    public static byte[] Ipv6Fragment(byte nextHeader, int offsetBytes, bool more, uint id)
    {
        var header = new byte[8];
        header[0] = nextHeader;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), (ushort)((offsetBytes & 0xFFF8) | (more ? 1 : 0)));
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), id);
        return header;
    }

    /// <summary>A TCP header with options (padded to 4 bytes) and <paramref name="payloadLength"/> bytes of payload.</summary>
    public static byte[] Tcp(ushort srcPort, ushort dstPort, uint seq = 0, uint ack = 0, TcpFlags flags = TcpFlags.Ack,
        ushort window = 65535, byte[]? options = null, int payloadLength = 0, int? dataOffsetWordsOverride = null)
    {
        options ??= [];
        int optionsLength = (options.Length + 3) & ~3;
        int headerLength = 20 + optionsLength;
        var tcp = new byte[headerLength + payloadLength];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, srcPort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(2), dstPort);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(4), seq);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(8), ack);
        tcp[12] = (byte)(((dataOffsetWordsOverride ?? headerLength / 4) << 4) | (((ushort)flags >> 8) & 1));
        tcp[13] = (byte)flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(14), window);
        options.CopyTo(tcp, 20);
        for (int i = 0; i < payloadLength; i++)
        {
            tcp[headerLength + i] = (byte)('a' + i % 26);
        }
        return tcp;
    }

    /// <summary>A UDP header and payload.</summary>
    public static byte[] Udp(ushort srcPort, ushort dstPort, int payloadLength = 0, int? lengthOverride = null)
    {
        var udp = new byte[8 + payloadLength];
        BinaryPrimitives.WriteUInt16BigEndian(udp, srcPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), dstPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)(lengthOverride ?? udp.Length));
        return udp;
    }

    /// <summary>A UDP datagram carrying a DNS header: <paramref name="id"/>, the QR bit set for a response, and 28 more bytes.</summary>
    public static byte[] Dns(ushort srcPort, ushort dstPort, ushort id, bool response)
    {
        byte[] udp = Udp(srcPort, dstPort, 40);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(8), id);
        udp[10] = response ? (byte)0x81 : (byte)0x01;
        return udp;
    }

    /// <summary>An ICMP or ICMPv6 message: type, code, 4 bytes of rest-of-header, payload.</summary>
    public static byte[] Icmp(byte type, byte code, uint restOfHeader = 0, int payloadLength = 0)
    {
        var icmp = new byte[8 + payloadLength];
        icmp[0] = type;
        icmp[1] = code;
        BinaryPrimitives.WriteUInt32BigEndian(icmp.AsSpan(4), restOfHeader);
        return icmp;
    }

    /// <summary>TCP option bytes: MSS.</summary>
    public static byte[] MssOption(ushort mss) => [2, 4, (byte)(mss >> 8), (byte)mss];

    /// <summary>TCP option bytes: window scale, preceded by a NOP.</summary>
    public static byte[] WindowScaleOption(byte shift) => [1, 3, 3, shift];

    /// <summary>TCP option bytes: SACK permitted, preceded by two NOPs.</summary>
    public static byte[] SackPermittedOption() => [1, 1, 4, 2];

    /// <summary>TCP option bytes: timestamps, preceded by two NOPs.</summary>
    public static byte[] TimestampOption(uint tsVal, uint tsEcr)
    {
        var o = new byte[12];
        o[0] = 1;
        o[1] = 1;
        o[2] = 8;
        o[3] = 10;
        BinaryPrimitives.WriteUInt32BigEndian(o.AsSpan(4), tsVal);
        BinaryPrimitives.WriteUInt32BigEndian(o.AsSpan(8), tsEcr);
        return o;
    }

    /// <summary>TCP option bytes: SACK blocks, preceded by two NOPs.</summary>
    public static byte[] SackOption(params (uint Left, uint Right)[] blocks)
    {
        var o = new byte[4 + 8 * blocks.Length];
        o[0] = 1;
        o[1] = 1;
        o[2] = 5;
        o[3] = (byte)(2 + 8 * blocks.Length);
        for (int i = 0; i < blocks.Length; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(o.AsSpan(4 + 8 * i), blocks[i].Left);
            BinaryPrimitives.WriteUInt32BigEndian(o.AsSpan(8 + 8 * i), blocks[i].Right);
        }
        return o;
    }

    /// <summary>Concatenates byte arrays.</summary>
    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    private static byte[] BigEndian(ushort value) => [(byte)(value >> 8), (byte)value];
}
