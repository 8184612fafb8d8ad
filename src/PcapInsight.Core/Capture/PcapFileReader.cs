using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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
    /// <remarks>
    /// The path of every record stays small: the header read in one load (one bounds check, one byte-order test), the
    /// messages of damaged or unusual records built out of line. With them inline, the JIT spent its inlining budget
    /// on string formatting and zeroed their locals on every call: on 10 million header-only records reading took
    /// twice the time <c>cat</c> takes to deliver the file (bench/RESULTS.md).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override bool TryRead(out CaptureInfo info, out ReadOnlySpan<byte> data)
    {
        StreamWindow window = Window;
        int headerBytes = _recordHeaderBytes;
        if (Done || !window.Ensure(headerBytes))
        {
            return NoRecord(out info, out data, headerBytes, "record header");
        }
        RecordHeader header = MemoryMarshal.Read<RecordHeader>(window.Peek(headerBytes));
        if (BigEndian == BitConverter.IsLittleEndian)
        {
            header = header.Reversed();
        }
        uint capturedLength = header.CapturedLength;
        if (capturedLength > (uint)_maxFrameBytes)
        {
            info = default;
            data = default;
            return StopOnOversizedRecord(capturedLength);
        }
        int recordBytes = headerBytes + (int)capturedLength;
        if (!window.Ensure(recordBytes))
        {
            return NoRecord(out info, out data, recordBytes, "record");
        }
        if (capturedLength > (uint)_snaplen && _snaplen > 0 && !_warnedOverSnaplen)
        {
            WarnOverSnaplen(capturedLength);
        }
        long timestampNs = header.Seconds * 1_000_000_000L + (_nanoseconds ? header.Fraction : header.Fraction * 1_000L);
        int frameIndex = window.BufferIndex + headerBytes;
        data = window.BufferSlice(frameIndex, (int)capturedLength);
        CountFrame(frameIndex, (int)capturedLength);
        window.Advance(recordBytes);
        window.PrefetchNext();
        Stats.BytesConsumed = window.Position;
        info = new CaptureInfo(Stats.Frames, timestampNs, (int)capturedLength,
            (int)Math.Min(header.OriginalLength, int.MaxValue), 0, _linkType, FileIndex);
        return true;
    }

    /// <summary>The first 16 bytes of a record header as they lie in memory: in the file's byte order until <see cref="Reversed"/>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly struct RecordHeader
    {
        public readonly uint Seconds;
        public readonly uint Fraction;
        public readonly uint CapturedLength;
        public readonly uint OriginalLength;

        private RecordHeader(uint seconds, uint fraction, uint capturedLength, uint originalLength)
        {
            Seconds = seconds;
            Fraction = fraction;
            CapturedLength = capturedLength;
            OriginalLength = originalLength;
        }

        public RecordHeader Reversed() => new(BinaryPrimitives.ReverseEndianness(Seconds), BinaryPrimitives.ReverseEndianness(Fraction),
            BinaryPrimitives.ReverseEndianness(CapturedLength), BinaryPrimitives.ReverseEndianness(OriginalLength));
    }

    /// <summary>No record to hand out: the end of the file, or a record cut by it (<paramref name="need"/> bytes wanted).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool NoRecord(out CaptureInfo info, out ReadOnlySpan<byte> data, int need, string what)
    {
        info = default;
        data = default;
        return !Done && StopAtEnd(Window.Available, need, what);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool StopOnOversizedRecord(uint capturedLength) => Stop(CaptureWarningKind.Damaged,
        $"record {Stats.Frames + 1} claims {capturedLength} captured bytes, more than the limit of {_maxFrameBytes} (--max-frame-bytes): the file is damaged from here");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void WarnOverSnaplen(uint capturedLength)
    {
        _warnedOverSnaplen = true;
        Stats.Warnings.Add(new CaptureWarning(CaptureWarningKind.CapturedLengthOverSnaplen, FileIndex, Window.Position,
            Stats.Frames, $"frame {Stats.Frames + 1} has {capturedLength} captured bytes, more than the file's snaplen {_snaplen}; read anyway"));
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
