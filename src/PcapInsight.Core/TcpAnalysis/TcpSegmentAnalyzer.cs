using System.Runtime.CompilerServices;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Events;
using PcapInsight.Core.Flows;

namespace PcapInsight.Core.TcpAnalysis;

/// <summary>
/// Classifies each TCP segment once, by sequence and acknowledgment numbers, into the events of CONTRACT.md:
/// <c>tcp.retransmission</c>, <c>tcp.fast_retransmission</c>, <c>tcp.spurious_retransmission</c>,
/// <c>tcp.out_of_order</c>, <c>tcp.lost_segment</c>, <c>tcp.ack_unseen_segment</c>, <c>tcp.dup_ack</c>, <c>tcp.keep_alive</c>, <c>tcp.reset</c>, and <c>capture.offload_supersegment</c> once per
/// flow. Wireshark's <c>tcp_analyze_sequence_number()</c>
/// is the model; where it differs, the rule is said here.
/// </summary>
/// <remarks>
/// <para>Retransmission or out-of-order: a segment starting below the highest sequence sent either resends bytes
/// the capture already saw (a retransmission, always), or fills a gap the capture recorded. A gap filled within
/// the out-of-order threshold of the highest segment (the handshake's RTT when known, else 3 ms, Wireshark's
/// default) was reordered on the way to the capture point; filled later, the original was lost before it and this
/// is a retransmission. So on a sender-side capture every resend counts as a retransmission, and the count equals
/// the sender kernel's RetransSegs, where Wireshark would call some of them out-of-order.</para>
/// <para>Nothing here allocates unless an event row is kept.</para>
/// </remarks>
internal static class TcpSegmentAnalyzer
{
    private const long DefaultOutOfOrderThresholdNs = 3_000_000;
    private const long FastRetransmitWindowNs = 20_000_000;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void OnSegment(Flow flow, bool fromClient, in DecodedPacket p, in CaptureInfo info, EventCollector events)
    {
        TcpFlowFacts facts = flow.Tcp!;
        ref TcpDirection sender = ref facts.Direction(fromClient);
        ref TcpDirection receiver = ref facts.Direction(!fromClient);
        TcpFlags flags = p.Flags;
        long t = info.TimestampNs;
        sender.LastNewBytes = 0;
        sender.LastResent = false;

        if ((flags & TcpFlags.Rst) != 0)
        {
            Report(events, EventKind.TcpReset, flow, p, info, "");
            TcpWindowAnalyzer.OnReset(flow, info, events);
            if (p.PayloadLength == 0)
            {
                return;
            }
            // A reset carrying data (some stacks send a reason) still takes part in the sequence analysis.
        }
        sender.AckUnseenQuiet = false;
        if ((flags & TcpFlags.Ack) != 0 && receiver.HasMaxSeqToBeAcked && new SeqNum(p.Ack) > receiver.MaxSeqToBeAcked)
        {
            // Acknowledges bytes of the other direction the capture never saw in order. Reported once per run of
            // this side's segments: quiet until the other side sends again, so a string of ACKs about the same
            // unseen bytes is one report (tshark's counts on the corpus follow this rule).
            if (!receiver.AckUnseenQuiet)
            {
                receiver.AckedUnseen++;
                Report(events, EventKind.TcpAckUnseenSegment, flow, p, info, "unseen_bytes=", receiver.MaxSeqToBeAcked.DistanceTo(new SeqNum(p.Ack)));
            }
            receiver.AckUnseenQuiet = true;
            receiver.MaxSeqToBeAcked = receiver.NextSeq;
        }

        if ((flags & (TcpFlags.Syn | TcpFlags.Ack)) == (TcpFlags.Syn | TcpFlags.Ack)
            && p.Seq != (fromClient ? facts.BaseSeqC2S : facts.BaseSeqS2C))
        {
            // A second SYN-ACK with another initial sequence number answers a new connection attempt on the same
            // 5-tuple (Wireshark's "reused ports"); a new SYN already started a new flow in the flow table.
            Report(events, EventKind.TcpReusedPort, flow, p, info, "new_isn=", p.Seq);
        }
        int segmentLength = p.PayloadLength + ((flags & TcpFlags.Syn) != 0 ? 1 : 0) + ((flags & TcpFlags.Fin) != 0 ? 1 : 0);
        int peerMss = fromClient ? facts.MssS2C : facts.MssC2S;
        if (peerMss > 0 && p.PayloadLength > peerMss && !facts.SupersegmentReported)
        {
            // No segment on the wire can exceed the MSS the receiver announced: the capturing host saw its stack's
            // segments before segmentation offload split them (TSO/GSO), or after the NIC merged them (GRO/LRO).
            facts.SupersegmentReported = true;
            Report(events, EventKind.CaptureOffloadSupersegment, flow, p, info, "mss=", peerMss);
        }
        var seq = new SeqNum(p.Seq);
        if (receiver.HasAck && receiver.LastWindow == 0 && (flags & (TcpFlags.Syn | TcpFlags.Fin)) == 0
            && ((p.PayloadLength == 1 && seq == receiver.LastAck) || (p.PayloadLength == 0 && seq + 1 == receiver.LastAck)))
        {
            // A probe into a zero window (Windows sends the next byte, Linux one below it): it neither advances the
            // stream nor resends it. The window analysis names it; here it only must not count as anything else.
            sender.LastSentProbe = true;
            TcpWindowAnalyzer.OnProbe(flow, ref sender, ref receiver, p, info, events);
            return;
        }
        var end = seq + segmentLength;
        SeqNum nextBefore = sender.NextSeq;
        bool hadSeq = sender.HasSeq;
        if (!sender.HasSeq)
        {
            sender.HasSeq = true;
            sender.NextSeq = end;
            sender.NextSeqTimeNs = t;
        }
        else
        {
            int ahead = sender.NextSeq.DistanceTo(seq);
            if (ahead > 0)
            {
                // Bytes between the highest seen and this segment were never captured (a pure ACK shows it too,
                // by its sequence number, as Wireshark counts it).
                sender.LostSegments++;
                sender.Holes.Add(sender.NextSeq, seq);
                Report(events, EventKind.TcpLostSegment, flow, p, info, "missing_bytes=", ahead);
                sender.NextSeq = end;
                sender.NextSeqTimeNs = t;
            }
            else if (IsKeepAlive(p, ref sender, ref receiver))
            {
                sender.KeepAlives++;
                sender.LastSentProbe = true;
                Report(events, EventKind.TcpKeepAlive, flow, p, info, "");
                return;
            }
            else if (segmentLength > 0)
            {
                if (ahead == 0)
                {
                    sender.NextSeq = end;
                    sender.NextSeqTimeNs = t;
                    if (!sender.Timing)
                    {
                        sender.Timing = true;
                        sender.TimedEnd = end;
                        sender.TimedSentNs = t;
                    }
                }
                else
                {
                    // Karn's rule: once anything is resent, an ACK no longer says which copy it answers.
                    sender.Timing = false;
                    sender.LastResent = true;
                    ClassifyResend(flow, ref sender, ref receiver, facts, p, info, seq, end, events);
                    if (end > sender.NextSeq)
                    {
                        sender.NextSeq = end;
                        sender.NextSeqTimeNs = t;
                    }
                }
            }
        }

        if (!sender.HasMaxSeqToBeAcked ? segmentLength > 0 : seq == sender.MaxSeqToBeAcked)
        {
            // The mark follows the stream only while segments continue it exactly: past a gap, or past bytes that
            // only a retransmission or a reordered segment carried, an ACK covers bytes not seen in order.
            sender.HasMaxSeqToBeAcked = true;
            sender.MaxSeqToBeAcked = sender.NextSeq;
        }
        sender.LastNewBytes = hadSeq ? Math.Max(0, nextBefore.DistanceTo(sender.NextSeq)) : p.PayloadLength;
        TcpWindowAnalyzer.OnSegment(flow, fromClient, ref sender, ref receiver, p, info, sender.LastNewBytes, events);
        PmtuBlackHoleDetector.OnSegment(flow, fromClient, ref sender, ref receiver, p, info, events);
        AnalyzeAck(flow, ref sender, ref receiver, p, info, segmentLength, events);
    }

