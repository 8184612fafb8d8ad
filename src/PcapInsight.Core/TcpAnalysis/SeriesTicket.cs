namespace PcapInsight.Core.TcpAnalysis;

/// <summary>
/// A TCP flow's claim on a series slot (<see cref="Analysis.Admissions"/>), and its two series once recording. In a
/// sharded run the policy answers on the reading thread while the shard goes on: the claim's state is written there
/// and read by the shard, which keeps the flow's points aside until the answer (<see cref="TcpSeriesRecorder"/>).
/// </summary>
internal sealed class SeriesTicket(long order)
{
    private volatile int _claim;
    private long _order = order;
    private TcpSeries? _c2s;
    private TcpSeries? _s2c;

    /// <summary>
    /// Where the flow's first segment came in the capture (frame × phases + phase): the earliest claim among flows
    /// that may give their slot away gives it first.
    /// </summary>
    public long Order => _order;

    /// <summary>Where the claim stands: written by the policy's thread, read by the recording one.</summary>
    internal SeriesClaim Claim
    {
        get => (SeriesClaim)_claim;
        set => _claim = (int)value;
    }

    // The recording thread's: each direction's first sequence number (points are relative to it), known before the
    // answer; and what a shard's pass over its points set aside read of the claim.
    internal bool HasBaseC2S, HasBaseS2C;
    internal uint BaseC2S, BaseS2C;
    internal int SettlePass;
    internal SeriesClaim SettleClaim;

    /// <summary>
    /// A shard's: the facts of the flow that claimed, so that a refusal lets the flow drop its claim (a million
    /// refused claims would otherwise live as long as their connections).
    /// </summary>
    internal Flows.TcpFlowFacts? Owner;

    /// <summary>The two series, when the claim stands (held, or held until a later flow needs the slot).</summary>
    public (TcpSeries C2S, TcpSeries S2C)? Series =>
        Claim is SeriesClaim.Held or SeriesClaim.Evictable && Volatile.Read(ref _c2s) is { } c2s && Volatile.Read(ref _s2c) is { } s2c
            ? (c2s, s2c) : null;

    /// <summary>True once the recording thread has started the series (its own view).</summary>
    internal bool Recording => _c2s is not null;

    /// <summary>The series being recorded (the recording thread's).</summary>
    internal TcpSeries? C2S => _c2s;

    internal TcpSeries? S2C => _s2c;

    /// <summary>Starts the series, on the recording thread, when the claim is granted.</summary>
    public void Start(int pointsPerDirection)
    {
        _c2s = new TcpSeries(pointsPerDirection) { BaseSeq = BaseC2S };
        _s2c = new TcpSeries(pointsPerDirection) { BaseSeq = BaseS2C };
    }

    /// <summary>
    /// Makes a refused claim, which nothing reads any more, a new pending one at <paramref name="order"/> (a shard's:
    /// see <see cref="TcpSeriesRecorder"/>).
    /// </summary>
    internal void Reissue(long order)
    {
        _order = order;
        HasBaseC2S = HasBaseS2C = false;
        BaseC2S = BaseS2C = 0;
        SettlePass = 0;
        SettleClaim = SeriesClaim.Pending;
        Owner = null;
        _c2s = _s2c = null;
        Claim = SeriesClaim.Pending;
    }

    /// <summary>Lets go of the series (refused, given away, or the flow left the list).</summary>
    public void Drop()
    {
        Volatile.Write(ref _c2s, null);
        Volatile.Write(ref _s2c, null);
    }
}

/// <summary>Where a claim stands in <see cref="Analysis.Admissions"/>.</summary>
internal enum SeriesClaim
{
    Pending,     // not decided yet (a shard's, before the reading thread replays it)
    Held,        // has a slot
    Evictable,   // has a slot, but the flow ended without trouble under 1 MiB: a new flow may take it
    Refused,     // no slot was free
    Gone,        // gave its slot away, or the flow left the report's list
}
