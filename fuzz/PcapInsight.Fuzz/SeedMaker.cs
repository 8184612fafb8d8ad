using System.Buffers.Binary;
using PcapInsight.Core.Capture;

namespace PcapInsight.Fuzz;

/// <summary>
/// Cuts seeds for the fuzzer from real captures: a fuzzer works best on small inputs, so each seed keeps a
/// capture's file header (and pcapng interfaces) and its first few kilobytes, cut at a record boundary, and the
/// same frames in the <see cref="FuzzTargets.Frames"/> layout.
/// </summary>
public static class SeedMaker
{
    /// <summary>Bytes after which a capture seed is cut (at the next record boundary).</summary>
    private const int CaptureSeedBytes = 8 << 10;

    /// <summary>Frames a frames seed keeps.</summary>
    private const int FramesPerSeed = 16;

    /// <summary>Writes OUT/capture/NAME and OUT/frames/NAME for each file; returns how many seeds were written.</summary>
    public static int Write(string outputFolder, IEnumerable<string> captures)
    {
        string captureFolder = Path.Combine(outputFolder, "capture");
        string framesFolder = Path.Combine(outputFolder, "frames");
        Directory.CreateDirectory(captureFolder);
        Directory.CreateDirectory(framesFolder);
        int written = 0;
        foreach (string path in captures)
        {
            byte[] head = ReadHead(path, 1 << 20);
            string name = Path.GetFileName(path);
            byte[]? cut = CutCapture(head) ?? (head.Length <= 64 << 10 ? head : null);
            if (cut is not null)
            {
                File.WriteAllBytes(Path.Combine(captureFolder, name), cut);
                written++;
            }
            byte[]? frames;
            try
            {
                frames = FramesSeed(path);
            }
            catch (CaptureFormatException)
            {
                frames = null; // a capture we refuse still seeds the capture target, as it is
            }
            if (frames is not null)
            {
                File.WriteAllBytes(Path.Combine(framesFolder, name + ".frames"), frames);
                written++;
            }
        }
        return written;
    }

    private static byte[] ReadHead(string path, int limit)
    {
        using var file = File.OpenRead(path);
        var buffer = new byte[(int)Math.Min(limit, file.Length)];
        file.ReadExactly(buffer);
        return buffer;
    }

    /// <summary>The file header and whole records up to <see cref="CaptureSeedBytes"/>; null for other formats.</summary>
    internal static byte[]? CutCapture(byte[] file)
    {
        if (file.Length < 28)
        {
            return null;
        }
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(file);
        int end;
        if (magic == 0x0A0D0D0A)
        {
            // pcapng: whole blocks; the byte-order magic of the section header says how lengths are written.
            bool little = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(8)) == 0x1A2B3C4D;
            end = 0;
            while (end + 12 <= file.Length && end < CaptureSeedBytes)
            {
                uint length = little ? BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(end + 4)) : BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(end + 4));
                if (length < 12 || end + (long)length > file.Length)
                {
                    break;
                }
                end += (int)length;
            }
        }
        else if (magic is 0xA1B2C3D4 or 0xA1B23C4D or 0xD4C3B2A1 or 0x4D3CB2A1)
        {
            bool little = magic is 0xA1B2C3D4 or 0xA1B23C4D;
            end = 24;
            while (end + 16 <= file.Length && end < CaptureSeedBytes)
            {
                uint length = little ? BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(end + 8)) : BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(end + 8));
                if (end + 16 + (long)length > file.Length)
                {
                    break;
                }
                end += 16 + (int)length;
            }
        }
        else
        {
            return null; // gzip and others: the capture target still reads them when given whole
        }
        return end > 28 ? file[..end] : null;
    }

    /// <summary>The first frames of a capture in the frames layout; null when it has none.</summary>
    private static byte[]? FramesSeed(string path)
    {
        using IPacketSource source = CaptureFile.Open(path);
        var output = new MemoryStream();
        LinkType[] linkTypes = Enum.GetValues<LinkType>();
        long previous = 0;
        int frames = 0;
        while (frames < FramesPerSeed && source.TryRead(out CaptureInfo info, out ReadOnlySpan<byte> data))
        {
            if (frames == 0)
            {
                int index = Array.IndexOf(linkTypes, info.LinkType);
                if (index < 0)
                {
                    return null;
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
            frames++;
        }
        return frames > 0 ? output.ToArray() : null;
    }
}
