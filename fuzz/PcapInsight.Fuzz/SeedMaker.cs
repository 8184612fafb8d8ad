using PcapInsight.Core.Capture;

namespace PcapInsight.Fuzz;

/// <summary>
/// Cuts seeds for the fuzzer from real captures: a fuzzer works best on small inputs, so each seed keeps a
/// capture's file header (and pcapng interfaces) and its first few kilobytes, cut at a record boundary, and the
/// same frames in the <see cref="FuzzTargets.Frames"/> layout. The boundaries come from our own readers
/// (<see cref="CaptureFileStats.BytesConsumed"/>), not from a second parser of the formats.
/// </summary>
public static class SeedMaker
{
    /// <summary>Bytes after which a capture seed is cut (at the next record boundary).</summary>
    private const int CaptureSeedBytes = 8 << 10;

    /// <summary>Frames a frames seed keeps.</summary>
    private const int FramesPerSeed = 16;

    /// <summary>Files we refuse, or compressed ones (which cannot be cut), seed whole when at most this large.</summary>
    private const int WholeSeedBytes = 64 << 10;

    /// <summary>
    /// Writes OUT/capture/NAME, OUT/frames/NAME.frames and, for the threads target, the same frames twice:
    /// OUT/threads/NAME.defaults and OUT/threads/NAME.tight (<see cref="FuzzTargets.LimitsFor"/>: the first byte, which
    /// chooses the link type, chooses the limits too, and a real capture's frames would otherwise start with the
    /// defaults only). Returns how many seeds were written.
    /// </summary>
    public static int Write(string outputFolder, IEnumerable<string> captures)
    {
        string captureFolder = Path.Combine(outputFolder, "capture");
        string framesFolder = Path.Combine(outputFolder, "frames");
        string threadsFolder = Path.Combine(outputFolder, "threads");
        Directory.CreateDirectory(captureFolder);
        Directory.CreateDirectory(framesFolder);
        Directory.CreateDirectory(threadsFolder);
        int written = 0;
        foreach (string path in captures)
        {
            (long cutAt, byte[]? frames) = Read(path);
            long size = new FileInfo(path).Length;
            if (cutAt > 0 || size <= WholeSeedBytes)
            {
                byte[] seed = new byte[cutAt > 0 ? cutAt : size];
                using (FileStream file = File.OpenRead(path))
                {
                    file.ReadExactly(seed);
                }
                File.WriteAllBytes(Path.Combine(captureFolder, Path.GetFileName(path)), seed);
                written++;
            }
            if (frames is not null)
            {
                File.WriteAllBytes(Path.Combine(framesFolder, Path.GetFileName(path) + ".frames"), frames);
                foreach ((string suffix, bool tight) in new[] { (".defaults", false), (".tight", true) })
                {
                    byte[] seed = (byte[])frames.Clone();
                    seed[0] = FuzzTargets.ChooseLimits(seed[0], tight);
                    File.WriteAllBytes(Path.Combine(threadsFolder, Path.GetFileName(path) + suffix), seed);
                }
                written += 3;
            }
        }
        return written;
    }

    /// <summary>
    /// Reads the first frames of a capture: where to cut it (the end of the record that passes
    /// <see cref="CaptureSeedBytes"/>, or of the last one; 0 when it cannot be cut) and its first frames in the
    /// frames layout (null when it has none or is refused).
    /// </summary>
    private static (long CutAt, byte[]? Frames) Read(string path)
    {
        IPacketSource source;
        try
        {
            source = CaptureFile.Open(path);
        }
        catch (CaptureFormatException)
        {
            return (0, null); // a capture we refuse still seeds the capture target, whole
        }
        using (source)
        {
            var output = new MemoryStream();
            LinkType[] linkTypes = Enum.GetValues<LinkType>();
            long previous = 0, cutAt = 0;
            int frames = 0;
            bool framesDone = false;
            while ((!framesDone || cutAt == 0) && source.TryRead(out CaptureInfo info, out ReadOnlySpan<byte> data))
            {
                if (cutAt == 0 && source.Stats.BytesConsumed >= CaptureSeedBytes)
                {
                    cutAt = source.Stats.BytesConsumed;
                }
                if (framesDone)
                {
                    continue;
                }
                if (frames == 0)
                {
                    int index = Array.IndexOf(linkTypes, info.LinkType);
                    if (index < 0)
                    {
                        framesDone = true;
                        continue;
                    }
                    output.WriteByte((byte)index);
                    previous = info.TimestampNs;
                }
                long step = Math.Clamp((info.TimestampNs - previous) / 10_000_000, 0, 255);
                previous = info.TimestampNs;
                int length = Math.Min(data.Length, ushort.MaxValue);
                output.WriteByte((byte)step);
                output.WriteByte((byte)(length >> 8));
                output.WriteByte((byte)length);
                output.Write(data[..length]);
                framesDone = ++frames == FramesPerSeed;
            }
            // A short capture is cut after its last record read; a compressed one cannot be cut at all (the offsets
            // are of the decompressed data).
            bool compressed = source.Stats.FileBytes < 0;
            if (cutAt == 0 && !compressed)
            {
                cutAt = source.Stats.BytesConsumed;
            }
            return (compressed ? 0 : cutAt, frames > 0 ? output.ToArray() : null);
        }
    }
}
