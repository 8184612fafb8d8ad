using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;

namespace PcapInsight.TestKit;

/// <summary>Helpers to read captures whole in tests.</summary>
public static class Captures
{
    /// <summary>Opens bytes as a capture.</summary>
    public static IPacketSource Open(byte[] bytes, string name = "test.pcap") => CaptureFile.Open(new MemoryStream(bytes), name);

    /// <summary>Reads every frame, copying each, and returns them with the reader's stats.</summary>
    public static (List<(CaptureInfo Info, byte[] Data)> Frames, CaptureFileStats Stats) ReadAll(IPacketSource source)
    {
        var frames = new List<(CaptureInfo, byte[])>();
        using (source)
        {
            while (source.TryRead(out CaptureInfo info, out ReadOnlySpan<byte> data))
            {
                frames.Add((info, data.ToArray()));
            }
            return (frames, source.Stats);
        }
    }

    /// <summary>Analyses a file with default options.</summary>
    public static AnalysisResult Analyze(string path, AnalysisOptions? options = null)
    {
        using IPacketSource source = CaptureFile.Open(path, 0, options?.Reader);
        return CaptureAnalyzer.Run(source, [source.Stats], options);
    }

    /// <summary>Analyses in-memory capture bytes with default options.</summary>
    public static AnalysisResult Analyze(byte[] bytes, AnalysisOptions? options = null)
    {
        using IPacketSource source = Open(bytes);
        return CaptureAnalyzer.Run(source, [source.Stats], options);
    }

    /// <summary>A pcap file of Ethernet frames, one per microsecond-stamped time in seconds.</summary>
    public static byte[] Pcap(LinkType link, params (double Seconds, byte[] Frame)[] frames)
    {
        var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, link))
        {
            foreach ((double seconds, byte[] frame) in frames)
            {
                writer.Write((long)Math.Round(seconds * 1e9), frame);
            }
        }
        return stream.ToArray();
    }
}
