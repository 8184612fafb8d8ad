using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Fragments;
using Xunit;
using static PcapInsight.TestKit.FrameBuilder;

namespace PcapInsight.Core.Tests.Fragments;

/// <summary>
/// The reassembly policies on the Sturges-Novak overlap scenario ("Target-Based Fragmentation Reassembly"), whose
/// expected bytes per policy are those of Suricata's defrag unit tests: 17 fragments, the last 8 overlapping the
/// first 9 in every way (starting before, at and after, ending before, at and after).
/// </summary>
public class FragmentPolicyTests
{
    private static readonly (char Letter, int Offset, int Length)[] Scenario =
    [
        ('A', 0, 24), ('B', 32, 16), ('C', 48, 24), ('D', 80, 8), ('E', 104, 16), ('F', 120, 24), ('G', 144, 16), ('H', 160, 16), ('I', 176, 8),
        ('J', 8, 32), ('K', 48, 24), ('L', 72, 24), ('M', 96, 24), ('N', 128, 8), ('O', 152, 8), ('P', 160, 8), ('Q', 176, 16),
    ];

    /// <summary>The expected datagram, one letter per 8 bytes.</summary>
    public static TheoryData<FragmentPolicy, string> Expected => new()
    {
        { FragmentPolicy.Bsd, "AAAJJBCCCLLLMMMFFFGGHHIQ" },
        { FragmentPolicy.Linux, "AAAJJBKKKLLLMMMFFFGGPHQQ" },
        { FragmentPolicy.Windows, "AAAJBBCCCLLLMEEFFFGGHHIQ" },
        { FragmentPolicy.Solaris, "AAAJBBCCCLLLMMMFFFGGHHIQ" },
        { FragmentPolicy.First, "AAAJBBCCCLDLMEEFFFGGHHIQ" },
        { FragmentPolicy.Last, "AJJJJBKKKLLLMMMFNFGOPHQQ" },
    };

    [Theory]
    [MemberData(nameof(Expected))]
    public void SturgesNovak_EachPolicyRebuildsItsBytes(FragmentPolicy policy, string expected)
    {
        var reassembler = new IpReassembler(new FragmentOptions { Policy = policy });
        string? groups = null;
        byte[]? rebuilt = null;
        reassembler.Finished = (d, _) => { groups = d.PolicyGroups; rebuilt = d.Payload.ToArray(); };

        foreach ((char letter, int offset, int length) in Scenario)
        {
            byte[] frame = Ethernet(0x0800, Ipv4("192.0.2.1", "198.51.100.1", 1, Enumerable.Repeat((byte)letter, length).ToArray(), id: 1,
                moreFragments: letter != 'Q', fragmentOffsetBytes: offset));
            var p = new DecodedPacket();
            FrameDecoder.Decode(frame, LinkType.Ethernet, ref p);
            reassembler.Add(frame, p, new CaptureInfo { FrameNumber = 1, CapturedLength = frame.Length, OriginalLength = frame.Length });
        }

        Assert.NotNull(rebuilt);
        Assert.Equal(string.Concat(expected.Select(c => new string(c, 8))), System.Text.Encoding.ASCII.GetString(rebuilt));
        Assert.Equal("first/last/bsd/linux/windows/solaris", groups);   // on this scenario every policy differs
    }
}
