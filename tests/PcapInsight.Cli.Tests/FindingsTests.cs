using PcapInsight.Core.Analysis;
using PcapInsight.Core.Events;
using PcapInsight.Reporting;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Cli.Tests;

/// <summary>
/// The findings summary.json, report.html and the console list: their order (the most severe first; within a severity,
/// each kind's strongest finding, explained for a flow before a plain count and then the most frequent, before a second
/// finding of any kind, so that one kind found in many flows does not push every other kind off a list of twenty), and
/// when each first showed (the time beside a finding), found for all findings in one pass over the event rows, against
/// the rows searched for each finding on its own.
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

    [Theory]
    [MemberData(nameof(SampleFiles))]
    public void Findings_AreInSeverityThenRoundOrder_OnTheSamples(string sample) =>
        AssertOrder(Captures.Analyze(RepoPaths.Sample(sample)));

    /// <summary>
    /// The corpus holds captures whose findings of one kind outnumber the rest (a stream's gaps per RTP stream, zero
    /// windows per connection): there the order differs from a plain sort by severity and count, which the test
    /// requires to happen, so that it checks the rounds and not only the severities.
    /// </summary>
    [CorpusFact]
    public void Findings_AreInSeverityThenRoundOrder_OnTheCorpus()
    {
        int reordered = 0;
        foreach (CorpusEntry entry in CorpusManifest.All)
        {
            AnalysisResult result;
            try
            {
                result = Captures.Analyze(Path.Combine(RepoPaths.Corpus!, entry.File));
            }
            catch (Core.Capture.CaptureFormatException)
            {
                continue;   // unreadable from the first header: no findings
            }
            if (AssertOrder(result))
            {
                reordered++;
            }
        }
        Assert.True(reordered > 0, "no corpus capture has a kind with several findings ahead of another kind's first");
    }

    /// <summary>
    /// Checks the order of every finding and that a shorter list is the longer one's start; returns whether the order
    /// differs from the plain one (severity, explained first, count), i.e. whether the rounds moved a finding.
    /// </summary>
    private static bool AssertOrder(AnalysisResult result)
    {
        IReadOnlyList<Finding> all = Findings.Top(result, int.MaxValue);
        IReadOnlyList<Finding> top = Findings.Top(result, JsonSummaryWriter.MaxFindings);
        Assert.Equal(all.Take(JsonSummaryWriter.MaxFindings).Select(Describe), top.Select(Describe));

        var seen = new Dictionary<EventKind, int>();
        int previousRound = 0;
        for (int i = 0; i < all.Count; i++)
        {
            Finding f = all[i];
            int round = seen.GetValueOrDefault(f.Info.Kind);
            seen[f.Info.Kind] = round + 1;
            if (i == 0 || all[i - 1].Info.Severity != f.Info.Severity)
            {
                Assert.True(i == 0 || all[i - 1].Info.Severity > f.Info.Severity, $"finding {i} ({Describe(f)}) is more severe than the one before it");
                previousRound = round;
                continue;
            }
            Assert.True(round >= previousRound, $"finding {i} ({Describe(f)}) is its kind's finding {round + 1} after a later round's");
            if (round == previousRound)
            {
                Finding before = all[i - 1];
                bool explained = f.SpecificAdvice is not null, explainedBefore = before.SpecificAdvice is not null;
                Assert.True(explainedBefore || !explained, $"finding {i} ({Describe(f)}) is explained but follows a plain count in its round");
                Assert.True(explained != explainedBefore || before.Count >= f.Count, $"finding {i} ({Describe(f)}) counts more than the one before it");
            }
            previousRound = round;
        }

        List<Finding> plain = all.ToList();
        StablePlainSort(plain);
        return !plain.Select(Describe).SequenceEqual(all.Select(Describe));
    }

    /// <summary>The order before rounds: severity, explained first, count, as an insertion sort (stable).</summary>
    private static void StablePlainSort(List<Finding> list)
    {
        static int Compare(Finding a, Finding b) =>
            a.Info.Severity != b.Info.Severity ? b.Info.Severity.CompareTo(a.Info.Severity)
            : (a.SpecificAdvice is not null) != (b.SpecificAdvice is not null) ? (a.SpecificAdvice is not null ? -1 : 1)
            : b.Count.CompareTo(a.Count);
        for (int i = 1; i < list.Count; i++)
        {
            Finding item = list[i];
            int j = i - 1;
            for (; j >= 0 && Compare(list[j], item) > 0; j--)
            {
                list[j + 1] = list[j];
            }
            list[j + 1] = item;
        }
    }

    private static string Describe(Finding f) => $"{f.Info.Name} {f.Info.Severity} flow {f.FlowId} count {f.Count}";
}
