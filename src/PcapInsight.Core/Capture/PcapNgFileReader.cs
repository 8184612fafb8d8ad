using System.Runtime.CompilerServices;
using System.Buffers.Binary;
using System.Text;

namespace PcapInsight.Core.Capture;

/// <summary>
/// Reads pcapng: Section Header, Interface Description, Enhanced, Simple and the obsolete Packet Blocks, several
/// sections (each with its own byte order and interfaces), per-interface link type and timestamp resolution
/// (<c>if_tsresol</c>, <c>if_tsoffset</c>), and Interface Statistics Blocks (their drop counters are kept).
/// Every other block is skipped.
/// </summary>
/// <remarks>
/// Streaming and zero-copy, with the same span lifetime as <see cref="IPacketSource"/>. A damaged block length,
/// an option that runs past its block, a packet of an undescribed interface or a later section of an unknown
/// version stops reading with a warning; what came before is kept. Model: gopacket <c>pcapgo/ngread.go</c>.
/// </remarks>
public sealed class PcapNgFileReader : CaptureFileReader
{
    internal const uint BlockSectionHeader = 0x0A0D0D0A;
    private const uint BlockInterfaceDescription = 1;
    private const uint BlockPacketObsolete = 2;
    private const uint BlockSimplePacket = 3;
    private const uint BlockInterfaceStatistics = 5;
    private const uint BlockEnhancedPacket = 6;
    private const uint ByteOrderMagic = 0x1A2B3C4D;

    private readonly CaptureReaderOptions _options;
    private readonly List<TimestampScale> _scales = new();   // one per interface, global numbering
    private int _sectionFirstInterface;

