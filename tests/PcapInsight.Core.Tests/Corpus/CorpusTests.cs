using System.Diagnostics;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Events;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Core.Tests.Corpus;

/// <summary>Every public corpus file, held to tshark's figures in MANIFEST.tsv/FACTS.tsv (differences: <see cref="CorpusDifferences"/>).</summary>
public class CorpusTests
{
    [CorpusTheory]
    [MemberData(nameof(CorpusManifest.FileNames), MemberType = typeof(CorpusManifest))]
    public void Analyze_CorpusFile_PacketCountMatchesOrIsRefusedWithAReason(string file)
    {
        CorpusEntry entry = CorpusManifest.Get(file);
        long expected = entry.FactNumber("capinfos_packets") ?? long.Parse(entry.Manifest("packets"));
        var clock = Stopwatch.StartNew();

        AnalysisResult? result = null;
        string? refusal = null;
        try
        {
            result = Captures.Analyze(entry.Path);
        }
        catch (CaptureFormatException ex)
        {
            refusal = ex.Message;
        }

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"{file} took {clock.Elapsed}");
        if (refusal is not null)
        {
            // Refused files are those tshark cannot read either (0 packets), or a documented format we do not read.
            Assert.True(expected == 0 || CorpusDifferences.Refused.ContainsKey(file), $"{file} refused ({refusal}) but tshark reads {expected} packets");
            Assert.False(string.IsNullOrWhiteSpace(refusal));
            return;
        }
        Assert.False(CorpusDifferences.Refused.ContainsKey(file), $"{file} is listed as refused but was read");
        long ours = result!.Packets.Frames;
        AssertCount(file, "packets", ours, expected);

        // A file that tshark found cut short or damaged must carry our warning too.
        string malformed = entry.Manifest("malformed_or_truncated");
        if (malformed.Contains("cut short", StringComparison.Ordinal) || malformed.Contains("damaged", StringComparison.Ordinal))
        {
            Assert.True(result.Truncated, $"{file}: tshark says '{malformed}', we read to the end without a warning");
            Assert.True(result.Events.Count(EventKind.CaptureTruncated) + result.Events.Count(EventKind.CaptureDamaged) > 0);
        }
    }

    [CorpusTheory]
    [MemberData(nameof(CorpusManifest.FileNames), MemberType = typeof(CorpusManifest))]
    public void Analyze_CorpusFile_TcpAndUdpFlowCountsMatchTshark(string file)
    {
        CorpusEntry entry = CorpusManifest.Get(file);
        if (entry.AnalyzeOrNull() is not { } result)
        {
            return; // refused as not a capture: the packet-count test holds the reason
        }

        AssertCount(file, "tcp", result.Flows.Count(f => f.Protocol == 6), long.Parse(entry.Manifest("tcp_convs")));
        AssertCount(file, "udp", result.Flows.Count(f => f.Protocol == 17), long.Parse(entry.Manifest("udp_convs")));
    }

    [CorpusFact]
    public void Differences_EveryListedFileExistsAndDiffers()
    {
        foreach ((string file, var rows) in CorpusDifferences.ByFile)
        {
            CorpusEntry entry = CorpusManifest.Get(file);
            foreach ((string what, long ours, string why) in rows)
            {
                long theirs = what == "packets" ? entry.FactNumber("capinfos_packets") ?? long.Parse(entry.Manifest("packets")) : long.Parse(entry.Manifest(what + "_convs"));
                Assert.NotEqual(theirs, ours);
                Assert.False(string.IsNullOrWhiteSpace(why));
            }
        }
    }

    [CorpusFact]
    public void Analyze_PcapngInterfaceStatistics_DropsBecomeEventsAsTheManifestCounts()
    {
        // isb_ifdrop in the manifest is the sum over the file's ISBs of their last counters per interface.
        foreach (CorpusEntry entry in CorpusManifest.All.Where(e => (e.FactNumber("isb_ifdrop") ?? 0) > 0))
        {
            AnalysisResult result = Captures.Analyze(entry.Path);
            long drops = result.Files.Sum(f => f.Interfaces.Where(i => i.InterfaceDrops > 0).Sum(i => i.InterfaceDrops));
            Assert.Equal(entry.FactNumber("isb_ifdrop"), drops);
            Assert.True(result.Events.Count(EventKind.CaptureInterfaceDrops) > 0, entry.File);
        }
    }

    [CorpusFact]
    public void Analyze_CorpusTimeBackwards_MatchesTsharkWhereItCountsThem()
    {
        foreach (CorpusEntry entry in CorpusManifest.All.Where(e => (e.FactNumber("time_backwards") ?? 0) > 0 && !CorpusDifferences.ByFile.ContainsKey(e.File)))
        {
            AnalysisResult result = Captures.Analyze(entry.Path);
            // tshark counts frames whose delta to the previous frame is negative; so do we.
            Assert.Equal(entry.FactNumber("time_backwards"), result.Packets.TimeBackwards);
        }
    }

    private static void AssertCount(string file, string what, long ours, long theirs) =>
        CorpusDifferences.AssertFigure(CorpusDifferences.ByFile, file, what, ours, theirs);
}