    /// <summary>
    /// A keep-alive: 0 or 1 byte at one below the next expected sequence number, no SYN, FIN or RST, while the
    /// receiver's window is open. The same segment sent into a zero window is a zero-window probe (Linux probes
    /// exactly like this), which the window analysis reports instead, so it is not called a keep-alive here.
    /// </summary>
    private static bool IsKeepAlive(in DecodedPacket p, ref TcpDirection sender, ref TcpDirection receiver) =>
        p.PayloadLength <= 1 && (p.Flags & (TcpFlags.Syn | TcpFlags.Fin | TcpFlags.Rst)) == 0
        && sender.HasSeq && new SeqNum(p.Seq) + 1 == sender.NextSeq
        && !(receiver.HasAck && receiver.LastWindow == 0);

    private static void ClassifyResend(Flow flow, ref TcpDirection sender, ref TcpDirection receiver, TcpFlowFacts facts, in DecodedPacket p,
        in CaptureInfo info, SeqNum seq, SeqNum end, EventCollector events)
    {
        // Bytes the receiver has acknowledged reached it already: a copy of them is a resend even when it fills a hole
        // of the capture (the capture missed the first copy), so the out-of-order rule does not apply to it.
        bool alreadyAcked = p.PayloadLength > 0 && receiver.HasAck && seq + p.PayloadLength <= receiver.LastAck;
        if (sender.Holes.TryFill(seq, end) && !alreadyAcked)
        {
            long threshold = facts.InitialRttNs > 0 ? facts.InitialRttNs : DefaultOutOfOrderThresholdNs;
            if (info.TimestampNs - sender.NextSeqTimeNs < threshold)
            {
                sender.OutOfOrder++;
                Report(events, EventKind.TcpOutOfOrder, flow, p, info, "");
                return;
            }
        }
        sender.Retransmissions++;
        // Fast retransmit answers the duplicate ACKs at once: within 20 ms of the last one (Wireshark's window).
        if (receiver.HasAck && receiver.LastAck == seq && receiver.DupAcksInARow >= 2
            && info.TimestampNs - receiver.LastDupAckTimeNs < FastRetransmitWindowNs)
        {
            sender.FastRetransmissions++;
            Report(events, EventKind.TcpFastRetransmission, flow, p, info, "dup_acks=", receiver.DupAcksInARow);
        }
        else if (alreadyAcked)
        {
            // The receiver had acknowledged every byte of it before it was resent (Wireshark's rule, on the last ACK).
            sender.SpuriousRetransmissions++;
            Report(events, EventKind.TcpSpuriousRetransmission, flow, p, info, "acked_to=", receiver.LastAck.Value);
        }
        else
        {
            Report(events, EventKind.TcpRetransmission, flow, p, info, "");
        }
    }

