using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;

namespace PcapInsight.TestKit;

/// <summary>Captures of many short TCP connections (the million-flow benchmark, the flow spool and close-linger tests) or UDP exchanges.</summary>
public static class ShortConnections
{
    /// <summary>
    /// Writes <paramref name="flows"/> complete short TCP connections (SYN, SYN-ACK, ACK, a 100-byte request, a
    /// 200-byte response, FIN, FIN, ACK: 8 frames each), 64 at a time interleaved, one frame a microsecond, as a
    /// busy front end's capture looks: the million-flow capture of bench/compare.sh.
    /// </summary>
    public static void Write(string path, int flows)
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

    /// <summary>
    /// Writes a SYN scan of <paramref name="probes"/> ports (nmap -sS's shape): 198.51.100.7 sends a SYN to each port of
    /// 203.0.113.1, .2, ... in turn, 50,000 frames a second; each target answers eight probes later, a closed port
    /// with RST-ACK, every 500th port open with SYN-ACK, which the scanner resets. Each probe is a flow of its own that
    /// closes at once and lingers (<c>--close-linger</c>, 60 s): at that rate 1.5 M flows linger at once, past the
    /// default million-flow table, so the table evicts. The shape tshark, Zeek and our table all pay most for.
    /// </summary>
    public static void WriteScan(string path, int probes)
    {
        const int answerLag = 8;
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        using var writer = new PcapWriter(file, LinkType.Ethernet, snaplen: 96);
        long t = 1_700_000_000_000_000_000;
        const string scanner = "198.51.100.7";
        const ushort scannerPort = 41_234;
        for (int i = 0; i < probes + answerLag; i++)
        {
            if (i < probes)
            {
                t += 20_000;
                Write(FrameBuilder.Ipv4(scanner, Target(i), 6, FrameBuilder.Tcp(scannerPort, Port(i), seq: 1_000, flags: TcpFlags.Syn, window: 1024,
                    options: [2, 4, 0x05, 0xb4])));
            }
            int j = i - answerLag;
            if (j >= 0)
            {
                t += 20_000;
                bool open = j % 500 == 499;
                Write(FrameBuilder.Ipv4(Target(j), scanner, 6, FrameBuilder.Tcp(Port(j), scannerPort, seq: open ? 77_000u : 0, ack: 1_001,
                    flags: open ? TcpFlags.Syn | TcpFlags.Ack : TcpFlags.Rst | TcpFlags.Ack, window: open ? (ushort)64_240 : (ushort)0)));
                if (open)
                {
                    t += 20_000;
                    Write(FrameBuilder.Ipv4(scanner, Target(j), 6, FrameBuilder.Tcp(scannerPort, Port(j), seq: 1_001, flags: TcpFlags.Rst, window: 0)));
                }
            }
        }

        static string Target(int probe) => $"203.0.113.{1 + probe / 65_535 % 254}";
        static ushort Port(int probe) => (ushort)(1 + probe % 65_535);
        void Write(byte[] ip)
        {
            byte[] frame = FrameBuilder.Ethernet(0x0800, ip);
            writer.Write(t, frame.AsSpan(0, Math.Min(96, frame.Length)), originalLength: frame.Length);
        }
    }

    /// <summary>
    /// Writes <paramref name="flows"/> UDP exchanges, a 40-byte request and a 120-byte answer each (to port 7000, not
    /// DNS's), one frame a microsecond, as a busy resolver's or RPC server's capture looks: each a flow of its own,
    /// which udp.csv lists as well as flows.csv.
    /// </summary>
    public static void WriteUdp(string path, int flows)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        using var writer = new PcapWriter(file, LinkType.Ethernet, snaplen: 96);
        long t = 1_700_000_000_000_000_000;
        for (int f = 0; f < flows; f++)
        {
            string client = $"192.0.2.{1 + f / 60_000 % 250}";
            ushort port = (ushort)(1024 + f % 60_000);
            const string server = "198.51.100.1";
            for (int step = 0; step < 2; step++)
            {
                t += 1_000;
                byte[] frame = step == 0
                    ? FrameBuilder.Ethernet(0x0800, FrameBuilder.Ipv4(client, server, 17, FrameBuilder.Udp(port, 7000, 40)))
                    : FrameBuilder.Ethernet(0x0800, FrameBuilder.Ipv4(server, client, 17, FrameBuilder.Udp(7000, port, 120)));
                writer.Write(t, frame.AsSpan(0, Math.Min(96, frame.Length)), originalLength: frame.Length);
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
