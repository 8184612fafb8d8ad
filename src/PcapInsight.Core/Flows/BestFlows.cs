namespace PcapInsight.Core.Flows;

/// <summary>
/// The <see cref="Capacity"/> best flows offered, best first by <see cref="Compare"/>: those with trouble
/// (retransmissions, zero windows, Nagle stalls), then the most bytes, then the first. The spool keeps the best of the
/// flows it takes, so that report.html's table of flows can choose among every flow without reading the spool back.
/// </summary>
public sealed class BestFlows
{
    /// <summary>How many a spool keeps: report.html's table shows at most this many flows.</summary>
    public const int Capacity = 1000;

    // Worst of those kept on top, to be dropped when a better one comes.
    private readonly PriorityQueue<FlowSummary, FlowSummary> _kept;
    private readonly int _capacity;

    /// <summary>Keeps the <see cref="Capacity"/> best.</summary>
    public BestFlows()
        : this(Capacity)
    {
    }

    /// <summary>Keeps the <paramref name="capacity"/> best (tests choose among a capture's few flows).</summary>
    internal BestFlows(int capacity)
    {
        _capacity = capacity;
        _kept = new(capacity + 1, Comparer<FlowSummary>.Create(Compare));
    }

    /// <summary>The flows kept, in no order.</summary>
    public IEnumerable<FlowSummary> Items => _kept.UnorderedItems.Select(x => x.Element);

    /// <summary>The best of <paramref name="flows"/>, read when enumerated (a selection's released flows, from the spool).</summary>
    public static IEnumerable<FlowSummary> Of(IEnumerable<FlowSummary> flows)
    {
        var best = new BestFlows();
        foreach (FlowSummary f in flows)
        {
            best.Offer(f);
        }
        foreach (FlowSummary f in best.Items)
        {
            yield return f;
        }
    }

    /// <summary>
    /// The <paramref name="count"/> best of the flows in memory and of those released (best first): every flow's
    /// candidates, since the released ones' best are what <paramref name="releasedBest"/> keeps.
    /// </summary>
    public static IReadOnlyList<FlowSummary> Top(IEnumerable<Flow> listed, IEnumerable<FlowSummary> releasedBest, int count)
    {
        var best = new BestFlows(count);
        foreach (Flow f in listed)
        {
            best.Offer(f);
        }
        foreach (FlowSummary f in releasedBest)
        {
            best.Offer(f);
        }
        List<FlowSummary> top = best.Items.ToList();
        top.Sort((a, b) => Compare(b, a));
        return top;
    }

    /// <summary>Keeps <paramref name="flow"/> if it is among the best so far.</summary>
    public void Offer(FlowSummary flow)
    {
        if (_kept.Count == _capacity)
        {
            if (Compare(flow, _kept.Peek()) <= 0)
            {
                return;
            }
            _kept.Dequeue();
        }
        _kept.Enqueue(flow, flow);
    }

    /// <summary>
    /// Keeps the summary of <paramref name="flow"/> if it is among the best so far; makes that summary only then (a
    /// spool of a million flows keeps a thousand).
    /// </summary>
    public void Offer(Flow flow)
    {
        if (_kept.Count < _capacity || CompareRanks(RankOf(flow), RankOf(_kept.Peek())) > 0)
        {
            Offer(FlowSummary.Of(flow));
        }
    }

    /// <summary>Positive when <paramref name="a"/> ranks above <paramref name="b"/>: trouble, then bytes, then the lower id.</summary>
    public static int Compare(FlowSummary a, FlowSummary b) => CompareRanks(RankOf(a), RankOf(b));

    private static int CompareRanks((bool Trouble, long Bytes, int Id) a, (bool Trouble, long Bytes, int Id) b) =>
        a.Trouble != b.Trouble ? (a.Trouble ? 1 : -1)
        : a.Bytes != b.Bytes ? a.Bytes.CompareTo(b.Bytes)
        : b.Id.CompareTo(a.Id);

    private static (bool Trouble, long Bytes, int Id) RankOf(FlowSummary f) => (f.HasTrouble, f.BytesC2S + f.BytesS2C, f.Id);

    private static (bool Trouble, long Bytes, int Id) RankOf(Flow f) =>
        (f.Tcp is { HasTrouble: true }, f.BytesC2S + f.BytesS2C, f.Id);
}
