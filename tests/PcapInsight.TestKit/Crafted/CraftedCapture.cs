using System.Text.Json;
using System.Text.Json.Nodes;

namespace PcapInsight.TestKit.Crafted;

/// <summary>
/// A capture of something a Linux kernel will not produce in our namespaces, built frame by frame, with its truth.
/// The bytes are deterministic: a test compares them with the committed sample-captures/NAME.pcap, and
/// PCAPINSIGHT_UPDATE_SAMPLES=1 rewrites the committed files.
/// </summary>
/// <param name="Name">File stem in sample-captures/.</param>
/// <param name="Pcap">The capture file's bytes.</param>
/// <param name="Truth">What the capture holds, by construction.</param>
public sealed record CraftedCapture(string Name, byte[] Pcap, JsonObject Truth)
{
    /// <summary>The truth as indented JSON, ending in a newline.</summary>
    public string TruthJson() => Truth.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";

    /// <summary>Every crafted capture.</summary>
    public static IReadOnlyList<CraftedCapture> All() =>
    [
        WindowsPeerCapture.Build(),
        FragmentOverlapCapture.Build(),
        RtpGapsCapture.Build(),
        DnsUnansweredCapture.Build(),
    ];
}

/// <summary>Frames in time order, written as a microsecond pcap.</summary>
internal sealed class FrameList
{
    private readonly List<(long TimeNs, byte[] Frame)> _frames = new();

    public void Add(double seconds, byte[] frame) => _frames.Add(((long)Math.Round(seconds * 1e6) * 1000, frame));

    public int Count => _frames.Count;

    public byte[] ToPcap()
    {
        var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, Core.Capture.LinkType.Ethernet))
        {
            foreach ((long t, byte[] frame) in _frames.OrderBy(f => f.TimeNs))
            {
                writer.Write(t, frame);
            }
        }
        return stream.ToArray();
    }
}
