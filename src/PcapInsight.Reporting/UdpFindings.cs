using System.Globalization;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Events;
using PcapInsight.Core.Flows;
using PcapInsight.Core.UdpAnalysis;

namespace PcapInsight.Reporting;

/// <summary>
/// Turns UDP sequence gaps into per-flow findings that state their evidence and how sure it is, and what to
/// change: fragments, the path, or the receiving socket.
/// </summary>
public static class UdpFindings
{
    /// <summary>One finding per flow direction with sequence numbers missing, most lost first.</summary>
    public static IEnumerable<Finding> For(AnalysisResult result)
    {
        EventInfo info = EventCatalog.Get(EventKind.UdpSeqGap);
        foreach ((Flow flow, bool fromClient, UdpStream stream) in LossyUdpStreams.MostLostFirst(result))
        {
            SequenceTracker seq = stream.Sequence!;
            long expected = seq.Received - seq.Duplicates + seq.Lost;
            string from = FlowText.Endpoint(flow, fromClient);
            string to = FlowText.Endpoint(flow, !fromClient);
            string kind = stream.SeqKind == "rtp" ? $"RTP stream (SSRC 0x{stream.Ssrc:x8})" : "datagrams numbered by --udp-seq";
            string text = $"Flow {flow.Id}, {kind} from {from} to {to}: {seq.Lost} of {expected} datagrams never reached the capture point "
                + $"({(100.0 * seq.Lost / Math.Max(1, expected)).ToString("0.##", CultureInfo.InvariantCulture)} %; evidence: sequence numbers, certain for "
                + "the datagrams between the first and the last seen).";
            if (seq.Duplicates > 0 || seq.Reordered > 0)
            {
                text += $" {seq.Duplicates} arrived twice and {seq.Reordered} out of order.";
            }
            if (stream.JitterMs is { } jitter)
            {
                text += $" Interarrival jitter (RFC 3550): {jitter.ToString("0.###", CultureInfo.InvariantCulture)} ms.";
            }
            long withFragment = flow.Udp!.LostWithFragment;
            string advice;
            if (withFragment > 0)
            {
                text += $" {withFragment} of the losses are datagrams that lost a fragment (evidence: fragments).";
                advice = "Most of the loss is fragment loss: keep each datagram within the path MTU less the headers so that one lost fragment no longer loses a whole datagram; see ip.frag_incomplete.";
            }
            else
            {
                advice = "The datagrams were lost before the capture point, on the path or at the sender (its socket send buffer, SO_SNDBUF, or a queue on the way). "
                    + "A capture at the sender proves which: if the sender's capture has them, the path lost them. If the receiver's capture has them but the application does not, "
                    + "the receiving socket dropped them (check Udp RcvbufErrors with --netstat).";
            }
            yield return new Finding(info, seq.Lost, flow.Id, text, advice);
        }
    }
}
