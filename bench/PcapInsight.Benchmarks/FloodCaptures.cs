using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using PcapInsight.TestKit;

namespace PcapInsight.Benchmarks;

/// <summary>
/// Captures of fragments and out-of-order segments in the shapes that once cost time or memory out of proportion
/// (bench/RESULTS.md, "Fragment floods"), to measure what they cost now: whole-process runs of analyze and follow.
/// </summary>
public static class FloodCaptures
{
    /// <summary>
    /// <paramref name="count"/> fragments of IPv4 UDP datagrams shaped as <paramref name="shape"/>:
    /// <c>pairs</c>, datagrams of 1,580 bytes in two fragments (the common case, <paramref name="count"/>/2 datagrams);
    /// <c>disjoint</c>, datagrams split into 4,096 eight-byte pieces a slot apart, never complete (ascending offsets);
    /// <c>disjoint-descending</c>, the same from the last piece down; <c>copies</c>, one datagram's first fragment of
    /// 1,400 bytes sent over and over.
    /// </summary>
    public static void WriteFragments(string path, int count, string shape)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        using var writer = new PcapWriter(file, LinkType.Ethernet);
        byte[] payload = new byte[1480];
        Array.Fill(payload, (byte)0x55);
        long t = 1_700_000_000_000_000_000;
        for (int i = 0; i < count; i++)
        {
            (int datagram, int offset, int length, bool more) = shape switch
            {
                "pairs" => (i / 2, i % 2 == 0 ? 0 : 1480, i % 2 == 0 ? 1480 : 100, i % 2 == 0),
                "disjoint" => (i / 4096, i % 4096 * 16, 8, true),
                "disjoint-descending" => (i / 4096, (4095 - i % 4096) * 16, 8, true),
                "copies" => (0, 0, 1400, true),
                _ => throw new ArgumentException($"unknown shape {shape}: pairs, disjoint, disjoint-descending or copies"),
            };
            string src = $"192.0.2.{1 + datagram / 65536 % 200}";
            byte[] frame = FrameBuilder.Ethernet(0x0800, FrameBuilder.Ipv4(src, "198.51.100.1", 17, payload[..length],
                id: (ushort)datagram, moreFragments: more, fragmentOffsetBytes: offset));
            writer.Write(t += 1_000, frame);
        }
    }

    /// <summary>
    /// One TCP connection (SYN, SYN-ACK, ACK) and then <paramref name="segments"/> one-byte segments a byte apart after
    /// a hole never filled: what `follow` must hold out of order.
    /// </summary>
    public static void WriteHoles(string path, int segments)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        using var writer = new PcapWriter(file, LinkType.Ethernet);
        long t = 1_700_000_000_000_000_000;
        writer.Write(t += 1_000, Segment("192.0.2.1", "198.51.100.1", 40000, 80, 1000, 0, TcpFlags.Syn, 0));
        writer.Write(t += 1_000, Segment("198.51.100.1", "192.0.2.1", 80, 40000, 5000, 1001, TcpFlags.Syn | TcpFlags.Ack, 0));
        writer.Write(t += 1_000, Segment("192.0.2.1", "198.51.100.1", 40000, 80, 1001, 5001, TcpFlags.Ack, 0));
        for (int i = 0; i < segments; i++)
        {
            writer.Write(t += 1_000, Segment("192.0.2.1", "198.51.100.1", 40000, 80, (uint)(1003 + 2 * i), 5001, TcpFlags.Ack | TcpFlags.Psh, 1));
        }
    }

    /// <summary>
    /// <paramref name="count"/> DNS exchanges, each a flow of its own (a query from a new client port to port 53 and its
    /// answer): a resolver's traffic, whose flows each hold a pending query for a moment.
    /// </summary>
    public static void WriteDnsExchanges(string path, int count)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        using var writer = new PcapWriter(file, LinkType.Ethernet);
        long t = 1_700_000_000_000_000_000;
        for (int i = 0; i < count; i++)
        {
            string client = $"192.0.2.{1 + i / 60_000 % 250}";
            ushort port = (ushort)(1024 + i % 60_000);
            writer.Write(t += 1_000, Dns(client, "198.51.100.53", port, 53, (ushort)i, response: false));
            writer.Write(t += 1_000, Dns("198.51.100.53", client, 53, port, (ushort)i, response: true));
        }
    }

    private static byte[] Dns(string src, string dst, ushort srcPort, ushort dstPort, ushort id, bool response) =>
        FrameBuilder.Ethernet(0x0800, FrameBuilder.Ipv4(src, dst, 17, FrameBuilder.Dns(srcPort, dstPort, id, response)));

    private static byte[] Segment(string src, string dst, ushort srcPort, ushort dstPort, uint seq, uint ack, TcpFlags flags, int length) =>
        FrameBuilder.Ethernet(0x0800, FrameBuilder.Ipv4(src, dst, 6, FrameBuilder.Tcp(srcPort, dstPort, seq, ack, flags, payloadLength: length)));
}
