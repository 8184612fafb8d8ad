using System.Globalization;
using System.Runtime.CompilerServices;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Collections;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Events;
using PcapInsight.Core.Flows;

namespace PcapInsight.Core.TcpAnalysis;

/// <summary>
/// Nagle × delayed-ACK stalls and the delayed-ACK timer of each host, after the sequence analysis has classified
/// the segment (new data, resend, probe).
/// </summary>
/// <remarks>
/// <para><c>tcp.nagle_stall</c>: sender A sent one segment smaller than the MSS while nothing else of its was
/// unacknowledged (Nagle lets exactly one small segment out then), and not because the receiver's window allowed
/// no more; A sent nothing more until B's pure ACK for it,
/// which B held past <see cref="NagleOptions.MinHoldMs"/> (a delayed-ACK timer); B sent no data in between; and
/// A's next data, continuing the stream, left as soon as that ACK reached it (within
/// <see cref="NagleOptions.ReleaseMs"/> plus a fraction of the round trip). No retransmission on either side
/// in the interval. <c>duration_ms</c> is B's hold of the ACK, the time the next write lost. When B answers within
/// <see cref="NagleOptions.AnswerMs"/> of the released segment, the request was complete only with it: the
/// write-write-read pattern.</para>
/// <para>Where the capture was taken: every interval is measured at the capture point, so the round trip
/// between the capture point and each endpoint (from the handshake: SYN to SYN-ACK is the trip to the server,
/// SYN-ACK to the client's ACK the trip to the client; without a handshake, the smallest RTT sample) is taken off
/// B's hold and A's release.</para>
/// <para>Delayed-ACK profile: each pure ACK that acknowledges everything its peer had sent gives a hold (from the
/// first unacknowledged segment, less the round trip to the ACK's sender); holds past the minimum are
/// <c>tcp.delayed_ack</c>, and their median per host estimates its timer.</para>
/// </remarks>
internal sealed class TcpTimingAnalyzer
{
    private readonly NagleOptions _options;
    // Nagle watches given back when their watch ended, lent to the next small write (TcpDirection.Nagle): as many as
    // were ever out at once.
    private readonly Stack<NagleWatch> _spareWatches = new();
    private readonly long _minHoldNs;
    private readonly long _releaseNs;
    private readonly long _answerNs;
    private readonly ValueMap<IpAddr, DelayedAckProfile> _profiles = new();
    private readonly AdmissionLog _admissions;
    private bool _prunedToClosed;
    private readonly HostsNotProfiled _notProfiled;

    public TcpTimingAnalyzer(NagleOptions options, AdmissionLog admissions)
    {
        _options = options;
        _admissions = admissions;
        _minHoldNs = (long)(options.MinHoldMs * 1e6);
        _releaseNs = (long)(options.ReleaseMs * 1e6);
        _answerNs = (long)(options.AnswerMs * 1e6);
        _notProfiled = new HostsNotProfiled(HostsNotProfiled.BoundFor(options.MaxProfiledHosts));
    }

    /// <summary>The hosts profiled, in no order (in a shard, also hosts the reading thread has refused since).</summary>
    public IEnumerable<DelayedAckProfile> Profiles => _profiles.Values;

