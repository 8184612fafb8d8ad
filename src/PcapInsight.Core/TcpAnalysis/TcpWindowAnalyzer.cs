using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Events;
using PcapInsight.Core.Flows;

namespace PcapInsight.Core.TcpAnalysis;

/// <summary>
/// The receive window of each direction, as its advertisements show it: <c>tcp.zero_window</c> as one event per
/// episode (closing to reopening, with the probes, their backoff, who reopened it and what the sender had waiting),
/// <c>tcp.zero_window_probe</c>, <c>tcp.window_full</c>, <c>tcp.window_update</c>, <c>tcp.window_shrink</c>, and the
/// SACK-aware bytes in flight of each sender.
/// </summary>
/// <remarks>
/// <para>Window scale: the shift a side announced in its SYN applies to the windows it advertises after the
/// handshake, when both SYNs carried the option (RFC 7323); when either did not, windows are unscaled. When the
/// handshake was not captured the scale is unknown: the raw field is kept, a zero window is still a zero window
/// (0 scaled is 0), but <c>tcp.window_full</c> and <c>tcp.window_shrink</c> are not reported, because any byte
/// figure would be a guess by a factor of up to 2^14 (tshark makes the same choice for window-full).</para>
/// <para>Window full: a data segment whose end reaches the right edge of the receiver's last window (highest ACK +
/// scaled window), so the sender can send nothing more until an ACK. tshark requires the end to equal the edge
/// exactly; we count a segment past the edge too (a sender that overran the window filled it all the same).</para>
/// <para>Bytes in flight: sent and not yet acknowledged, less what the receiver's last SACK blocks report as
/// received (RFC 6675's pipe, as far as the capture shows it).</para>
/// </remarks>
internal static class TcpWindowAnalyzer
{
    /// <summary>
    /// How long after a reopening the sender's new data counts as "what it had waiting": until the receiver's next
    /// ACK moves, at most this long (a sender with data queued sends it within one RTT of the update).
    /// </summary>
    private const long FirstFlightLimitNs = 1_000_000_000;

    /// <summary>
    /// The shift that applies to windows advertised by the client (<paramref name="advertiserIsClient"/>) or the
    /// server: -1 when unknown (handshake not captured), 0 when either SYN lacked the option.
    /// </summary>
    public static int ScaleOf(TcpFlowFacts facts, bool advertiserIsClient)
    {
        if (!facts.SawSyn || !facts.SawSynAck)
        {
            return -1;
        }
        if (facts.WindowScaleC2S < 0 || facts.WindowScaleS2C < 0)
        {
            return 0;
        }
        return Math.Min(14, advertiserIsClient ? facts.WindowScaleC2S : facts.WindowScaleS2C);
    }

