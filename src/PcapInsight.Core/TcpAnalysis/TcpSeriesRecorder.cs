using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Collections;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Flows;

namespace PcapInsight.Core.TcpAnalysis;

/// <summary>
/// Keeps per-direction time series (segments, ACKs with their windows, bytes in flight, RTT samples) for up to
/// <see cref="AnalysisOptions.SeriesFlows"/> TCP flows at a time, for the charts and for <c>tcp_series.csv</c>. A flow
/// claims a slot with its first segment (<see cref="Admissions"/> decides); a flow that ended without trouble and
/// under 1 MiB keeps its series only until a new flow needs the slot (the earliest-started such gives way first), so
/// long captures keep the flows worth drawing and short ones still have every flow drawn. Memory is bounded: each
/// series grows to <c>pointsPerDirection</c> points (32 bytes each) and is thinned past it.
/// </summary>
/// <remarks>
/// In a shard the claim is answered later, by the reading thread. Until then the flow's points wait in one list of
/// the shard's (<see cref="Settle"/> moves them to the series once the answer is yes, in order, or drops them): series
/// allocated speculatively for every new flow would sit between the flows' own objects, and on small.pcap that
/// scattering of the flows' state cost 2.5 s of 4.
/// </remarks>
/// <param name="pointsPerDirection">Points kept per direction.</param>
/// <param name="admissions">Who decides the slots.</param>
/// <param name="onlyFlowsStartingAt">When set, the flows that may claim a slot (<see cref="AnalysisOptions.SeriesOnlyFlowsStartingAt"/>).</param>
internal sealed class TcpSeriesRecorder(int pointsPerDirection, AdmissionLog admissions, IReadOnlySet<(long Frame, long TimeNs)>? onlyFlowsStartingAt = null)
{
    // A shard's points wait about three batches at most (the claim's, the one the reading thread answers after, the
    // one the shard settles after): up to 3 × 4,096 packets of three points each. Room for that from the start (1.8 MB
    // a shard, while series are recorded), so the list does not grow, and allocate, at a different moment in every run.
    private const int WaitingRoom = 3 * 4096 * 3;
    private readonly ValueList<WaitingPoint> _waiting = new(admissions.Deferred ? WaitingRoom : 0);
    private int _pass;

    // A shard's refused claims, made again for later flows. A shard claims for every new TCP flow, since only the
    // reading thread knows whether a slot is free; on a capture of flows past the slots (a scan) a new claim object
    // for each was ~70 bytes a flow of garbage that lived through a few batches, and the server collector's heap
    // grew with the rate (peak RSS 500-540 MiB for 8 M flows, where one thread took 195). A refused claim is safe to
    // reuse once a pass of Settle has seen the refusal: its points are dropped in that pass, its flow lets go of it,
    // and the policy never keeps a refused claim (only held ones wait in its queue of evictable slots). A log entry
    // of the old flow not yet replayed (its end) finds the claim pending, or refused, and does nothing with it.
    // The spare claims are never more than were waiting at once (only a waiting claim can be refused), so they need
    // no limit of their own: what waits is bounded by the few batches a shard runs ahead.
    private readonly Stack<SeriesTicket> _spare = new();

    /// <summary>After the analyses of a segment: its points, on the flow's series (claiming a slot with its first).</summary>
    public void OnSegment(Flow flow, bool fromClient, in DecodedPacket p, in CaptureInfo info, long place)
    {
        TcpFlowFacts facts = flow.Tcp!;
        if (facts.SeriesOff)
        {
            return;
        }
        if (facts.SeriesTicket is not { } ticket)
        {
            if (onlyFlowsStartingAt is { } only && !only.Contains((flow.FirstFrame, flow.FirstTimeNs)))
            {
                facts.SeriesOff = true;   // not a flow being replayed: no claim, and no refusal to count
                return;
            }
            if (!admissions.Deferred && !admissions.Policy.SeriesSlotFree)
            {
                admissions.Policy.NoteSeriesRefused();
                facts.SeriesOff = true;
                return;
            }
            ticket = NewClaim(place);
            facts.SeriesTicket = ticket;
            admissions.Add(AdmissionKind.SeriesClaim, ticket);
            if (!admissions.Deferred && ticket.Claim == SeriesClaim.Held)
            {
                ticket.Start(pointsPerDirection);
            }
            else if (admissions.Deferred)
            {
                ticket.Owner = facts;
                _waiting.Add(new WaitingPoint(ticket, ClaimOnly: true, ToC2S: false, default));   // granted, it has series even without a point
            }
        }
        if (!ticket.Recording && (!admissions.Deferred || ticket.Claim is SeriesClaim.Refused or SeriesClaim.Gone))
        {
            // Refused, given away or forgotten: for good. The flow lets go of its claim, so that the claims of a
            // million connections the slots refused are not kept alive with them.
            facts.SeriesOff = true;
            facts.SeriesTicket = null;
            return;
        }
        ref TcpDirection sender = ref facts.Direction(fromClient);
        ref TcpDirection receiver = ref facts.Direction(!fromClient);
        long t = info.TimestampNs;

        ref bool ownHasBase = ref fromClient ? ref ticket.HasBaseC2S : ref ticket.HasBaseS2C;
        ref uint ownBase = ref fromClient ? ref ticket.BaseC2S : ref ticket.BaseS2C;
        if (!ownHasBase)
        {
            ownHasBase = true;
            ownBase = p.Seq + ((p.Flags & TcpFlags.Syn) != 0 ? 1u : 0u);
            if ((fromClient ? ticket.C2S : ticket.S2C) is { } own)
            {
                own.BaseSeq = ownBase;   // the base itself lives on the claim: points waiting for the answer need it too
            }
        }
        if (p.PayloadLength > 0)
        {
            bool resent = sender.LastResent;
            Add(ticket, fromClient, new TcpSeriesPoint(t, resent ? TcpSeriesKind.Resend : TcpSeriesKind.Data, unchecked(p.Seq - ownBase), p.PayloadLength,
                resent ? -1 : sender.LastInFlight));
        }
        bool otherHasBase = fromClient ? ticket.HasBaseS2C : ticket.HasBaseC2S;
        if ((p.Flags & TcpFlags.Ack) != 0 && otherHasBase)
        {
            uint otherBase = fromClient ? ticket.BaseS2C : ticket.BaseC2S;
            int scale = TcpWindowAnalyzer.ScaleOf(facts, fromClient);
            long window = (p.Flags & TcpFlags.Syn) != 0 ? p.Window : scale < 0 ? -1 : (long)p.Window << scale;
            Add(ticket, !fromClient, new TcpSeriesPoint(t, TcpSeriesKind.Ack, unchecked(p.Ack - otherBase), 0, window));
            if (receiver.LastRttSampleNs > 0)
            {
                Add(ticket, !fromClient, new TcpSeriesPoint(t, TcpSeriesKind.Rtt, unchecked(p.Ack - otherBase), 0, receiver.LastRttSampleNs));
                receiver.LastRttSampleNs = 0;
            }
        }
    }

