using System.Runtime.CompilerServices;
using System.Buffers.Binary;

namespace PcapInsight.Core.Capture;

/// <summary>
/// Reads the classic libpcap format: either byte order, microsecond (a1b2c3d4) or nanosecond (a1b23c4d)
/// timestamps, and the "modified" Kuznetzov variant (a1b2cd34) whose record headers carry 8 more bytes.
/// </summary>
/// <remarks>
/// Streaming and zero-copy: each frame is a span into the reader's buffer, valid until the next
/// <see cref="TryRead"/>. A record cut by the end of the file stops reading with
/// <see cref="CaptureWarningKind.Truncated"/>; a record header claiming more than
/// <see cref="CaptureReaderOptions.MaxFrameBytes"/> stops it with <see cref="CaptureWarningKind.Damaged"/>.
/// Model: gopacket <c>pcapgo/read.go</c>.
/// </remarks>
public sealed class PcapFileReader : CaptureFileReader
{
    internal const uint MagicMicroseconds = 0xA1B2C3D4;
    internal const uint MagicNanoseconds = 0xA1B23C4D;
    internal const uint MagicModified = 0xA1B2CD34;
    private const int FileHeaderBytes = 24;

    private readonly bool _nanoseconds;
    private readonly int _recordHeaderBytes;
    private readonly int _maxFrameBytes;
    private readonly int _snaplen;
    private readonly LinkType _linkType;
    private bool _warnedOverSnaplen;

    internal PcapFileReader(StreamWindow window, int fileIndex, string path, CaptureReaderOptions options)
        : base(window, fileIndex, path)
    {
        _maxFrameBytes = options.MaxFrameBytes;

        if (!window.Ensure(FileHeaderBytes))
        {
            throw new CaptureFormatException($"pcap file header is cut short: {window.Available} of {FileHeaderBytes} bytes");
        }
        ReadOnlySpan<byte> header = window.Peek(FileHeaderBytes);
        uint magicLe = BinaryPrimitives.ReadUInt32LittleEndian(header);
        uint magicBe = BinaryPrimitives.ReadUInt32BigEndian(header);
        uint magic;
        if (magicLe is MagicMicroseconds or MagicNanoseconds or MagicModified)
        {
            magic = magicLe;
        }
        else if (magicBe is MagicMicroseconds or MagicNanoseconds or MagicModified)
        {
            magic = magicBe;
            BigEndian = true;
        }
        else
        {
            throw new CaptureFormatException($"not a pcap file: magic 0x{magicLe:x8}");
        }
        _nanoseconds = magic == MagicNanoseconds;
        _recordHeaderBytes = magic == MagicModified ? 24 : 16;

        ushort major = ReadUInt16(header[4..]);
        ushort minor = ReadUInt16(header[6..]);
        if (major != 2)
        {
            throw new CaptureFormatException($"pcap version {major}.{minor} is not supported (only 2.x exists)");
        }
        _snaplen = (int)Math.Min(ReadUInt32(header[16..]), int.MaxValue);
        uint linkField = ReadUInt32(header[20..]);
        // Bits 16-25 of the link-type field are reserved and must be zero; bits 26-31 carry FCS information
        // that we do not need (the draft pcap spec, "LinkType and additional information").
        if ((linkField & 0x03FF_0000) != 0)
        {
            throw new CaptureFormatException($"pcap header link-type field 0x{linkField:x8} has reserved bits set");
        }
        _linkType = (LinkType)(ushort)linkField;
        window.Advance(FileHeaderBytes);

        string order = BigEndian ? "big-endian" : "little-endian";
        string resolution = _nanoseconds ? "nanoseconds" : "microseconds";
        Stats.Format = magic == MagicModified ? $"pcap modified/Kuznetzov ({order}, {resolution})" : $"pcap ({order}, {resolution})";
        Stats.Interfaces.Add(new CaptureInterface { LinkType = _linkType, Snaplen = _snaplen, TimestampDigits = _nanoseconds ? 9 : 6 });
        Stats.BytesConsumed = window.Position;
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override bool TryRead(out CaptureInfo info, out ReadOnlySpan<byte> data)
    {
        info = default;
        data = default;
        if (Done)
        {
            return false;
        }
        if (!Window.Ensure(_recordHeaderBytes))
        {
            return StopAtEnd(Window.Available, _recordHeaderBytes, "record header");
        }
        ReadOnlySpan<byte> header = Window.Peek(_recordHeaderBytes);
        uint seconds = ReadUInt32(header);
        uint fraction = ReadUInt32(header[4..]);
        uint capturedLength = ReadUInt32(header[8..]);
        uint originalLength = ReadUInt32(header[12..]);
        if (capturedLength > (uint)_maxFrameBytes)
        {
            return Stop(CaptureWarningKind.Damaged,
                $"record {Stats.Frames + 1} claims {capturedLength} captured bytes, more than the limit of {_maxFrameBytes} (--max-frame-bytes): the file is damaged from here");
        }
        int recordBytes = _recordHeaderBytes + (int)capturedLength;
        if (!Window.Ensure(recordBytes))
        {
            return StopAtEnd(Window.Available, recordBytes, "record");
        }
        if (_snaplen > 0 && capturedLength > (uint)_snaplen && !_warnedOverSnaplen)
        {
            _warnedOverSnaplen = true;
            Stats.Warnings.Add(new CaptureWarning(CaptureWarningKind.CapturedLengthOverSnaplen, FileIndex, Window.Position,
                Stats.Frames, $"frame {Stats.Frames + 1} has {capturedLength} captured bytes, more than the file's snaplen {_snaplen}; read anyway"));
        }
        long timestampNs = seconds * 1_000_000_000L + (_nanoseconds ? fraction : fraction * 1_000L);
        data = Window.Peek(recordBytes)[_recordHeaderBytes..];
        CountFrame(Window.BufferIndex + _recordHeaderBytes, (int)capturedLength);
        Window.Advance(recordBytes);
        Stats.BytesConsumed = Window.Position;
        info = new CaptureInfo(Stats.Frames, timestampNs, (int)capturedLength,
            (int)Math.Min(originalLength, int.MaxValue), 0, _linkType, FileIndex);
        return true;
    }

    private bool StopAtEnd(int have, int need, string what)
    {
        if (have == 0)
        {
            Done = true;
            return false;
        }
        return Stop(CaptureWarningKind.Truncated,
            $"the file ends inside {what} {Stats.Frames + 1} ({have} of {need} bytes present): analysed up to the cut");
    }
}
