using System.Globalization;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Events;
using PcapInsight.Core.Flows;
using PcapInsight.Core.TcpAnalysis;

namespace PcapInsight.Reporting;

/// <summary>
/// Turns zero-window episodes into per-flow findings: which side's application read too slowly, how long the
/// connection stalled in total, whether the sender's buffer filled too, and what to change at the socket layer.
/// </summary>
public static class ZeroWindowFindings
{
    /// <summary>One finding per flow and stalled receiver, longest total stall first.</summary>
    public static IEnumerable<Finding> For(AnalysisResult result)
    {
        EventInfo info = EventCatalog.Get(EventKind.TcpZeroWindow);
        var stalled = new List<(Flow Flow, bool ClientReads, TcpDirection Reader, TcpDirection Sender)>();
        foreach (Flow f in result.Flows)
        {
            if (f.Tcp is not { } tcp)
            {
                continue;
            }
            if (tcp.C2S.ZeroWindowEpisodes > 0)
            {
                stalled.Add((f, true, tcp.C2S, tcp.S2C));
            }
            if (tcp.S2C.ZeroWindowEpisodes > 0)
            {
                stalled.Add((f, false, tcp.S2C, tcp.C2S));
            }
        }
        foreach (var (flow, clientReads, reader, sender) in stalled.OrderByDescending(s => s.Reader.ZeroWindowNs))
        {
            yield return new Finding(info, reader.ZeroWindowEpisodes, flow.Id, Explain(flow, clientReads, reader, sender), Advise(flow, clientReads, reader));
        }
    }

    private static string Explain(Flow flow, bool clientReads, in TcpDirection reader, in TcpDirection sender)
    {
        string side = clientReads ? "client" : "server";
        string who = FlowText.Endpoint(flow, clientReads);
        long durationNs = Math.Max(1, flow.LastTimeNs - flow.FirstTimeNs);
        double share = 100.0 * reader.ZeroWindowNs / durationNs;
        string times = reader.ZeroWindowEpisodes == 1 ? "once" : $"{reader.ZeroWindowEpisodes} times";
        string text = $"The {side}'s application ({who}) read too slowly (flow {flow.Id}): its receive buffer filled and its window "
            + $"closed {times}, stalling the connection for {Ms(reader.ZeroWindowNs)} ms in total ({share.ToString("0.#", CultureInfo.InvariantCulture)} % "
            + $"of the flow's {(durationNs / 1e9).ToString("0.###", CultureInfo.InvariantCulture)} s; the longest closure {Ms(reader.LongestZeroWindowNs)} ms).";
        if (sender.ZeroWindowProbes > 0)
        {
            text += $" The sender probed the closed window {sender.ZeroWindowProbes} times.";
        }
        if (reader.ZeroWindowsSenderFilled > 0)
        {
            text += reader.ZeroWindowsSenderFilled == reader.ZeroWindowEpisodes
                ? " Each time the window reopened the sender filled it at once: it had more data queued, so its send buffer was full too and its writes waited on this reader."
                : $" After {reader.ZeroWindowsSenderFilled} of the reopenings the sender filled the window at once: its send buffer was full too and its writes waited on this reader.";
        }
        return text;
    }

    private static string Advise(Flow flow, bool clientReads, in TcpDirection reader)
    {
        string advice = $"Fix the reading side ({FlowText.Endpoint(flow, clientReads)}): its application's read loop is the cause. Read as soon as data arrives "
            + "and in larger pieces (one recv of the whole buffer, not many small ones), and move slow work (parsing, disk, locks) off the thread that reads. "
            + "A larger SO_RCVBUF only delays the moment the buffer fills again; on Linux, setting it also turns receive-buffer autotuning off, so it is rarely worth setting.";
        if (reader.ZeroWindowsSenderFilled > 0)
        {
            advice += " The sender's blocked writes follow from the slow reader: a larger SO_SNDBUF on the sender would not help either.";
        }
        return advice;
    }


    private static string Ms(long ns) => (ns / 1e6).ToString("0.#", CultureInfo.InvariantCulture);
}
