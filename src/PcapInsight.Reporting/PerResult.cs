using System.Runtime.CompilerServices;
using PcapInsight.Core.Analysis;

namespace PcapInsight.Reporting;

/// <summary>
/// A value worked out once for a result and kept with it while the result lives, because several reports ask for it
/// (report.html, summary.json, the console, the charts). Made again when the part of the result it was made from has
/// grown since (<paramref name="size"/>: a caller's own list, or a library user's result reported as it fills), rather
/// than shown as it was. Thread-safe: two first askers may both make it; either is kept.
/// </summary>
/// <param name="size">How much of the result the value was made from (a list's count).</param>
/// <param name="make">Makes the value; what it returns is shared by every caller and not to be changed.</param>
internal sealed class PerResult<T>(Func<AnalysisResult, int> size, Func<AnalysisResult, T> make) where T : class
{
    private readonly ConditionalWeakTable<AnalysisResult, Made> _made = new();

    private sealed record Made(int Size, T Value);

    public T Of(AnalysisResult result)
    {
        int now = size(result);
        if (!_made.TryGetValue(result, out Made? made) || made.Size != now)
        {
            made = new Made(now, make(result));
            _made.AddOrUpdate(result, made);
        }
        return made.Value;
    }
}
