using PcapInsight.Core.Flows;
using PcapInsight.Core.UdpAnalysis;
using Xunit;

namespace PcapInsight.Core.Tests.Flows;

/// <summary>
/// What every live flow costs, object by object. The flow table holds up to a million of them (a resolver's capture is
/// a UDP flow every two frames, a scan a connection every two), so each byte here is a megabyte of a large capture's
/// peak memory: a field added to them should be a choice, and this test is where it shows.
/// </summary>
public class FlowFootprintTests
{
    /// <summary>
    /// Each object with the bytes it takes now (64-bit runtime: 16 of object header and method table). The figures of
    /// bench/RESULTS.md ("A UDP flow's figures in 208 bytes", "A TCP connection in 616 bytes") measured these.
    /// </summary>
    public static TheoryData<string, Func<object>, int> Objects => new()
    {
        { "a flow", () => new Flow(), 224 },
        { "a TCP connection's facts", () => new TcpFlowFacts(), 400 },
        // Two directions of 80 bytes: the RTP candidate in 8, the current and the worst burst in 32 each (their
        // truesize computed, not kept); what a followed sequence needs is out of line.
        { "a UDP flow's figures", () => new UdpFlowStats(), 208 },
    };

    [Theory]
    [MemberData(nameof(Objects))]
    public void EachFlowObject_TakesNoMoreThanItDid(string what, Func<object> make, int bytes)
    {
        make();   // the type loaded and the allocation path warm: only the object is counted below
        long before = GC.GetAllocatedBytesForCurrentThread();
        object made = make();
        long taken = GC.GetAllocatedBytesForCurrentThread() - before;
        GC.KeepAlive(made);

        Assert.True(taken <= bytes, $"{what}: {taken} bytes, more than the {bytes} it took");
    }
}
