namespace PcapInsight.Core.TcpAnalysis;

/// <summary>The thresholds of the Nagle and delayed-ACK analysis, each with the reason for its default.</summary>
public sealed record NagleOptions
{
    /// <summary>
    /// An ACK held at least this long (after the path's RTT is taken off) was held by a delayed-ACK timer. Default
    /// 20 ms: half of Linux's 40 ms minimum (TCP_ATO_MIN), the shortest common timer, so timer jitter does not hide a
    /// stall, yet far above an immediate ACK's scheduling noise (tens of microseconds).
    /// </summary>
    public double MinHoldMs { get; init; } = 20;

    /// <summary>
    /// The held segment counts as released by the ACK when it leaves within this long of the ACK (after the round
    /// trip between the capture point and its sender is taken off). Default 1 ms: the kernel sends it while it
    /// processes the ACK, microseconds later; 1 ms absorbs scheduling and capture timestamp jitter.
    /// </summary>
    public double ReleaseMs { get; init; } = 1;

    /// <summary>
    /// Added to <see cref="ReleaseMs"/> as a fraction of the round trip to the sender, since that round trip is
    /// estimated from the handshake and varies. Default 0.25.
    /// </summary>
    public double ReleaseRttFraction { get; init; } = 0.25;

    /// <summary>
    /// The peer's answer within this long of the released segment (after its round trip) makes the stall a
    /// write-write-read: the request was complete only with the held segment. Default 10 ms: a server that answers
    /// a complete request from memory does so well within it.
    /// </summary>
    public double AnswerMs { get; init; } = 10;

    /// <summary>
    /// Hosts whose delayed-ACK timer is profiled, the first to send a timed pure ACK; past it new hosts are not (their
    /// delayed ACKs are still counted and reported). Default 4,096 (about 1.2 KiB each).
    /// </summary>
    public int MaxProfiledHosts { get; init; } = 4096;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> when a threshold is out of range.</summary>
    public void Validate()
    {
        if (!(MinHoldMs > 0) || !(ReleaseMs >= 0) || !(ReleaseRttFraction >= 0) || !(AnswerMs >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(NagleOptions), "Nagle thresholds must be positive");
        }
        if (MaxProfiledHosts < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxProfiledHosts), MaxProfiledHosts, "must not be negative");
        }
    }
}
