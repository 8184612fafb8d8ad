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
    /// <summary>Most datagrams lost first; then by flow id, the client's direction first.</summary>
    public static List<LossyUdpStream> MostLostFirst(AnalysisResult result)
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
        return lossy;
    }
}
