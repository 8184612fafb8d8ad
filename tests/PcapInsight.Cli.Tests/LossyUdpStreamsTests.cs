using PcapInsight.Core.Analysis;
using PcapInsight.Core.Flows;
using PcapInsight.Reporting;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Cli.Tests;

/// <summary>The UDP streams with loss, found once a result for the loss chart and every report of the findings.</summary>
public class LossyUdpStreamsTests
{
    [Fact]
    public void AResult_IsSearchedOnce_AndAgainWhenItsFlowsGrew()
    {
        AnalysisResult analysed = Captures.Analyze(RepoPaths.Sample("rtp-gaps-jitter.pcap"));
        Assert.Same(LossyUdpStreams.MostLostFirst(analysed), LossyUdpStreams.MostLostFirst(analysed));

        var growing = new List<Flow>();
        AnalysisResult reportedEarly = new()
        {
            Files = analysed.Files, Packets = analysed.Packets, LinkTypes = analysed.LinkTypes, Flows = growing,
            FlowTable = analysed.FlowTable, Events = analysed.Events,
        };
        Assert.Empty(LossyUdpStreams.MostLostFirst(reportedEarly));

        growing.AddRange(analysed.Flows);

        LossyUdpStream found = Assert.Single(LossyUdpStreams.MostLostFirst(reportedEarly));
        Assert.Equal(Assert.Single(LossyUdpStreams.MostLostFirst(analysed)), found);
        Assert.Single(UdpFindings.For(reportedEarly));
    }
}
