using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Events;
using PcapInsight.Core.Flows;

namespace PcapInsight.Core.TcpAnalysis;

/// <summary>
/// A path-MTU black hole: a sender keeps resending a large segment that is never acknowledged, while a smaller
/// segment with the same bytes gets through (Linux's tcp_mtu_probing falls back like this), or while the capture
/// sees ICMP fragmentation-needed / packet-too-big for the flow that the sender does not act on (the ICMP is lost on
/// the way back to it, or filtered). Reported once per flow direction as <c>ip.pmtu_blackhole</c>.
/// </summary>
internal static class PmtuBlackHoleDetector
{
    /// <summary>Segments above this payload are "large": bigger than what every IPv6 path carries (1280 less 60 bytes of headers).</summary>
    private const int LargePayload = 1220;

    /// <summary>Sends of the same large segment (the first and its resends) before it counts as stuck.</summary>
    private const int StuckSends = 3;

    internal sealed class State
    {
        public SeqNum Seq;
        public int Bytes;
        public int Sends;
        public long FirstNs;
        public long Frame;
        public int File;
        public bool Reported;
        public bool SmallerSent;
        public SeqNum SmallerEnd;
    }

    /// <summary>After the sequence analysis of a segment from <paramref name="sender"/>.</summary>
    public static void OnSegment(Flow flow, bool fromClient, ref TcpDirection sender, ref TcpDirection receiver, in DecodedPacket p, in CaptureInfo info, EventCollector events)
    {
        // The receiver's ACK: does it cover a smaller copy of the stuck bytes?
        if (receiver.BlackHole is { Reported: false, SmallerSent: true } watched && (p.Flags & TcpFlags.Ack) != 0
            && new SeqNum(p.Ack) >= watched.SmallerEnd && watched.Sends >= StuckSends)
        {
            Report(flow, !fromClient, ref receiver, info, events, smallerPassed: true);
        }
        if (p.PayloadLength == 0)
        {
            return;
        }
        var seq = new SeqNum(p.Seq);
        State? stuck = sender.BlackHole;
        if (p.PayloadLength > LargePayload)
        {
            if (stuck is { Reported: true } || !sender.LastResent)
            {
                return;   // reported once per direction; and only resends of large segments matter
            }
            if (stuck is null || stuck.Seq != seq || stuck.Bytes != p.PayloadLength)
            {
                stuck ??= sender.BlackHole = new State();
                stuck.Seq = seq;
                stuck.Bytes = p.PayloadLength;
                stuck.Sends = 1;   // the original, sent before
                stuck.FirstNs = info.TimestampNs;
                stuck.Frame = info.FrameNumber;
                stuck.File = info.FileIndex;
                stuck.SmallerSent = false;
            }
            stuck.Sends++;
            if (stuck.Sends >= StuckSends && flow.PmtuMessages > 0)
            {
                Report(flow, fromClient, ref sender, info, events, smallerPassed: false);
            }
        }
        else if (stuck is { Reported: false } && stuck.Sends >= StuckSends && seq == stuck.Seq)
        {
            stuck.SmallerSent = true;
            stuck.SmallerEnd = seq + p.PayloadLength;
        }
    }

    private static void Report(Flow flow, bool senderIsClient, ref TcpDirection sender, in CaptureInfo info, EventCollector events, bool smallerPassed)
    {
        State s = sender.BlackHole!;
        s.Reported = true;
        sender.PmtuBlackHoles++;
        if (!events.BuildRow(EventKind.IpPmtuBlackHole, s.FirstNs))
        {
            return;
        }
        string detail = $"segment_bytes={s.Bytes} sends={s.Sends} smaller_passed={(smallerPassed ? 1 : 0)} icmp_seen={flow.PmtuMessages}"
            + (flow.LowestPmtu > 0 ? $" icmp_mtu={flow.LowestPmtu}" : "") + $" writer={(senderIsClient ? "client" : "server")}";
        events.Report(new AnalysisEvent(EventKind.IpPmtuBlackHole, s.FirstNs, s.Frame, s.File, flow.Id,
            senderIsClient ? flow.Client : flow.Server, senderIsClient ? flow.ClientPort : flow.ServerPort,
            senderIsClient ? flow.Server : flow.Client, senderIsClient ? flow.ServerPort : flow.ClientPort,
            info.TimestampNs - s.FirstNs, detail));
    }
}
