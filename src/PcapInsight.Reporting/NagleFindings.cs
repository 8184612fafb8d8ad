using System.Globalization;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Events;
using PcapInsight.Core.Flows;
using PcapInsight.Core.TcpAnalysis;

namespace PcapInsight.Reporting;

/// <summary>
/// Turns Nagle stalls into per-flow findings: whose writes were held, how much time each request and the whole
/// flow lost, the peer's delayed-ACK timer, and the fixes in the order a developer should try them.
/// </summary>
public static class NagleFindings
{
    /// <summary>One finding per flow and writer, most time lost first.</summary>
    public static IEnumerable<Finding> For(AnalysisResult result)
    {
        EventInfo info = EventCatalog.Get(EventKind.TcpNagleStall);
        var held = new List<(Flow Flow, bool ClientWrites, TcpDirection Writer)>();
        foreach (Flow f in result.Flows)
        {
            if (f.Tcp is not { } tcp)
            {
                continue;
            }
            if (tcp.C2S.NagleStalls > 0)
            {
                held.Add((f, true, tcp.C2S));
            }
            if (tcp.S2C.NagleStalls > 0)
            {
                held.Add((f, false, tcp.S2C));
            }
        }
        foreach (var (flow, clientWrites, writer) in held.OrderByDescending(h => h.Writer.NagleStallNs))
        {
            yield return new Finding(info, writer.NagleStalls, flow.Id, Explain(result, flow, clientWrites, writer), Advise(flow, clientWrites));
        }
    }

    private static string Explain(AnalysisResult result, Flow flow, bool clientWrites, in TcpDirection writer)
    {
        string side = clientWrites ? "client" : "server";
        string peerSide = clientWrites ? "server" : "client";
        double perStall = writer.NagleStallNs / 1e6 / writer.NagleStalls;
        string text = $"The {side}'s writes ({FlowText.Endpoint(flow, clientWrites)}) were held by Nagle's algorithm {writer.NagleStalls} times (flow {flow.Id}): "
            + $"each time it sent a small segment, its next write waited for the {peerSide}'s delayed ACK, "
            + $"{Ms(perStall)} ms on average, {Ms(writer.NagleStallNs / 1e6)} ms in total.";
        if (writer.NagleWriteWriteRead > 0)
        {
            text += writer.NagleWriteWriteRead == writer.NagleStalls
                ? $" Each time the {peerSide} answered right after the held write: the write-write-read pattern, where a request sent in two writes costs one delayed-ACK timer."
                : $" {writer.NagleWriteWriteRead} of them were the write-write-read pattern (the {peerSide} answered right after the held write).";
        }
        IpAddr peerHost = clientWrites ? flow.Server : flow.Client;
        if (result.DelayedAckProfiles.FirstOrDefault(h => h.Host.Equals(peerHost)) is { Delayed: > 0 } profile)
        {
            text += $" The {peerSide} ({peerHost.ToString()}) delays its ACKs by about {Ms(profile.TimerMs)} ms"
                + (profile.TimerClass is "40" or "50" or "100" or "200" ? $" (the {profile.TimerClass} ms timer class)." : ".");
        }
        return text;
    }

    private static string Advise(Flow flow, bool clientWrites)
    {
        string who = $"the {(clientWrites ? "client" : "server")} ({FlowText.Endpoint(flow, clientWrites)})";
        return $"In {who}, in this order: (1) coalesce the writes into one: build the whole message in one buffer, or send it with one "
            + "writev/sendmsg; this costs nothing on the wire. (2) Set TCP_NODELAY on its socket: small segments leave at once, at the cost of more, "
            + "smaller packets when it writes in pieces. (3) Or cork around a multi-part write (TCP_CORK, or MSG_MORE on all but the last send; "
            + "TCP_NOPUSH on BSD and macOS): the pieces leave as full segments when uncorked. On the receiving side, TCP_QUICKACK (Linux) "
            + "makes the ACK immediate, but it must be set again after every read, so it is a workaround, not the fix.";
    }


    private static string Ms(double ms) => ms.ToString("0.#", CultureInfo.InvariantCulture);
}
