using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;

namespace PcapInsight.TestKit;

/// <summary>
/// Scripted TCP conversations for scenario tests: segments between a client (192.0.2.1:40000) and a server
/// (198.51.100.1:80), written as a pcap and analysed. <c>using static PcapInsight.TestKit.TcpScript;</c> brings
/// <see cref="Seg"/> and <see cref="Run"/> in.
/// </summary>
public static class TcpScript
{
    public const string Client = "192.0.2.1";
    public const string Server = "198.51.100.1";

    /// <summary>One segment: capture time (s), direction, sequence and acknowledgment numbers, flags, payload length, window field, TCP options.</summary>
    public sealed record Seg(double T, bool FromClient, uint Seq, uint Ack, TcpFlags Flags, int Len = 0, ushort Win = 1000, byte[]? Options = null);

    /// <summary>The segments as an Ethernet pcap, analysed.</summary>
    public static AnalysisResult Run(params Seg[] segments)
    {
        var frames = segments.Select(s => (s.T, FrameBuilder.Ethernet(0x0800, s.FromClient
            ? FrameBuilder.Ipv4(Client, Server, 6, FrameBuilder.Tcp(40000, 80, s.Seq, s.Ack, s.Flags, s.Win, options: s.Options, payloadLength: s.Len))
            : FrameBuilder.Ipv4(Server, Client, 6, FrameBuilder.Tcp(80, 40000, s.Seq, s.Ack, s.Flags, s.Win, options: s.Options, payloadLength: s.Len))))).ToArray();
        return Captures.Analyze(Captures.Pcap(LinkType.Ethernet, frames));
    }
}