    /// <summary>
    /// The hosts that came past the profile limit, once the analysis is over: those refused before a profile was
    /// made, and (in a shard) those whose profile the reading thread refused after the fact, which this adds (so a
    /// method: it completes the set; calling it again adds nothing).
    /// </summary>
    public HostsNotProfiled NotProfiledAtEnd()
    {
        for (int i = 0; i < _profiles.Count; i++)
        {
            DelayedAckProfile profile = _profiles.ValueAt(i);
            if (profile.Refused)
            {
                _notProfiled.Add(profile.Host);
            }
        }
        return _notProfiled;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void OnSegment(Flow flow, bool fromClient, in DecodedPacket p, in CaptureInfo info, EventCollector events)
    {
        TcpFlowFacts facts = flow.Tcp!;
        ref TcpDirection self = ref facts.Direction(fromClient);
        ref TcpDirection peer = ref facts.Direction(!fromClient);
        if ((p.Flags & TcpFlags.Syn) != 0)
        {
            return;
        }
        if ((p.Flags & TcpFlags.Rst) != 0)
        {
            Abandon(flow, fromClient, ref self, events);
            Abandon(flow, !fromClient, ref peer, events);
            return;
        }
        if ((p.Flags & TcpFlags.Ack) != 0)
        {
            OnAck(flow, fromClient, ref self, ref peer, p, info, events);
        }
        if (p.PayloadLength > 0 || self.LastResent)
        {
            OnData(flow, fromClient, ref self, ref peer, p, info, events);
        }
    }

    /// <summary>The flow leaves the table: a stall still waiting to see whether it was answered is written as it is.</summary>
    public void OnFlowClosed(Flow flow, EventCollector events)
    {
        if (flow.Tcp is { } facts)
        {
            Abandon(flow, true, ref facts.Direction(true), events);
            Abandon(flow, false, ref facts.Direction(false), events);
        }
    }

    /// <summary><paramref name="acker"/>'s segment, as an acknowledgment of <paramref name="sender"/>'s data.</summary>
    private void OnAck(Flow flow, bool ackerIsClient, ref TcpDirection acker, ref TcpDirection sender, in DecodedPacket p, in CaptureInfo info,
        EventCollector events)
    {
        long t = info.TimestampNs;
        var ack = new SeqNum(p.Ack);
        bool pure = p.PayloadLength == 0 && (p.Flags & TcpFlags.Fin) == 0 && !acker.LastResent;
        if (sender.FirstUnackedNs == 0 && sender.NagleStage == NagleWatch.None && !acker.LastResent)
        {
            return;   // nothing of the sender's is being timed: the common case, kept short
        }
        long toAcker = RoundTripTo(flow.Tcp!, ackerIsClient);

        if (sender.FirstUnackedNs != 0 && sender.HasSeq && ack >= sender.NextSeq)
        {
            long hold = t - sender.FirstUnackedNs - toAcker;
            sender.FirstUnackedNs = 0;
            if (pure)
            {
                // The event and the flow's count do not depend on the host's profile: the limit on profiled hosts
                // bounds the histograms only.
                bool delayed = hold >= _minHoldNs;
                Profile(ref acker, ackerIsClient ? flow.Client : flow.Server)?.Add(hold, delayed);
                if (delayed)
                {
                    acker.DelayedAcks++;
                    Report(events, EventKind.TcpDelayedAck, flow, p, info, hold, "hold_ms=", hold);
                }
            }
        }
        else if (sender.FirstUnackedNs != 0 && sender.HasSeq && ack < sender.NextSeq)
        {
            sender.FirstUnackedNs = 0;   // part acknowledged: when the rest was first sent is not known
        }

        if (sender.NagleStage == NagleWatch.None)
        {
            return;
        }
        NagleWatch watch = sender.Nagle!;
        if (acker.LastResent && sender.NagleStage != NagleWatch.AwaitingAnswer)
        {
            StopWatching(ref sender);   // loss recovery
            return;
        }
        switch (sender.NagleStage)
        {
            case NagleWatch.AwaitingAck when p.PayloadLength > 0:
            case NagleWatch.AwaitingRelease when p.PayloadLength > 0:
                StopWatching(ref sender);   // the peer sent data in between: the ACK rode on it, or it answered
                break;
            case NagleWatch.AwaitingAck when pure && ack >= watch.SmallEnd:
                long hold = t - watch.SmallSentNs - toAcker;
                if (hold >= _minHoldNs)
                {
                    sender.NagleStage = NagleWatch.AwaitingRelease;
                    watch.AckNs = t;
                    watch.HoldNs = hold;
                }
                else
                {
                    StopWatching(ref sender);
                }
                break;
            case NagleWatch.AwaitingAnswer when p.PayloadLength > 0:
                bool answered = !acker.LastResent && t - watch.ReleaseNs - toAcker <= _answerNs;
                WriteStall(flow, !ackerIsClient, ref sender, answered, events);
                break;
        }
    }

    /// <summary><paramref name="sender"/>'s segment, as data.</summary>
    private void OnData(Flow flow, bool senderIsClient, ref TcpDirection sender, ref TcpDirection receiver, in DecodedPacket p, in CaptureInfo info,
        EventCollector events)
    {
        if (sender.NagleStage == NagleWatch.AwaitingAnswer)
        {
            WriteStall(flow, senderIsClient, ref sender, false, events);   // it wrote again before any answer
        }
        if (sender.LastResent)
        {
            StopWatching(ref sender);   // loss recovery: its timing says nothing about Nagle
            return;
        }
        if (sender.LastNewBytes <= 0)
        {
            return;   // a probe or keep-alive
        }
        long t = info.TimestampNs;
        var seq = new SeqNum(p.Seq);
        if (sender.NagleStage == NagleWatch.AwaitingRelease && seq == sender.Nagle!.SmallEnd
            && ReleasedByAck(t - sender.Nagle.AckNs, RoundTripTo(flow.Tcp!, senderIsClient)))
        {
            sender.NagleStage = NagleWatch.AwaitingAnswer;
            sender.Nagle.ReleaseNs = t;
            sender.Nagle.ReleaseBytes = p.PayloadLength;
            return;
        }
        StopWatching(ref sender);   // it sent before the ACK (TCP_NODELAY), or long after it (nothing was held)

        bool nothingOutstanding = receiver.HasWindow && receiver.HighestAck == seq;
        if (nothingOutstanding)
        {
            sender.FirstUnackedNs = t;
        }
        // Small means below the segment size the sender's stack uses: the MSS the receiver announced, less the
        // 12 bytes of timestamps when the segment carries them (Linux's mss_cache); 536 when no SYN was seen.
        int mss = senderIsClient ? flow.Tcp!.MssS2C : flow.Tcp!.MssC2S;
        int full = (mss > 0 ? mss : 536) - (p.TcpOptions.HasTimestamps ? 12 : 0);
        // A segment that filled the receiver's window was small because of the window, not held by Nagle.
        bool windowLimited = receiver.ScaledWindow > 0 && receiver.HighestAck.DistanceTo(seq + p.PayloadLength) >= receiver.ScaledWindow;
        if (nothingOutstanding && p.PayloadLength < full && !windowLimited && (p.Flags & TcpFlags.Fin) == 0)
        {
            NagleWatch watch = StartWatching(ref sender);
            watch.SmallSentNs = t;
            watch.SmallFrame = info.FrameNumber;
            watch.SmallFile = info.FileIndex;
            watch.SmallBytes = p.PayloadLength;
            watch.SmallEnd = seq + p.PayloadLength;
        }
    }

    /// <summary>Left <paramref name="sinceAckNs"/> after the ACK was seen: within the release bound, the sender's round trip taken off.</summary>
    private bool ReleasedByAck(long sinceAckNs, long toSender) =>
        sinceAckNs - toSender <= _releaseNs + (long)(_options.ReleaseRttFraction * toSender);

    private void Abandon(Flow flow, bool senderIsClient, ref TcpDirection sender, EventCollector events)
    {
        if (sender.NagleStage == NagleWatch.AwaitingAnswer)
        {
            WriteStall(flow, senderIsClient, ref sender, false, events);
        }
        StopWatching(ref sender);
    }

    /// <summary>Arms <paramref name="sender"/>'s watch (<see cref="NagleWatch.AwaitingAck"/>) with a watch from the spares.</summary>
    private NagleWatch StartWatching(ref TcpDirection sender)
    {
        sender.NagleStage = NagleWatch.AwaitingAck;
        if (sender.Nagle is null)
        {
            if (!_spareWatches.TryPop(out NagleWatch? spare))
            {
                spare = new NagleWatch();
                WatchesMade++;
            }
            sender.Nagle = spare;
        }
        return sender.Nagle;
    }

    /// <summary>Nagle watches this analyzer made (the rest of its watches were lent again): at most as many as were out at once.</summary>
    internal int WatchesMade { get; private set; }

    /// <summary>Ends <paramref name="sender"/>'s watch, if any, and keeps its object for the next one.</summary>
    private void StopWatching(ref TcpDirection sender)
    {
        sender.NagleStage = NagleWatch.None;
        if (sender.Nagle is { } watch)
        {
            sender.Nagle = null;
            _spareWatches.Push(watch);
        }
    }

    /// <summary>Counts and reports <paramref name="sender"/>'s stall, and ends its watch.</summary>
    private void WriteStall(Flow flow, bool senderIsClient, ref TcpDirection sender, bool answered, EventCollector events)
    {
        NagleWatch watch = sender.Nagle!;
        StopWatching(ref sender);   // its fields stay as they are until the next watch takes it, after this method
        sender.NagleStalls++;
        sender.NagleStallNs += watch.HoldNs;
        if (answered)
        {
            sender.NagleWriteWriteRead++;
        }
        if (!events.BuildRow(EventKind.TcpNagleStall, watch.SmallSentNs))
        {
            return;
        }
        string detail = string.Create(CultureInfo.InvariantCulture,
            $"small_bytes={watch.SmallBytes} held_bytes={watch.ReleaseBytes} released_after_ack_ms={(watch.ReleaseNs - watch.AckNs) / 1e6:0.###} pattern={(answered ? "write-write-read" : "write-write")} writer={(senderIsClient ? "client" : "server")}");
        events.Report(new AnalysisEvent(EventKind.TcpNagleStall, watch.SmallSentNs, watch.SmallFrame, watch.SmallFile, flow.Id,
            senderIsClient ? flow.Client : flow.Server, senderIsClient ? flow.ClientPort : flow.ServerPort,
            senderIsClient ? flow.Server : flow.Client, senderIsClient ? flow.ServerPort : flow.ClientPort, watch.HoldNs, detail));
    }

    /// <summary>
    /// The host's profile, claimed with its first timed ACK while profile slots are free (<see cref="Admissions"/>);
    /// null past the limit. In a shard, a host's claim is answered later: its profile gathers meanwhile.
    /// </summary>
    private DelayedAckProfile? Profile(ref TcpDirection acker, IpAddr host)
    {
        if (acker.AckProfile is { } known)
        {
            return known.Refused ? null : known;
        }
        if (!_profiles.TryGetValue(host, out DelayedAckProfile? profile))
        {
            if (_admissions.Policy.ClosedHosts is { } closed)
            {
                PruneToClosed(closed);
                if (!closed.Contains(host))
                {
                    // Final: the direction remembers it, so its later ACKs skip both lookups (and this count).
                    _notProfiled.Add(host);
                    acker.AckProfile = PastTheLimit;
                    return null;
                }
            }
            profile = new DelayedAckProfile(host);
            _profiles.TryAdd(host, profile);
            _admissions.Add(AdmissionKind.HostClaim, profile);
            if (profile.Refused)
            {
                return null;
            }
        }
        else if (profile.Refused)
        {
            acker.AckProfile = profile;   // refused for good: the direction's later ACKs stop at the first check
            return null;
        }
        acker.AckProfile = profile;
        return profile;
    }

    /// <summary>What a direction whose host came past the profile limit holds: refused, shared, never added to.</summary>
    private static readonly DelayedAckProfile PastTheLimit = Refused(new DelayedAckProfile(default));

    private static DelayedAckProfile Refused(DelayedAckProfile profile)
    {
        profile.Refuse();
        return profile;
    }

    /// <summary>Once the profiled hosts are final, a shard lets go of the profiles it gathered for others.</summary>
    private void PruneToClosed(ValueSet<IpAddr> closed)
    {
        if (_prunedToClosed)
        {
            return;
        }
        _prunedToClosed = true;
        _profiles.RemoveWhere((host, _) =>
        {
            if (closed.Contains(host))
            {
                return false;
            }
            _notProfiled.Add(host);   // refused by the reading thread after this shard began its profile
            return true;
        });
    }

    /// <summary>
    /// The round trip between the capture point and the client (<paramref name="toClient"/>) or the server: from the
    /// handshake when it was captured (SYN to SYN-ACK is the trip to the server, SYN-ACK to the client's ACK the
    /// trip to the client), else the smallest RTT sample of data sent towards it; 0 when nothing tells.
    /// </summary>
    internal static long RoundTripTo(TcpFlowFacts facts, bool toClient)
    {
        if (facts.SawSyn && facts.SawSynAck && facts.InitialRttNs >= 0)
        {
            long toServer = Math.Max(0, facts.SynAckTimeNs - facts.SynTimeNs);
            return toClient ? Math.Max(0, facts.InitialRttNs - toServer) : toServer;
        }
        ref TcpDirection towards = ref facts.Direction(!toClient);
        return towards.RttSamples > 0 ? towards.RttMinNs : 0;
    }

    private static void Report(EventCollector events, EventKind kind, Flow flow, in DecodedPacket p, in CaptureInfo info, long durationNs,
        string key, long valueNs)
    {
        if (!events.BuildRow(kind, info.TimestampNs))
        {
            return;
        }
        events.Report(new AnalysisEvent(kind, info.TimestampNs, info.FrameNumber, info.FileIndex, flow.Id,
            p.Src, p.SrcPort, p.Dst, p.DstPort, durationNs, key + (valueNs / 1e6).ToString("0.###", CultureInfo.InvariantCulture)));
    }
}
