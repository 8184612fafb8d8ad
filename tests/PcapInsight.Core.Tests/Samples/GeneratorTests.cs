using System.Diagnostics;
using PcapInsight.Core.Analysis;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Core.Tests.Samples;

/// <summary>
/// Regenerates a quick scenario with sample-captures/generate.py in a fresh lab of network namespaces, so the
/// generator cannot rot. Needs root, iproute2, tcpdump and python3: CI has them (it runs as root and .ci/run
/// installs the tools); elsewhere the test skips and says why.
/// </summary>
public class GeneratorTests
{
    private static string? MissingPrerequisite()
    {
        if (Environment.UserName != "root")
        {
            return "generate.py needs root (network namespaces, tcpdump)";
        }
        foreach (string tool in new[] { "ip", "tcpdump", "python3", "ethtool" })
        {
            if (!ToolPath.Has(tool))
            {
                return $"{tool} is not installed";
            }
        }
        return null;
    }

    public sealed class GeneratorFactAttribute : FactAttribute
    {
        public GeneratorFactAttribute()
        {
            // In CI a missing prerequisite is a failure of .ci/run, not a reason to skip.
            if (!RepoPaths.IsCi && MissingPrerequisite() is { } reason)
            {
                Skip = reason;
            }
        }
    }

    [GeneratorFact]
    public void Generate_QuickScenarios_ChecksPassAndTheAnalyzerAgrees()
    {
        Assert.Null(MissingPrerequisite());
        string output = Path.Combine(Path.GetTempPath(), "pcapinsight-generate-" + Guid.NewGuid().ToString("N"));
        try
        {
            var info = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in new[] { Path.Combine(RepoPaths.SampleCaptures, "generate.py"), "--out", output, "nagle-cork", "udp-rcvbuf-overflow", "nagle-delack-vxlan" })
            {
                info.ArgumentList.Add(a);
            }
            using Process process = Process.Start(info)!;
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), "generate.py did not finish in 2 minutes");
            Assert.True(process.ExitCode == 0, stdout.Result + stderr.Result);

            foreach (string scenario in new[] { "nagle-cork", "udp-rcvbuf-overflow", "nagle-delack-vxlan" })
            {
                SampleTruth truth = SampleTruth.Load(Path.Combine(output, scenario + ".truth.json"));
                Assert.All(truth.Checks(), c => Assert.True(c.Passed, c.Check));
                foreach (string side in new[] { "client", "server" })
                {
                    AnalysisResult r = Captures.Analyze(truth.CapturePath(side));
                    Assert.Equal(truth.CapturedPackets(side), r.Packets.Frames);
                    Assert.Equal(truth.ExpectedFlows("tcp"), r.Flows.Count(f => f.Protocol == 6));
                    Assert.Equal(truth.ExpectedFlows("udp"), r.Flows.Count(f => f.Protocol == 17));
                }
            }
        }
        finally
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        }
    }
}