    internal PcapNgFileReader(StreamWindow window, int fileIndex, string path, CaptureReaderOptions options)
        : base(window, fileIndex, path)
    {
        _options = options;
        string? error = ReadSectionHeader();
        if (error is not null)
        {
            throw new CaptureFormatException(error);
        }
        Stats.Format = $"pcapng ({(BigEndian ? "big-endian" : "little-endian")})";
        Stats.BytesConsumed = window.Position;
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override bool TryRead(out CaptureInfo info, out ReadOnlySpan<byte> data)
    {
        info = default;
        data = default;
        while (!Done)
        {
            if (!Window.Ensure(8))
            {
                if (Window.Available == 0)
                {
                    Done = true;
                    return false;
                }
                return StopCutInBlockHeader();
            }
            ReadOnlySpan<byte> head = Window.Peek(8);
            uint type = ReadUInt32(head);
            if (type == BlockSectionHeader)
            {
                string? error = ReadSectionHeader();
                if (error is not null)
                {
                    return StopAtSection(error);
                }
                continue;
            }
            uint length = ReadUInt32(head[4..]);
            if (length < 12 || (length & 3) != 0 || length > (uint)_options.MaxBlockBytes)
            {
                return StopOnImpossibleLength(type, length);
            }
            int blockBytes = (int)length;
            bool wanted = type is BlockEnhancedPacket or BlockSimplePacket or BlockPacketObsolete or BlockInterfaceDescription or BlockInterfaceStatistics;
            if (!wanted)
            {
                if (!Window.Skip(blockBytes))
                {
                    return StopCutInSkippedBlock(type);
                }
                continue;
            }
            if (!Window.Ensure(blockBytes))
            {
                return StopCutInBlock(type, blockBytes);
            }
            ReadOnlySpan<byte> block = Window.Peek(blockBytes);
            if (ReadUInt32(block[(blockBytes - 4)..]) != length)
            {
                return StopOnTrailingLength(type);
            }
            switch (type)
            {
                case BlockEnhancedPacket:
                case BlockPacketObsolete:
                case BlockSimplePacket:
                    if (TryPacket(type, block, out info, out data, out int dataOffset))
                    {
                        CountFrame(Window.BufferIndex + dataOffset, data.Length);
                        Window.Advance(blockBytes);
                        Stats.BytesConsumed = Window.Position;
                        info = info with { FrameNumber = Stats.Frames };
                        return true;
                    }
                    if (Done)
                    {
                        return false;
                    }
                    break;
                case BlockInterfaceDescription:
                    if (!TryInterface(block))
                    {
                        return false;
                    }
                    break;
                case BlockInterfaceStatistics:
                    ReadStatistics(block);
                    break;
            }
            Window.Advance(blockBytes);
            Stats.BytesConsumed = Window.Position;
        }
        return false;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool TryPacket(uint type, ReadOnlySpan<byte> block, out CaptureInfo info, out ReadOnlySpan<byte> data, out int dataOffset)
    {
        info = default;
        data = default;
        dataOffset = 0;
        int sectionInterfaces = _scales.Count - _sectionFirstInterface;
        uint interfaceId;
        ulong rawTime = 0;
        uint captured;
        uint original;
        switch (type)
        {
            case BlockEnhancedPacket:
                if (block.Length < 32)
                {
                    return StopOnShortBlock("Enhanced Packet Block", block.Length);
                }
                interfaceId = ReadUInt32(block[8..]);
                rawTime = ((ulong)ReadUInt32(block[12..]) << 32) | ReadUInt32(block[16..]);
                captured = ReadUInt32(block[20..]);
                original = ReadUInt32(block[24..]);
                dataOffset = 28;
                break;
            case BlockPacketObsolete:
                if (block.Length < 32)
                {
                    return StopOnShortBlock("Packet Block", block.Length);
                }
                interfaceId = ReadUInt16(block[8..]);
                rawTime = ((ulong)ReadUInt32(block[12..]) << 32) | ReadUInt32(block[16..]);
                captured = ReadUInt32(block[20..]);
                original = ReadUInt32(block[24..]);
                dataOffset = 28;
                break;
            default: // Simple Packet Block: no timestamp, interface 0, captured length implied by the block length.
                if (block.Length < 16)
                {
                    return StopOnShortBlock("Simple Packet Block", block.Length);
                }
                interfaceId = 0;
                original = ReadUInt32(block[8..]);
                dataOffset = 12;
                captured = (uint)Math.Min(original, (uint)(block.Length - 16));
                if (sectionInterfaces > 0)
                {
                    int snaplen = Stats.Interfaces[_sectionFirstInterface].Snaplen;
                    if (snaplen > 0)
                    {
                        captured = Math.Min(captured, (uint)snaplen);
                    }
                }
                break;
        }
        if (interfaceId >= (uint)sectionInterfaces)
        {
            return StopOnUnknownInterface(interfaceId, sectionInterfaces);
        }
        if (captured > (uint)(block.Length - dataOffset - 4) || captured > (uint)_options.MaxFrameBytes)
        {
            return StopOnOversizedPacket(captured, block.Length);
        }
        int globalInterface = _sectionFirstInterface + (int)interfaceId;
        long timestampNs = _scales[globalInterface].ToNanoseconds(rawTime);
        data = block.Slice(dataOffset, (int)captured);
        info = new CaptureInfo(0, timestampNs, (int)captured, (int)Math.Min(original, int.MaxValue), globalInterface,
            Stats.Interfaces[globalInterface].LinkType, FileIndex);
        return true;
    }

    // The messages of damaged or cut blocks, built out of line: inside the AggressiveOptimization methods above, their
    // string formatting took the JIT's inlining budget and stack of every block read (the pcap reader's TryRead had
    // the same, and reading 10 million records took a third less time without it; bench/RESULTS.md).

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool StopCutInBlockHeader() => Stop(CaptureWarningKind.Truncated,
        $"the file ends inside a block header ({Window.Available} of 8 bytes present): analysed up to the cut");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool StopAtSection(string error) => Stop(
        error.StartsWith("pcapng version", StringComparison.Ordinal) ? CaptureWarningKind.UnsupportedSection : CaptureWarningKind.Damaged,
        "a later section cannot be read: " + error + "; analysed up to it");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool StopOnImpossibleLength(uint type, uint length) => Stop(CaptureWarningKind.Damaged,
        $"block of type 0x{type:x} at offset {Window.Position} has an impossible length {length}: the file is damaged from here");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool StopCutInSkippedBlock(uint type) => Stop(CaptureWarningKind.Truncated,
        $"the file ends inside a block of type 0x{type:x}: analysed up to the cut");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool StopCutInBlock(uint type, int blockBytes) => Stop(CaptureWarningKind.Truncated,
        $"the file ends inside block {BlockName(type)} after frame {Stats.Frames} ({Window.Available} of {blockBytes} bytes present): analysed up to the cut");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool StopOnTrailingLength(uint type) => Stop(CaptureWarningKind.Damaged,
        $"block {BlockName(type)} at offset {Window.Position}: trailing length differs from the leading one: the file is damaged from here");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool StopOnShortBlock(string block, int length) => Stop(CaptureWarningKind.Damaged,
        $"{block} at offset {Window.Position} is too short ({length} bytes)");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool StopOnUnknownInterface(uint interfaceId, int sectionInterfaces) => Stop(CaptureWarningKind.UnknownInterface,
        $"packet {Stats.Frames + 1} names interface {interfaceId}, but its section describes {sectionInterfaces}: the file is damaged from here");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool StopOnOversizedPacket(uint captured, int blockLength) => Stop(CaptureWarningKind.Damaged,
        $"packet {Stats.Frames + 1} claims {captured} captured bytes in a block of {blockLength}: the file is damaged from here");

    private bool TryInterface(ReadOnlySpan<byte> block)
    {
        if (block.Length < 20)
        {
            return Stop(CaptureWarningKind.Damaged, $"Interface Description Block at offset {Window.Position} is too short");
        }
        if (_scales.Count >= _options.MaxInterfaces)
        {
            return Stop(CaptureWarningKind.Damaged, $"more than {_options.MaxInterfaces} interfaces (--max-interfaces): the file is treated as damaged from here");
        }
        var link = (LinkType)ReadUInt16(block[8..]);
        uint snaplen = ReadUInt32(block[12..]);
        var options = new PcapNgOptionReader(block[16..^4], BigEndian);
        byte tsresol = 6;
        long tsoffset = 0;
        string? name = null;
        while (options.TryNext(out ushort code, out ReadOnlySpan<byte> value))
        {
            switch (code)
            {
                case 2 when value.Length > 0: // if_name
                    name = Encoding.UTF8.GetString(value.TrimEnd((byte)0));
                    break;
                case 9 when value.Length >= 1: // if_tsresol
                    tsresol = value[0];
                    break;
                case 14 when value.Length >= 8: // if_tsoffset, seconds
                    tsoffset = (long)options.ReadUInt64(value);
                    break;
            }
        }
        if (options.Malformed)
        {
            return Stop(CaptureWarningKind.Damaged, $"Interface Description Block at offset {Window.Position} has an option that runs past its end: the file is damaged from here");
        }
        var scale = TimestampScale.From(tsresol, tsoffset);
        _scales.Add(scale);
        Stats.Interfaces.Add(new CaptureInterface
        {
            LinkType = link,
            Snaplen = (int)Math.Min(snaplen, int.MaxValue),
            Name = name,
            TimestampDigits = scale.Digits,
        });
        return true;
    }

    private void ReadStatistics(ReadOnlySpan<byte> block)
    {
        if (block.Length < 24)
        {
            return;
        }
        uint interfaceId = ReadUInt32(block[8..]);
        int global = _sectionFirstInterface + (int)Math.Min(interfaceId, int.MaxValue - _sectionFirstInterface);
        if (interfaceId >= (uint)(_scales.Count - _sectionFirstInterface))
        {
            return; // Statistics for an undescribed interface carry nothing we can attribute.
        }
        var options = new PcapNgOptionReader(block[20..^4], BigEndian);
        while (options.TryNext(out ushort code, out ReadOnlySpan<byte> value))
        {
            if (value.Length < 8)
            {
                continue;
            }
            // isb_ifdrop (5) and isb_osdrop (7); 4 is isb_ifrecv, frames received, not dropped.
            if (code == 5)
            {
                Stats.Interfaces[global].InterfaceDrops = (long)Math.Min(options.ReadUInt64(value), long.MaxValue);
            }
            else if (code == 7)
            {
                Stats.Interfaces[global].OsDrops = (long)Math.Min(options.ReadUInt64(value), long.MaxValue);
            }
        }
    }

    /// <summary>Reads a Section Header Block at the window's position. Returns an error message, or null.</summary>
    private string? ReadSectionHeader()
    {
        if (!Window.Ensure(28))
        {
            return $"section header is cut short ({Window.Available} of 28 bytes)";
        }
        ReadOnlySpan<byte> head = Window.Peek(28);
        if (BinaryPrimitives.ReadUInt32LittleEndian(head) != BlockSectionHeader)
        {
            return "not a pcapng file: no section header block";
        }
        uint bomLe = BinaryPrimitives.ReadUInt32LittleEndian(head[8..]);
        bool bigEndian;
        if (bomLe == ByteOrderMagic)
        {
            bigEndian = false;
        }
        else if (BinaryPrimitives.ReadUInt32BigEndian(head[8..]) == ByteOrderMagic)
        {
            bigEndian = true;
        }
        else
        {
            return $"pcapng section header has an unknown byte-order magic 0x{bomLe:x8}";
        }
        uint length = bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(head[4..]) : BinaryPrimitives.ReadUInt32LittleEndian(head[4..]);
        ushort major = bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(head[12..]) : BinaryPrimitives.ReadUInt16LittleEndian(head[12..]);
        ushort minor = bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(head[14..]) : BinaryPrimitives.ReadUInt16LittleEndian(head[14..]);
        if (major != 1)
        {
            return $"pcapng version {major}.{minor} is not supported (only 1.x exists)";
        }
        if (length < 28 || (length & 3) != 0 || length > (uint)_options.MaxBlockBytes)
        {
            return $"pcapng section header has an impossible length {length}";
        }
        if (!Window.Ensure((int)length))
        {
            return $"section header is cut short ({Window.Available} of {length} bytes)";
        }
        ReadOnlySpan<byte> block = Window.Peek((int)length);
        var options = new PcapNgOptionReader(block[24..^4], bigEndian);
        while (options.TryNext(out _, out _))
        {
        }
        if (options.Malformed)
        {
            return "pcapng section header has an option that runs past the end of the block";
        }
        BigEndian = bigEndian;
        _sectionFirstInterface = _scales.Count;
        Window.Advance((int)length);
        return null;
    }

    private static string BlockName(uint type) => type switch
    {
        BlockEnhancedPacket => "EPB",
        BlockSimplePacket => "SPB",
        BlockPacketObsolete => "PB",
        BlockInterfaceDescription => "IDB",
        BlockInterfaceStatistics => "ISB",
        _ => "0x" + type.ToString("x", System.Globalization.CultureInfo.InvariantCulture),
    };
}