    /// <summary>
    /// After the sequence analysis of a segment from <paramref name="sender"/>: its data against the other side's
    /// window, then its own window advertisement. <paramref name="newBytes"/> is how far it advanced the stream.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void OnSegment(Flow flow, bool fromClient, ref TcpDirection sender, ref TcpDirection receiver, in DecodedPacket p,
        in CaptureInfo info, long newBytes, EventCollector events)
    {
        TcpFlowFacts facts = flow.Tcp!;
        TcpFlags flags = p.Flags;

        if (newBytes > 0 && receiver.Episode is { Reporting: true } reopened)
        {
            reopened.WaitingBytes += newBytes;
        }

        if (receiver.HasWindow && p.PayloadLength > 0)
        {
            long inFlight = InFlight(ref sender, ref receiver);
            sender.LastInFlight = inFlight;
            if (inFlight > sender.MaxBytesInFlight)
            {
                sender.MaxBytesInFlight = inFlight;
            }
            if ((flags & (TcpFlags.Syn | TcpFlags.Fin | TcpFlags.Rst)) == 0 && receiver.ScaledWindow > 0 && ScaleOf(facts, !fromClient) >= 0
                && receiver.HighestAck.DistanceTo(new SeqNum(p.Seq) + p.PayloadLength) >= receiver.ScaledWindow)
            {
                sender.WindowFull++;
                Report(events, EventKind.TcpWindowFull, flow, p, info, -1, "window=", receiver.ScaledWindow, " in_flight=", inFlight);
            }
        }

        if ((flags & TcpFlags.Ack) == 0 || (flags & TcpFlags.Rst) != 0)
        {
            return;
        }
        AdvertisedWindow(flow, fromClient, ref sender, p, info, events);
    }

    /// <summary>The window <paramref name="advertiser"/> announces in this segment.</summary>
    private static void AdvertisedWindow(Flow flow, bool fromClient, ref TcpDirection advertiser, in DecodedPacket p, in CaptureInfo info, EventCollector events)
    {
        TcpFlags flags = p.Flags;
        long t = info.TimestampNs;
        bool syn = (flags & TcpFlags.Syn) != 0;
        int scale = syn ? 0 : ScaleOf(flow.Tcp!, fromClient);   // a SYN's window is never scaled
        long window = scale > 0 ? (long)p.Window << scale : p.Window;
        var ack = new SeqNum(p.Ack);
        bool zero = p.Window == 0 && (flags & (TcpFlags.Syn | TcpFlags.Fin)) == 0;
        ZeroWindowEpisode? episode = advertiser.Episode;

        if (zero)
        {
            advertiser.ZeroWindowAdverts++;
        }
        if (episode is { Reporting: true } && (zero || ack > episode.ReopenAck || t - episode.EndNs > FirstFlightLimitNs))
        {
            WriteEpisode(flow, fromClient, ref advertiser, events);
        }
        if (zero && episode is not { Open: true })
        {
            episode = advertiser.Episode ??= new ZeroWindowEpisode();
            episode.Begin(t, info.FrameNumber, info.FileIndex);
        }
        else if (episode is { Open: true } && p.Window != 0)
        {
            ZeroWindowEnd end = p.PayloadLength > 0 ? ZeroWindowEnd.Data
                : advertiser.HasAck && ack == advertiser.LastAck ? ZeroWindowEnd.WindowUpdate : ZeroWindowEnd.Ack;
            EndEpisode(ref advertiser, t, end, ack, window);
        }

        // Wireshark's window update: a pure ACK that repeats the acknowledgment and changes only the window.
        if (p.PayloadLength == 0 && p.Window != 0 && advertiser.HasAck && p.Window != advertiser.LastWindow
            && new SeqNum(p.Seq) == advertiser.NextSeq && ack == advertiser.LastAck && (flags & (TcpFlags.Syn | TcpFlags.Fin)) == 0)
        {
            advertiser.WindowUpdates++;
            Report(events, EventKind.TcpWindowUpdate, flow, p, info, -1, "window=", window, " was_field=", advertiser.LastWindow);
        }

        if (advertiser.HasWindow && ack < advertiser.HighestAck)
        {
            return; // an older ACK overtaken on the way: it says nothing new about the window
        }
        if (scale >= 0 && advertiser.HasWindow && !syn)
        {
            SeqNum oldEdge = advertiser.HighestAck + (int)advertiser.ScaledWindow;
            SeqNum newEdge = ack + (int)window;
            int moved = newEdge.DistanceTo(oldEdge);
            if (moved > 1 << scale)
            {
                // RFC 9293 3.8.6: a receiver should not shrink the window; one that does can make the sender's
                // segments in flight fall outside it.
                advertiser.WindowShrinks++;
                Report(events, EventKind.TcpWindowShrink, flow, p, info, -1, "shrunk_bytes=", moved, " window=", window);
            }
        }
        advertiser.HasWindow = true;
        advertiser.HighestAck = ack;
        advertiser.ScaledWindow = window;
        int blocks = p.TcpOptions.SackBlockCount;
        advertiser.SackBlockCount = blocks;
        if (blocks > 0)
        {
            advertiser.SackBlocks = p.TcpOptions.Sack;
        }
    }

    /// <summary>A zero-window probe from <paramref name="prober"/> into <paramref name="advertiser"/>'s closed window.</summary>
    public static void OnProbe(Flow flow, ref TcpDirection prober, ref TcpDirection advertiser, in DecodedPacket p, in CaptureInfo info, EventCollector events)
    {
        prober.ZeroWindowProbes++;
        if (p.PayloadLength == 0)
        {
            prober.ZeroWindowProbesWithoutData++;
        }
        if (advertiser.Episode is { Open: true } episode)
        {
            long gap = info.TimestampNs - (episode.Probes == 0 ? episode.StartNs : episode.LastProbeNs);
            if (episode.Probes < ZeroWindowEpisode.KeptProbeGaps)
            {
                episode.Gaps[episode.Probes] = gap;
            }
            episode.Probes++;
            episode.LastProbeNs = info.TimestampNs;
            episode.ProbeBytes = p.PayloadLength;
        }
        Report(events, EventKind.TcpZeroWindowProbe, flow, p, info, -1, "probe=", advertiser.Episode?.Probes ?? 0, " form=", p.PayloadLength == 0 ? 0 : 1);
    }

    /// <summary>A RST ends the connection: an episode still closed ends with it.</summary>
    public static void OnReset(Flow flow, in CaptureInfo info, EventCollector events)
    {
        TcpFlowFacts facts = flow.Tcp!;
        CloseEpisode(flow, true, ref facts.Direction(true), info.TimestampNs, ZeroWindowEnd.Reset, events);
        CloseEpisode(flow, false, ref facts.Direction(false), info.TimestampNs, ZeroWindowEnd.Reset, events);
    }

    /// <summary>The flow leaves the table (end of capture, timeout, eviction): what is pending is written.</summary>
    public static void OnFlowClosed(Flow flow, EventCollector events)
    {
        if (flow.Tcp is not { } facts)
        {
            return;
        }
        CloseEpisode(flow, true, ref facts.Direction(true), flow.LastTimeNs, ZeroWindowEnd.StillClosed, events);
        CloseEpisode(flow, false, ref facts.Direction(false), flow.LastTimeNs, ZeroWindowEnd.StillClosed, events);
    }

    private static void CloseEpisode(Flow flow, bool advertiserIsClient, ref TcpDirection advertiser, long t, ZeroWindowEnd end, EventCollector events)
    {
        if (advertiser.Episode is { Reporting: true })
        {
            WriteEpisode(flow, advertiserIsClient, ref advertiser, events);
        }
        if (advertiser.Episode is { Open: true })
        {
            EndEpisode(ref advertiser, t, end, advertiser.HighestAck, 0);
            WriteEpisode(flow, advertiserIsClient, ref advertiser, events);
        }
    }

    private static void EndEpisode(ref TcpDirection advertiser, long t, ZeroWindowEnd end, SeqNum ack, long window)
    {
        ZeroWindowEpisode episode = advertiser.Episode!;
        episode.Open = false;
        episode.Reporting = true;
        episode.EndNs = t;
        episode.End = end;
        episode.ReopenAck = ack;
        episode.ReopenWindow = window;
        long duration = Math.Max(0, t - episode.StartNs);
        advertiser.ZeroWindowEpisodes++;
        advertiser.ZeroWindowNs += duration;
        advertiser.LongestZeroWindowNs = Math.Max(advertiser.LongestZeroWindowNs, duration);
    }

    private static void WriteEpisode(Flow flow, bool advertiserIsClient, ref TcpDirection advertiser, EventCollector events)
    {
        ZeroWindowEpisode episode = advertiser.Episode!;
        episode.Reporting = false;
        bool senderFilled = episode.ReopenWindow > 0 && episode.WaitingBytes >= episode.ReopenWindow;
        if (senderFilled)
        {
            advertiser.ZeroWindowsSenderFilled++;
        }
        if (!events.BuildRow(EventKind.TcpZeroWindow, episode.StartNs))
        {
            return;
        }
        var detail = new StringBuilder();
        detail.Append("probes=").Append(episode.Probes);
        if (episode.Probes > 0)
        {
            detail.Append(" probe_bytes=").Append(episode.ProbeBytes).Append(" probe_gaps_ms=");
            int kept = Math.Min(episode.Probes, ZeroWindowEpisode.KeptProbeGaps);
            for (int i = 0; i < kept; i++)
            {
                detail.Append(i == 0 ? "" : ";").Append(CaptureTime.Milliseconds(episode.Gaps[i]));
            }
            if (episode.Probes > kept)
            {
                detail.Append(";...");
            }
        }
        detail.Append(" reopened_by=").Append(episode.End switch
        {
            ZeroWindowEnd.WindowUpdate => "window_update",
            ZeroWindowEnd.Ack => "ack",
            ZeroWindowEnd.Data => "data",
            ZeroWindowEnd.Reset => "reset",
            _ => "none",
        });
        if (episode.End == ZeroWindowEnd.StillClosed)
        {
            detail.Append(" still_closed=1");
        }
        else if (episode.End != ZeroWindowEnd.Reset)
        {
            detail.Append(" reopened_window=").Append(episode.ReopenWindow).Append(" sent_on_reopen_bytes=").Append(episode.WaitingBytes);
            if (senderFilled)
            {
                detail.Append(" sender_filled_window=1");
            }
        }
        detail.Append(" advertiser=").Append(advertiserIsClient ? "client" : "server");
        events.Report(new AnalysisEvent(EventKind.TcpZeroWindow, episode.StartNs, episode.StartFrame, episode.StartFile, flow.Id,
            advertiserIsClient ? flow.Client : flow.Server, advertiserIsClient ? flow.ClientPort : flow.ServerPort,
            advertiserIsClient ? flow.Server : flow.Client, advertiserIsClient ? flow.ServerPort : flow.ClientPort,
            Math.Max(0, episode.EndNs - episode.StartNs), detail.ToString()));
    }

    /// <summary>Bytes <paramref name="sender"/> has sent that <paramref name="receiver"/> has neither acknowledged nor SACKed.</summary>
    private static long InFlight(ref TcpDirection sender, ref TcpDirection receiver)
    {
        SeqNum una = receiver.HighestAck;
        SeqNum next = sender.NextSeq;
        long outstanding = una.DistanceTo(next);
        if (outstanding <= 0)
        {
            return 0;
        }
        for (int i = 0; i < receiver.SackBlockCount; i++)
        {
            var left = new SeqNum(receiver.SackBlocks[2 * i]);
            var right = new SeqNum(receiver.SackBlocks[2 * i + 1]);
            if (left < una)
            {
                left = una;
            }
            if (right > next)
            {
                right = next;
            }
            if (left < right)
            {
                outstanding -= left.DistanceTo(right);
            }
        }
        return Math.Max(0, outstanding);
    }

    private static void Report(EventCollector events, EventKind kind, Flow flow, in DecodedPacket p, in CaptureInfo info, long durationNs,
        string key1, long value1, string key2 = "", long value2 = long.MinValue)
    {
        if (!events.BuildRow(kind, info.TimestampNs))
        {
            return;
        }
        string detail = key1 + value1.ToString(CultureInfo.InvariantCulture)
            + (value2 == long.MinValue ? "" : key2 + value2.ToString(CultureInfo.InvariantCulture));
        events.Report(new AnalysisEvent(kind, info.TimestampNs, info.FrameNumber, info.FileIndex, flow.Id,
            p.Src, p.SrcPort, p.Dst, p.DstPort, durationNs, detail));
    }
}
