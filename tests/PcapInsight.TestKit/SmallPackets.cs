using System.Buffers.Binary;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;

namespace PcapInsight.TestKit;

/// <summary>
/// Writes a large capture of small TCP segments fast: headers only (a 64-byte snaplen, as tcpdump -s 64 writes),
/// many flows, both directions, sequence numbers advancing as real bulk transfers do. The benchmark's small.pcap
/// (<c>make-small</c>), the reader's micro-benchmark and the memory-bound tests are written by it.
/// </summary>
public static class SmallPackets
{
    /// <summary>
    /// Writes <paramref name="packets"/> frames spread round-robin over <paramref name="flows"/> flows (one flow: a bulk
    /// transfer), each a full-sized data segment captured to its headers, every fourth round the receivers' ACKs.
    /// </summary>
    public static void Write(string path, long packets, int flows)
    {
        byte[] template = FrameBuilder.Ethernet(0x0800, FrameBuilder.Ipv4("192.0.2.1", "198.51.100.1", 6,
            FrameBuilder.Tcp(40000, 443, seq: 1, ack: 1, flags: TcpFlags.Ack | TcpFlags.Psh, payloadLength: 1448)));
        const int snaplen = 64;
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        using var writer = new PcapWriter(file, LinkType.Ethernet, snaplen: snaplen);
        byte[] frame = template[..snaplen];
        var seq = new uint[flows];
        long t = 1_700_000_000_000_000_000;
        for (long i = 0; i < packets; i++)
        {
            int flow = (int)(i % flows);
            bool reply = (i / flows) % 4 == 3; // every fourth round the receiver ACKs
            t += 1_000;
            uint clientAddress = 0xC0000200u + (uint)(flow >> 16);  // 192.0.2.x
            ushort clientPort = (ushort)(10_000 + (flow & 0xFFFF));
            BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(14 + (reply ? 16 : 12)), clientAddress);
            BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(14 + (reply ? 12 : 16)), 0xC6336401u); // 198.51.100.1
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(34 + (reply ? 2 : 0)), clientPort);
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(34 + (reply ? 0 : 2)), 443);
            if (reply)
            {
                BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(38), 1);
                BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(42), seq[flow]);
                BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(16), 40);   // IP total length of a pure ACK
                writer.Write(t, frame[..54], originalLength: 54);
            }
            else
            {
                BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(38), seq[flow]);
                BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(42), 1);
                BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(16), 1488);
                seq[flow] += 1448;
                writer.Write(t, frame, originalLength: template.Length);
            }
        }
    }
}
