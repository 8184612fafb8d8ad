using System.Diagnostics;
using PcapInsight.Charts;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Flows;
using PcapInsight.Reporting;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Cli.Tests.Robustness;

/// <summary>
/// Every sample and corpus capture, damaged in every way <see cref="CaptureMutator"/> knows, read and analysed end to
/// end and reported (JSON, CSV rows, HTML): each either is refused as not a capture (exit 3's path) or gives a
/// report, never an exception, within a bounded time and allocation.
/// </summary>
public class MutationSweepTests
{
    // The corpus sweep is a class of its own (CorpusMutationSweepTests) so that the two run in parallel.
    private static readonly TimeSpan MaxTime = TimeSpan.FromSeconds(20);
    private const long MaxAllocatedBytes = 1L << 30;

    public static TheoryData<string> SampleFiles() => RepoPaths.SampleNames();

    public static TheoryData<string> CorpusFiles()
    {
        var data = new TheoryData<string>();
        if (RepoPaths.Corpus is { } corpus)
        {
            foreach (string f in Directory.EnumerateFiles(corpus).Where(f => !f.EndsWith(".tsv") && !f.EndsWith(".md")).Order(StringComparer.Ordinal))
            {
                data.Add(Path.GetFileName(f));
            }
        }
        else
        {
            data.Add("(corpus absent)");
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(SampleFiles))]
    public void Sample_EveryMutation_IsRefusedOrReported(string file) => Sweep(RepoPaths.Sample(file));

    internal static void Sweep(string path)
    {
        byte[] original = File.ReadAllBytes(path);
        int refused = 0, reported = 0;
        // Files over 1 MB get fewer mutations: each costs a whole analysis (the overlap-heavy corpus files about 0.3 s).
        bool big = original.Length > 1 << 20;
        foreach ((string name, byte[] bytes) in CaptureMutator.Mutations(Path.GetFileName(path), original,
                     boundaries: big ? 4 : 12, flips: big ? 8 : 24, lengthFields: big ? 2 : 6))
        {
            long allocated = GC.GetAllocatedBytesForCurrentThread();
            var clock = Stopwatch.StartNew();
            try
            {
                if (AnalyseAndReport(bytes, name))
                {
                    reported++;
                }
                else
                {
                    refused++;
                }
            }
            catch (Exception ex)
            {
                Assert.Fail($"{Path.GetFileName(path)} {name}: {ex}");
            }
            Assert.True(clock.Elapsed < MaxTime, $"{Path.GetFileName(path)} {name}: {clock.Elapsed.TotalSeconds:0.0} s");
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocated < MaxAllocatedBytes, $"{Path.GetFileName(path)} {name}: allocated too much");
        }
        Assert.True(reported + refused > (big ? 10 : 20), $"{reported + refused} mutations");
    }

    /// <summary>The CLI's path in process: open (refusal = exit 3), analyse, write every report but the PNGs. False when refused.</summary>
    private static bool AnalyseAndReport(byte[] bytes, string name)
    {
        IPacketSource source;
        try
        {
            source = CaptureFile.Open(new MemoryStream(bytes), name);
        }
        catch (CaptureFormatException ex)
        {
            Assert.False(string.IsNullOrWhiteSpace(ex.Message));   // a clear message
            return false;
        }
        AnalysisResult r;
        using (source)
        {
            r = CaptureAnalyzer.Run(source, [source.Stats], new AnalysisOptions { SeriesFlows = 4 });
        }
        using var json = new MemoryStream();
        JsonSummaryWriter.Write(r, json, "test", indented: false);
        _ = ReportRows.Flows(r).Count() + ReportRows.Events(r).Count() + FragmentRow.All(r).Count() + UdpRow.All(r).Count() + SeriesRow.All(r).Count();
        _ = HtmlReportWriter.Render(r, [], "test");
        foreach (Flow f in r.Flows.Take(2))
        {
            _ = ChartSet.DataOf(r, f);   // what the charts would be fed
        }
        return true;
    }
}

/// <summary>The mutation sweep over the public corpus (skipped where it is absent, never in CI).</summary>
public class CorpusMutationSweepTests
{
    [CorpusTheory]
    [MemberData(nameof(MutationSweepTests.CorpusFiles), MemberType = typeof(MutationSweepTests))]
    public void Corpus_EveryMutation_IsRefusedOrReported(string file) => MutationSweepTests.Sweep(Path.Combine(RepoPaths.Corpus!, file));
}
