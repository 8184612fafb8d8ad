using PcapInsight.Core.Analysis;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Events;
using PcapInsight.Core.Fragments;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Core.Tests.UdpAnalysis;

/// <summary>
/// <c>udp.oversized</c> says a UDP flow sends datagrams too large for its path. A datagram that would have fitted whole
/// in the largest fragment the path carried was not too large: its sender, or a crafted capture, split it anyway.
/// </summary>
public class OversizedDatagramTests
{
    public static TheoryData<byte, int, int, string, bool> Cases() => new()
    {
        // IP version, datagram payload bytes, largest fragment (IP bytes), missing ranges, fits whole
        { 4, 1480, 1500, "", true },          // 20-byte header + 1480 = 1500: one frame would have carried it
        { 4, 1481, 1500, "", false },
        { 4, 8000, 1500, "", false },         // a real oversized datagram, split at a 1500-byte MTU
        { 6, 1452, 1500, "", true },          // 40-byte header and the 8-byte fragment header the fragment carried
        { 6, 1453, 1500, "", false },
        { 6, 16, 64, "", true },              // Suricata's spray: a 16-byte UDP datagram in 64-byte fragments
        { 4, 100, 1500, "0-1479", false },    // incomplete: its size is not known, so it counts as too large
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void FitsWhole_ComparesTheDatagramWithItsLargestFragment(byte version, int bytes, int largestFragment, string missing, bool fits)
    {
        var d = new DatagramFacts(version, default, default, 1, 5000, 5001, 0, 0, 0, 1, 0, 2, bytes, largestFragment, missing);

        Assert.Equal(fits, d.FitsWhole);
    }

    [CorpusFact]
    public void Spray_ItsSmallDatagramsAreNotOversized_ButStillCountedAsFragmented()
    {
        // Suricata's address-family confusion spray: 4,096 IPv6 UDP datagrams of 16 bytes, each split in two fragments
        // (one of them 64 bytes on the wire): fragmented, but not for their size.
        AnalysisResult r = Captures.Analyze(Path.Combine(RepoPaths.Corpus!, "suricata__defrag-af-confusion-spray.pcap"));

        Assert.Equal(0, r.Events.Count(EventKind.UdpOversized));
        Assert.Equal(4096, r.Flows.Where(f => f.Udp is not null).Sum(f => f.Udp!.FragmentedDatagrams));
    }
}
