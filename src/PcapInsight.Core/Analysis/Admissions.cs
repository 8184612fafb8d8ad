using PcapInsight.Core.Decoding;
using PcapInsight.Core.TcpAnalysis;

namespace PcapInsight.Core.Analysis;

/// <summary>
/// The two first-come limits that span every flow of the capture: which TCP flows have their time series recorded
/// (<see cref="AnalysisOptions.SeriesFlows"/> at a time) and which hosts have a delayed-ACK profile
/// (<see cref="NagleOptions.MaxProfiledHosts"/>). Each decision depends on the claims made before it anywhere in the
/// capture, so one policy decides for all: one analyzer applies each claim as it makes it; the shards of a sharded
/// run log theirs (<see cref="AdmissionLog"/>), recording speculatively meanwhile, and the reading thread replays the
/// logs here in capture order, so the run admits exactly the flows and hosts one analyzer would.
/// </summary>
/// <remarks>
/// Only the order of claims against releases matters, never the order of releases among themselves (which the
/// shards cannot reproduce within one expiry check): a slot given away goes to the earliest-started evictable flow,
/// whatever order the flows ended in.
/// </remarks>
internal sealed class Admissions
{
    private readonly int _maxSeries;
    private int _held;
    private readonly PriorityQueue<SeriesTicket, long> _evictable = new();
    private int _evictableLive;   // of them, those still evictable (the queue skips the others lazily)
    private readonly int _maxHosts;
    private readonly HashSet<IpAddr> _hosts = new();
    private HashSet<IpAddr>? _closedHosts;

    public Admissions(int maxSeriesFlows, int maxProfiledHosts)
    {
        _maxSeries = maxSeriesFlows;
        _maxHosts = maxProfiledHosts;
        if (_maxHosts == 0)
        {
            _closedHosts = _hosts;
        }
    }

    /// <summary>
    /// The profiled hosts once every profile slot is taken (the set is final from then on; read from any thread),
    /// else null: a host not in it will never be profiled.
    /// </summary>
    public HashSet<IpAddr>? ClosedHosts => Volatile.Read(ref _closedHosts);

    /// <summary>Flows refused a series slot.</summary>
    public long SeriesRefused { get; private set; }

    /// <summary>
    /// True when a claim made now would be granted. A lone analyzer asks first and makes no claim object for a flow
    /// refused (a million connections past the slots would otherwise each leave one to the collector).
    /// </summary>
    public bool SeriesSlotFree => _held < _maxSeries || _evictableLive > 0;

    /// <summary>A claim refused without its object (<see cref="SeriesSlotFree"/> was false).</summary>
    public void NoteSeriesRefused() => SeriesRefused++;

    public void Apply(AdmissionKind kind, object subject)
    {
        switch (kind)
        {
            case AdmissionKind.SeriesClaim:
                Claim((SeriesTicket)subject);
                break;
            case AdmissionKind.SeriesEndedPlain:
                Ended((SeriesTicket)subject);
                break;
            case AdmissionKind.SeriesForget:
                Forget((SeriesTicket)subject);
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
    SeriesForget,       // the flow left the report's list
    HostClaim,          // a host's first timed ACK (in this analyzer)
}
