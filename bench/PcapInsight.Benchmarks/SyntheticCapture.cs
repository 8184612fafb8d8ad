using System.Buffers.Binary;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using PcapInsight.TestKit;

namespace PcapInsight.Benchmarks;

/// <summary>
/// Writes a large capture of small TCP segments fast: headers only (a 64-byte snaplen, as tcpdump -s 64 writes),
/// many flows, both directions, sequence numbers advancing as real bulk transfers do.
/// </summary>
public static class SyntheticCapture
{
    /// <summary>Writes <paramref name="packets"/> frames spread round-robin over <paramref name="flows"/> flows.</summary>
    public static void WriteSmallPackets(string path, long packets, int flows)
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

    /// <summary>
    /// Writes <paramref name="flows"/> complete short TCP connections (SYN, SYN-ACK, ACK, a 100-byte request, a
    /// 200-byte response, FIN, FIN, ACK: 8 frames each), 64 at a time interleaved, one frame a microsecond, as a
    /// busy front end's capture looks: the million-flow capture of bench/compare.sh.
    /// </summary>
    public static void WriteShortFlows(string path, int flows)
    {
        const int concurrent = 64;
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        using var writer = new PcapWriter(file, LinkType.Ethernet, snaplen: 96);
        long t = 1_700_000_000_000_000_000;
        for (int first = 0; first < flows; first += concurrent)
        {
            int count = Math.Min(concurrent, flows - first);
            for (int step = 0; step < 8; step++)
            {
                for (int f = first; f < first + count; f++)
                {
                    t += 1_000;
                    byte[] frame = ShortFlowFrame(f, step);
                    writer.Write(t, frame.AsSpan(0, Math.Min(96, frame.Length)), originalLength: frame.Length);
                }
            }
        }
    }

    private static byte[] ShortFlowFrame(int flow, int step)
    {
        string client = $"192.0.2.{1 + flow / 60_000 % 250}";
        const string server = "198.51.100.1";
        ushort port = (ushort)(1024 + flow % 60_000);
        const uint c = 1_000, s = 5_000;   // initial sequence numbers
        byte[] mss = FrameBuilder.MssOption(1460);
        (bool fromClient, byte[] tcp) = step switch
        {
            0 => (true, FrameBuilder.Tcp(port, 80, c, 0, TcpFlags.Syn, options: mss)),
            1 => (false, FrameBuilder.Tcp(80, port, s, c + 1, TcpFlags.Syn | TcpFlags.Ack, options: mss)),
            2 => (true, FrameBuilder.Tcp(port, 80, c + 1, s + 1, TcpFlags.Ack)),
            3 => (true, FrameBuilder.Tcp(port, 80, c + 1, s + 1, TcpFlags.Ack | TcpFlags.Psh, payloadLength: 100)),
            4 => (false, FrameBuilder.Tcp(80, port, s + 1, c + 101, TcpFlags.Ack | TcpFlags.Psh, payloadLength: 200)),
            5 => (true, FrameBuilder.Tcp(port, 80, c + 101, s + 201, TcpFlags.Ack | TcpFlags.Fin)),
            6 => (false, FrameBuilder.Tcp(80, port, s + 201, c + 102, TcpFlags.Ack | TcpFlags.Fin)),
            _ => (true, FrameBuilder.Tcp(port, 80, c + 102, s + 202, TcpFlags.Ack)),
        };
        return FrameBuilder.Ethernet(0x0800, fromClient ? FrameBuilder.Ipv4(client, server, 6, tcp) : FrameBuilder.Ipv4(server, client, 6, tcp));
    }
}