    /// <summary>
    /// A duplicate ACK, Wireshark's rule: no data, no SYN, FIN or RST, a non-zero window equal to the previous one
    /// of its direction, the same acknowledgment number as before, and the sender's own sequence number where it
    /// left off (so a data segment or a window update is never one).
    /// </summary>
    private static void AnalyzeAck(Flow flow, ref TcpDirection sender, ref TcpDirection receiver, in DecodedPacket p, in CaptureInfo info,
        int segmentLength, EventCollector events)
    {
        if ((p.Flags & TcpFlags.Ack) == 0)
        {
            return;
        }
        var ack = new SeqNum(p.Ack);
        if (receiver.Timing && ack >= receiver.TimedEnd)
        {
            long rtt = info.TimestampNs - receiver.TimedSentNs;
            receiver.Timing = false;
            if (rtt >= 0)
            {
                receiver.RttSamples++;
                receiver.LastRttSampleNs = rtt;
                receiver.RttSumNs += rtt;
                receiver.RttMaxNs = Math.Max(receiver.RttMaxNs, rtt);
                receiver.RttMinNs = receiver.RttSamples == 1 ? rtt : Math.Min(receiver.RttMinNs, rtt);
            }
        }
        // The answer to a keep-alive or window probe repeats the last ACK by design: it is not a duplicate ACK.
        bool answersProbe = receiver.LastSentProbe;
        receiver.LastSentProbe = false;
        if (!answersProbe && sender.HasAck && segmentLength == 0 && p.Window != 0 && p.Window == sender.LastWindow && ack == sender.LastAck
            && new SeqNum(p.Seq) == sender.NextSeq)
        {
            sender.DupAcksInARow++;
            sender.DupAcks++;
            sender.LastDupAckTimeNs = info.TimestampNs;
            Report(events, EventKind.TcpDupAck, flow, p, info, "num=", sender.DupAcksInARow);
        }
        else if (!sender.HasAck || ack != sender.LastAck)
        {
            sender.DupAcksInARow = 0;
        }
        sender.HasAck = true;
        sender.LastAck = ack;
        sender.LastWindow = p.Window;
    }

    private static void Report(EventCollector events, EventKind kind, Flow flow, in DecodedPacket p, in CaptureInfo info, string key, long value = long.MinValue)
    {
        if (!events.BuildRow(kind, info.TimestampNs))
        {
            return;
        }
        // Interpolated, formatted in one pooled buffer: a concatenation of five parts made an array of them and a string
        // of each number besides the detail (64 bytes a row more; a SYN scan's million reset rows: 60 MB).
        string detail = value == long.MinValue ? $"seq={p.Seq} len={p.PayloadLength}" : $"seq={p.Seq} len={p.PayloadLength} {key}{value}";
        events.Report(new AnalysisEvent(kind, info.TimestampNs, info.FrameNumber, info.FileIndex, flow.Id,
            p.Src, p.SrcPort, p.Dst, p.DstPort, -1, detail));
    }
}
