using System.Buffers.Binary;

namespace PcapInsight.Core.Capture;

/// <summary>
/// Walks the options of a pcapng block: code (2 bytes), length (2 bytes), value padded to 4 bytes, until
/// <c>opt_endofopt</c> or the end of the options area. An option that runs past the area sets <see cref="Malformed"/>.
/// </summary>
internal ref struct PcapNgOptionReader
{
    private ReadOnlySpan<byte> _rest;
    private readonly bool _bigEndian;

    public PcapNgOptionReader(ReadOnlySpan<byte> options, bool bigEndian)
    {
        _rest = options;
        _bigEndian = bigEndian;
        Malformed = false;
    }

    /// <summary>True when an option's declared length runs past the end of the block.</summary>
    public bool Malformed { get; private set; }

    public bool TryNext(out ushort code, out ReadOnlySpan<byte> value)
    {
        code = 0;
        value = default;
        if (_rest.Length < 4)
        {
            return false;
        }
        code = ReadUInt16(_rest);
        int length = ReadUInt16(_rest[2..]);
        if (code == 0)
        {
            return false;
        }
        int padded = (length + 3) & ~3;
        if (4 + padded > _rest.Length)
        {
            // The value may legally omit its padding only when it is the very last thing in the block.
            if (4 + length > _rest.Length)
            {
                Malformed = true;
                return false;
            }
            padded = _rest.Length - 4;
        }
        value = _rest.Slice(4, length);
        _rest = _rest[(4 + padded)..];
        return true;
    }

    public readonly ulong ReadUInt64(ReadOnlySpan<byte> s) =>
        _bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(s) : BinaryPrimitives.ReadUInt64LittleEndian(s);

    private readonly ushort ReadUInt16(ReadOnlySpan<byte> s) =>
        _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s);
}
