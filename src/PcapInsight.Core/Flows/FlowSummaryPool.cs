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
    public FlowSummary Of(Flow flow) => FlowSummary.Fill(Rent(), flow);

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
}
