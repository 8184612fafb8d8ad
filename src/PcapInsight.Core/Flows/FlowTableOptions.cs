namespace PcapInsight.Core.Flows;

/// <summary>Limits of the flow table. Time is capture time, never the wall clock.</summary>
public sealed record FlowTableOptions
{
    /// <summary>
    /// Flows held at once. When full, the least recently active flow is closed early (<c>evicted</c>) and
    /// counted. Default 1,000,000 (a few hundred bytes each); at least 1.
    /// </summary>
    public int MaxFlows { get; init; } = 1_000_000;

    /// <summary>
    /// A flow idle this long is closed (<c>timeout</c>) and a later packet with the same 5-tuple starts a new
    /// flow. Default 600 s: long enough that keep-alive-paced TCP (Linux default probes every 75 s after 2 h idle
    /// are not affected by it) and DNS-style UDP stay one flow, as tshark's conversation table counts them.
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(600);

    /// <summary>
    /// Ended flows kept for the report (flows.csv, charts). Past it the oldest ended flow is released: its memory
    /// freed, its counts kept (summary.json flow_table.released, flows by protocol), its event rows still listed.
    /// Bounds memory on captures of millions of flows and on live captures that run for hours. Default 1,000,000.
    /// </summary>
    public int MaxListedFlows { get; init; } = 1_000_000;

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
        if (IdleTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(IdleTimeout), IdleTimeout, "must be positive");
        }
    }
}
