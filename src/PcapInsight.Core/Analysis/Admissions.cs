using PcapInsight.Core.Collections;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Flows;
using PcapInsight.Core.TcpAnalysis;

namespace PcapInsight.Core.Analysis;

/// <summary>
/// The limits that span every flow of the capture: which TCP flows have their time series recorded
/// (<see cref="AnalysisOptions.SeriesFlows"/> at a time), which hosts have a delayed-ACK profile
/// (<see cref="NagleOptions.MaxProfiledHosts"/>) and which ended flows the report lists
/// (<see cref="FlowTableOptions.MaxListedFlows"/>, <see cref="FlowListing"/>). Each decision depends on what came
/// before it anywhere in the capture, so one policy decides for all: one analyzer applies each claim as it makes it;
/// the shards of a sharded run log theirs (<see cref="AdmissionLog"/>), recording speculatively meanwhile, and the
/// reading thread replays the logs here in capture order, so the run admits, lists and releases exactly the flows
/// and hosts one analyzer would.
/// </summary>
/// <remarks>
/// Only the order of claims against releases matters, never the order of releases among themselves (which the
/// shards cannot reproduce within one expiry check): a slot given away goes to the earliest-started evictable flow,
/// whatever order the flows ended in; the flows that end at one place are listed in the order they were created.
/// A place's ended flows are listed once a later place comes (or <see cref="EndPlaces"/>), before its claims.
/// </remarks>
internal sealed class Admissions
{
    private readonly int _maxSeries;
    private int _held;
    private readonly PriorityQueue<SeriesTicket, long> _evictable = new();
    private int _evictableLive;   // of them, those still evictable (the queue skips the others lazily)
    private readonly int _maxHosts;
    private readonly ValueSet<IpAddr> _hosts = new();
    private ValueSet<IpAddr>? _closedHosts;

    private readonly FlowListing _listing;

    public Admissions(int maxSeriesFlows, int maxProfiledHosts, int maxListedFlows)
    {
        _maxSeries = maxSeriesFlows;
        _maxHosts = maxProfiledHosts;
        // A released flow frees its series slot here, in the policy's order; the analyzer that ended the flow writes
        // it to its spool and reuses its objects when its log hands it back.
        _listing = new FlowListing(maxListedFlows)
        {
            Releasing = (flow, owner) =>
            {
                if (flow.Tcp is { SeriesTicket: { } ticket })
                {
                    Forget(ticket);
                }
                ((AdmissionLog)owner!).Release(flow);
            },
        };
        if (_maxHosts == 0)
        {
            _closedHosts = _hosts;
        }
    }

    /// <summary>
    /// The profiled hosts once every profile slot is taken (the set is final from then on; read from any thread),
    /// else null: a host not in it will never be profiled.
    /// </summary>
    public ValueSet<IpAddr>? ClosedHosts => Volatile.Read(ref _closedHosts);

    /// <summary>Flows refused a series slot.</summary>
    public long SeriesRefused { get; private set; }

    /// <summary>
    /// True when a claim made now would be granted. A lone analyzer asks first and makes no claim object for a flow
    /// refused (a million connections past the slots would otherwise each leave one to the collector).
    /// </summary>
    public bool SeriesSlotFree => _held < _maxSeries || _evictableLive > 0;

    /// <summary>A claim refused without its object (<see cref="SeriesSlotFree"/> was false).</summary>
    public void NoteSeriesRefused() => SeriesRefused++;

    /// <summary>The ended flows the report lists, and how many were released.</summary>
    public FlowListing Listing => _listing;

    /// <summary>The analyzers have reached <paramref name="place"/>: flows that ended at an earlier place are listed.</summary>
    public void Reached(long place) => _listing.Reached(place);

    /// <summary>Every entry of the places so far is in: their ended flows are listed.</summary>
    public void EndPlaces() => _listing.Flush();

    /// <summary>
    /// One claim or ended flow, made at <paramref name="place"/> by the analyzer of <paramref name="from"/> (which gets
    /// back the flows released); flows that ended at an earlier place are listed first.
    /// </summary>
    public void Apply(long place, AdmissionKind kind, object subject, long creationOrder, AdmissionLog from)
    {
        _listing.Reached(place);
        switch (kind)
        {
            case AdmissionKind.SeriesClaim:
                Claim((SeriesTicket)subject);
                break;
            case AdmissionKind.SeriesEndedPlain:
                Ended((SeriesTicket)subject);
                break;
            case AdmissionKind.FlowEndedPlain or AdmissionKind.FlowEndedNotable:
                _listing.Add((Flow)subject, kind == AdmissionKind.FlowEndedNotable, place, creationOrder, from);
                break;
            case AdmissionKind.HostClaim:
                Claim((DelayedAckProfile)subject);
                break;
        }
    }

    /// <summary>A flow's first segment: a slot if one is free or an ended flow not worth drawing can give its own.</summary>
    private void Claim(SeriesTicket ticket)
    {
        while (_held >= _maxSeries && _evictable.TryDequeue(out SeriesTicket? given, out _))
        {
            if (given.Claim == SeriesClaim.Evictable)   // else it left the list since
            {
                _evictableLive--;
                given.Claim = SeriesClaim.Gone;
                given.Drop();
                _held--;
            }
        }
        if (_held >= _maxSeries)
        {
            ticket.Claim = SeriesClaim.Refused;
            ticket.Drop();
            SeriesRefused++;
            return;
        }
        _held++;
        ticket.Claim = SeriesClaim.Held;
    }

    /// <summary>The flow ended without trouble worth a chart: its slot may go to a later flow.</summary>
    private void Ended(SeriesTicket ticket)
    {
        if (ticket.Claim == SeriesClaim.Held)
        {
            ticket.Claim = SeriesClaim.Evictable;
            _evictableLive++;
            _evictable.Enqueue(ticket, ticket.Order);
        }
    }

    /// <summary>The flow left the report's list (<c>--max-listed-flows</c>): its slot is free.</summary>
    private void Forget(SeriesTicket ticket)
    {
        if (ticket.Claim is SeriesClaim.Held or SeriesClaim.Evictable)
        {
            _evictableLive -= ticket.Claim == SeriesClaim.Evictable ? 1 : 0;
            _held--;
            ticket.Claim = SeriesClaim.Gone;
        }
        ticket.Drop();
    }

    /// <summary>A host's first timed ACK: profiled while profile slots are free; the first hosts keep theirs.</summary>
    private void Claim(DelayedAckProfile profile)
    {
        if (_hosts.Contains(profile.Host))
        {
            return;   // claimed before, by another shard's flow
        }
        if (_closedHosts is not null)
        {
            profile.Refuse();
            return;
        }
        _hosts.Add(profile.Host);
        if (_hosts.Count >= _maxHosts)
        {
            Volatile.Write(ref _closedHosts, _hosts);   // no more additions: safe to read from the shards' threads
        }
    }
}

/// <summary>What a logged claim or release is.</summary>
internal enum AdmissionKind : byte
{
    SeriesClaim,        // a TCP flow's first segment
    SeriesEndedPlain,   // the flow ended without trouble worth a chart and under 1 MiB
    FlowEndedPlain,     // a flow left the table (for the report's list)
    FlowEndedNotable,   // a flow with something to report left the table
    HostClaim,          // a host's first timed ACK (in this analyzer)
}
