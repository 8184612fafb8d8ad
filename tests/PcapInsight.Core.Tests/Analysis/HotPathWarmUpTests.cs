using System.Reflection;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Flows;
using Xunit;

namespace PcapInsight.Core.Tests.Analysis;

/// <summary>The warm-up finds the per-packet methods (private and internal ones included) and compiles each.</summary>
public class HotPathWarmUpTests
{
    [Theory]
    [InlineData(typeof(FrameDecoder), "Decode")]
    [InlineData(typeof(FrameDecoder), "ReadTcpOptions")]    // private
    [InlineData(typeof(PcapFileReader), "TryRead")]
    [InlineData(typeof(CaptureAnalyzer), "RunAll")]
    [InlineData(typeof(CaptureAnalyzer), "AnalyzeFrame")]   // internal
    [InlineData(typeof(FlowTable), "Update")]
    public void Compile_TakesThePerPacketMethod(Type type, string name)
    {
        List<MethodInfo> compiled = HotPathWarmUp.Compile([typeof(CaptureAnalyzer).Assembly]);

        Assert.Contains(compiled, m => m.DeclaringType == type && m.Name == name);
        // Every marked method compiled, none left to its first call for a reason the warm-up swallowed.
        Assert.Equal(HotPathWarmUp.MarkedMethods([typeof(CaptureAnalyzer).Assembly]).Count(), compiled.Count);
        Assert.DoesNotContain(compiled, m => (m.MethodImplementationFlags & MethodImplAttributes.AggressiveOptimization) == 0);
    }
}