    private SeriesTicket NewClaim(long place)
    {
        if (!_spare.TryPop(out SeriesTicket? ticket))
        {
            return new SeriesTicket(place);
        }
        ticket.Reissue(place);
        return ticket;
    }

    private void Add(SeriesTicket ticket, bool toC2S, in TcpSeriesPoint point)
    {
        if ((toC2S ? ticket.C2S : ticket.S2C) is { } series)
        {
            series.Add(point);
        }
        else if (admissions.Deferred && !ticket.Recording)
        {
            _waiting.Add(new WaitingPoint(ticket, ClaimOnly: false, toC2S, point));
        }
    }

    /// <summary>
    /// A shard's points waiting for their flows' answers: to the series of flows now granted a slot (started here, in
    /// the order the points came), dropped for flows refused; the rest wait on. Each claim is read once per pass, so
    /// an answer that comes during the pass cannot split a flow's points.
    /// </summary>
    public void Settle()
    {
        _pass++;
        int kept = 0;
        for (int i = 0; i < _waiting.Count; i++)
        {
            WaitingPoint w = _waiting[i];
            SeriesTicket ticket = w.Ticket;
            if (ticket.SettlePass != _pass)
            {
                ticket.SettlePass = _pass;
                ticket.SettleClaim = ticket.Claim;
                if (ticket.SettleClaim is SeriesClaim.Held or SeriesClaim.Evictable && !ticket.Recording)
                {
                    ticket.Start(pointsPerDirection);
                }
                else if (ticket.SettleClaim is SeriesClaim.Refused or SeriesClaim.Gone && ticket.Owner is { } owner)
                {
                    if (ReferenceEquals(owner.SeriesTicket, ticket))   // else the flow's objects carry another flow now
                    {
                        owner.SeriesOff = true;
                        owner.SeriesTicket = null;
                    }
                    ticket.Owner = null;
                    if (ticket.SettleClaim == SeriesClaim.Refused)
                    {
                        _spare.Push(ticket);   // reissued after this pass, which drops the rest of its points
                    }
                }
            }
            switch (ticket.SettleClaim)
            {
                case SeriesClaim.Pending:
                    _waiting[kept++] = w;
                    break;
                case SeriesClaim.Held or SeriesClaim.Evictable when !w.ClaimOnly:
                    (w.ToC2S ? ticket.C2S : ticket.S2C)?.Add(w.Point);
                    break;
            }
        }
        _waiting.Truncate(kept);
        if (_waiting.Count == 0 && _waiting.Capacity > WaitingRoom)
        {
            _waiting.Clear(keepAtMost: WaitingRoom);   // a burst of new flows does not keep its memory
        }
    }

    /// <summary>Points still waiting (none once every claim is answered and <see cref="Settle"/> has run).</summary>
    public int Waiting => _waiting.Count;

    /// <summary>The flow ended; when <paramref name="worthDrawing"/> is false, its slot may go to a later flow.</summary>
    public void Release(Flow flow, bool worthDrawing)
    {
        if (!worthDrawing && flow.Tcp is { SeriesTicket: { } ticket })
        {
            admissions.Add(AdmissionKind.SeriesEndedPlain, ticket);
        }
    }

    /// <summary>A point waiting for its flow's answer, or (<paramref name="ClaimOnly"/>) the claim itself.</summary>
    private readonly record struct WaitingPoint(SeriesTicket Ticket, bool ClaimOnly, bool ToC2S, TcpSeriesPoint Point);
}
