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
    private readonly PriorityQueue<FlowSummary, FlowSummary> _kept = new(Capacity + 1, Comparer<FlowSummary>.Create(Compare));

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

    /// <summary>Keeps <paramref name="flow"/> if it is among the best so far.</summary>
    public void Offer(FlowSummary flow)
    {
        if (_kept.Count == Capacity)
        {
            if (Compare(flow, _kept.Peek()) <= 0)
            {
                return;
            }
            _kept.Dequeue();
        }
        _kept.Enqueue(flow, flow);
    }

    /// <summary>Positive when <paramref name="a"/> ranks above <paramref name="b"/>: trouble, then bytes, then the lower id.</summary>
    public static int Compare(FlowSummary a, FlowSummary b) =>
        a.HasTrouble != b.HasTrouble ? (a.HasTrouble ? 1 : -1)
        : a.BytesC2S + a.BytesS2C != b.BytesC2S + b.BytesS2C ? (a.BytesC2S + a.BytesS2C).CompareTo(b.BytesC2S + b.BytesS2C)
        : b.Id.CompareTo(a.Id);
}
