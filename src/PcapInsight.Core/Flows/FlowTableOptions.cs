namespace PcapInsight.Core.Flows;

/// <summary>Limits of the flow table. Time is capture time, never the wall clock.</summary>
public sealed record FlowTableOptions
{
    /// <summary>
    /// Flows held at once, divided into partitions by flow hash (<see cref="FlowPartitions"/>). When a new flow's
    /// partition is full, its least recently active flow is closed early (<c>evicted</c>) and counted. Default
    /// 1,000,000 (about 0.7 KB each); at least 1.
    /// </summary>
    public int MaxFlows { get; init; } = 1_000_000;

    /// <summary>
    /// A flow idle this long is closed (<c>timeout</c>) and a later packet with the same 5-tuple starts a new
    /// flow. Default 600 s: long enough that keep-alive-paced TCP (Linux default probes every 75 s after 2 h idle
    /// are not affected by it) and DNS-style UDP stay one flow, as tshark's conversation table counts them.
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(600);

    /// <summary>
    /// A TCP connection that both sides closed with FIN, or that a reset ended, leaves the table this long after its
    /// last packet (capture time), rather than after <see cref="IdleTimeout"/>: what it held is released while the
    /// capture goes on, so a capture of millions of short connections needs memory for the connections of the last
    /// minute, not for all. A packet of the 5-tuple later than that (without a new SYN) starts a new flow. Default
    /// 60 s, Linux's TIME_WAIT, after which the hosts themselves have forgotten the connection: stray packets come
    /// well within it (237 public captures: a FIN retransmitted 12 s after the close, a SYN retried 12 s after a
    /// reset, a RST 21 s after; a 5 s linger, Zeek's <c>tcp_close_delay</c>, split those from their connection
    /// where tshark does not). 0 closes them at the next expiry check (every 100 ms of capture time), which can
    /// part the last ACK from its connection.
    /// </summary>
    public TimeSpan CloseLinger { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Ended flows kept in memory for the report's findings and charts. Past it an ended flow is
    /// released: plain ones first, the oldest first; flows with something to report (a retransmission, a stall, a
    /// reset, UDP loss evidence) last. A released flow's memory is freed; its counts are kept (summary.json
    /// flow_table.released), its event rows stay listed, and with a spool (<see cref="Analysis.AnalysisOptions.SpoolDirectory"/>,
    /// as the CLI runs) its flows.csv and udp.csv rows too, and report.html's table of flows can still show it.
    /// Bounds memory on captures of millions of flows and on live captures that run for hours. Default 100,000
    /// (about 70 MB: about 0.7 KB a TCP flow).
    /// </summary>
    public int MaxListedFlows { get; init; } = 100_000;

    /// <summary>Throws when a limit is outside its range.</summary>
    public void Validate()
    {
        if (MaxFlows < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxFlows), MaxFlows, "must be at least 1");
        }
        if (MaxListedFlows < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxListedFlows), MaxListedFlows, "must be at least 1");
        }
        if (CloseLinger < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(CloseLinger), CloseLinger, "must not be negative");
        }
        if (IdleTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(IdleTimeout), IdleTimeout, "must be positive");
        }
    }
}
