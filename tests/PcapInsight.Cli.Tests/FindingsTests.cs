using PcapInsight.Core.Analysis;
using PcapInsight.Core.Events;
using PcapInsight.Reporting;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Cli.Tests;

/// <summary>
/// When each finding first showed (report.html's and the console's time beside a finding), found for all findings in
/// one pass over the event rows, against the rows searched for each finding on its own.
/// </summary>
public class FindingsTests
{
    public static TheoryData<string> SampleFiles() => RepoPaths.SampleNames();

    [Theory]
    [MemberData(nameof(SampleFiles))]
    public void FirstTimes_AreEachFindingsEarliestRow(string sample) => AssertFirstTimes(RepoPaths.Sample(sample));

    /// <summary>The corpus' captures of many flows hold findings of one kind for several flows (the samples do not).</summary>
    [CorpusFact]
    public void FirstTimes_AreEachFindingsEarliestRow_OnTheCorpus()
    {
        int flowFindings = 0;
        foreach (CorpusEntry entry in CorpusManifest.All)
        {
            try
            {
                flowFindings += AssertFirstTimes(Path.Combine(RepoPaths.Corpus!, entry.File));
            }
            catch (Core.Capture.CaptureFormatException)
            {
                // Unreadable from the first header (a reserved link-type field, an unknown format): no findings.
            }
        }
        Assert.True(flowFindings > 10, $"{flowFindings} findings tied to a flow");
    }

    // Returns how many findings are tied to a flow.
    private static int AssertFirstTimes(string capture)
    {
        AnalysisResult result = Captures.Analyze(capture);
        IReadOnlyList<Finding> findings = Findings.Top(result, 50);

        long?[] times = Findings.FirstTimes(result, findings);

        Assert.Equal(findings.Count, times.Length);
        for (int i = 0; i < findings.Count; i++)
        {
            Finding f = findings[i];
            long[] matching = result.Events.Rows
                .Where(e => e.Kind == f.Info.Kind && (f.FlowId == 0 || e.FlowId == f.FlowId) && e.TimestampNs > 0)
                .Select(e => e.TimestampNs).ToArray();
            Assert.Equal(matching.Length == 0 ? null : matching.Min(), times[i]);
            Assert.Equal(times[i], Findings.FirstTime(result, f));
        }
        return findings.Count(f => f.FlowId != 0);
    }
}
