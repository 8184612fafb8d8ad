using PcapInsight.Core.Analysis;
using PcapInsight.Core.Flows;
using PcapInsight.Core.UdpAnalysis;

namespace PcapInsight.Reporting;

/// <summary>A UDP flow direction whose sequence numbers show loss.</summary>
internal sealed record LossyUdpStream(Flow Flow, bool FromClient, UdpStream Stream);

/// <summary>
/// The UDP streams with sequence-number loss, for the findings and the loss chart. A list of objects, not LINQ over
/// (flow, direction, stream) tuples: that was framework code over our types, compiled at run time (ReportOrder says
/// why).
/// </summary>
internal static class LossyUdpStreams
{
    /// <summary>Most datagrams lost first; then by flow id, the client's direction first. The same list for every caller: not to be changed.</summary>
    /// <remarks>Asked for by the loss chart and by each report of the findings: found once a result (<see cref="PerResult{T}"/>), as each search walks every listed flow (100,000 on a large capture).</remarks>
    public static IReadOnlyList<LossyUdpStream> MostLostFirst(AnalysisResult result) => Found.Of(result);

    private static readonly PerResult<LossyUdpStream[]> Found = new(r => r.Flows.Count, Find);

    private static LossyUdpStream[] Find(AnalysisResult result)
    {
        var lossy = new List<LossyUdpStream>();
        foreach (Flow f in result.Flows)   // in id order
        {
            if (f.Udp is not { } udp)
            {
                continue;
            }
            if (udp.C2S.Sequence is { Lost: > 0 })
            {
                lossy.Add(new LossyUdpStream(f, true, udp.C2S));
            }
            if (udp.S2C.Sequence is { Lost: > 0 })
            {
                lossy.Add(new LossyUdpStream(f, false, udp.S2C));
            }
        }
        ReportOrder.StableSort(lossy, static (a, b) => b.Stream.Sequence!.Lost.CompareTo(a.Stream.Sequence!.Lost));
        return [.. lossy];
    }
}
