namespace PcapInsight.Core.Flows;

/// <summary>
/// Summaries a report writer has finished with, for the spool's reader to decode later flows into
/// (<see cref="Analysis.AnalysisResult.ReadReleasedFlows"/>) and the listed ones to be summarised into (<see cref="Of"/>).
/// flows.csv of a million flows otherwise made a summary and its TCP part for each (400 MB), which set the collector
/// off in the middle of the table; a writer that returns each row once its bytes are out keeps a few batches' worth.
/// </summary>
/// <remarks>One thread: the one that enumerates the flows and writes them.</remarks>
public sealed class FlowSummaryPool
{
    private readonly Stack<FlowSummary> _free = new();

    /// <summary>Summaries ready to be decoded into.</summary>
    public int Count => _free.Count;

    /// <summary>
    /// Gives <paramref name="summary"/> back: a later flow is decoded into it, so the caller must hold no reference
    /// to it (or to its <see cref="FlowSummary.Tcp"/> or <see cref="FlowSummary.Udp"/>), and return it only once.
    /// </summary>
    public void Return(FlowSummary summary) => _free.Push(summary);

    /// <summary>The summary of <paramref name="flow"/> as it stands (<see cref="FlowSummary.Of"/>), in a summary given back.</summary>
    public FlowSummary Of(Flow flow) => FlowSummary.Fill(Rent(), flow, this);

    /// <summary>
    /// The summaries of <paramref name="summaries"/> that <paramref name="keep"/> accepts; each other one is given back
    /// at once, so the next one read is decoded into it (a selection, a table of one protocol).
    /// </summary>
    public IEnumerable<FlowSummary> Keeping(IEnumerable<FlowSummary> summaries, Func<FlowSummary, bool> keep)
    {
        foreach (FlowSummary s in summaries)
        {
            if (keep(s))
            {
                yield return s;
            }
            else
            {
                Return(s);
            }
        }
    }

    /// <summary>A summary to decode into: one given back, or a new one.</summary>
    internal FlowSummary Rent() => _free.TryPop(out FlowSummary? s) ? s : new FlowSummary();

    // The TCP or UDP part of a summary given back that the flow decoded into it next did not need: kept for one that
    // does, so that a spool of TCP and UDP flows in turn is read without a new part at each change of protocol (about
    // 140 bytes each; reading 210,000 summaries of both allocated 21 MB).
    private readonly Stack<TcpSummary> _tcpParts = new();
    private readonly Stack<UdpSummary> _udpParts = new();

    /// <summary><paramref name="s"/>'s TCP part to fill: its own, a spare one, or a new one.</summary>
    internal static TcpSummary TcpPart(FlowSummary s, FlowSummaryPool? pool) =>
        s.Tcp ?? (pool is not null && pool._tcpParts.TryPop(out TcpSummary? t) ? t : new TcpSummary());

    /// <summary><paramref name="s"/>'s UDP part to fill: its own, a spare one, or a new one.</summary>
    internal static UdpSummary UdpPart(FlowSummary s, FlowSummaryPool? pool) =>
        s.Udp ?? (pool is not null && pool._udpParts.TryPop(out UdpSummary? u) ? u : new UdpSummary(0, 0, 0));

    /// <summary><paramref name="s"/> is of a flow without a TCP part: its part, if it had one, is kept as a spare.</summary>
    internal static void NoTcpPart(FlowSummary s, FlowSummaryPool? pool)
    {
        if (s.Tcp is { } t)
        {
            pool?._tcpParts.Push(t);
            s.Tcp = null;
        }
    }

    /// <summary><paramref name="s"/> is of a flow without a UDP part: its part, if it had one, is kept as a spare.</summary>
    internal static void NoUdpPart(FlowSummary s, FlowSummaryPool? pool)
    {
        if (s.Udp is { } u)
        {
            pool?._udpParts.Push(u);
            s.Udp = null;
        }
    }
}
