using System.Buffers.Binary;

namespace PcapInsight.Core.Flows;

/// <summary>
/// Reads little-endian and variable-length values from a span in order, as <see cref="ByteWriter"/> wrote them, without
/// a stream between: what the spool reads back a million times per report.
/// </summary>
internal ref struct ByteCursor(ReadOnlySpan<byte> bytes)
{
    private readonly ReadOnlySpan<byte> _bytes = bytes;

    /// <summary>Bytes read so far.</summary>
    public int Position { get; private set; }

    public byte Byte() => _bytes[Position++];

    public bool Bool() => _bytes[Position++] != 0;

    public int Int32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

    public long Int64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

    /// <summary>What <see cref="ByteWriter.WriteVar(ulong)"/> wrote.</summary>
    /// <remarks>As the writer, with the position in a local and a one-byte value read by one load (see <see cref="ByteWriter.WriteVar(ulong)"/>).</remarks>
    public ulong VarUInt64()
    {
        int at = Position;
        ReadOnlySpan<byte> bytes = _bytes;
        byte b = bytes[at++];
        if (b < 0x80)
        {
            Position = at;
            return b;
        }
        ulong value = b & 0x7fUL;
        for (int shift = 7; ; shift += 7)
        {
            b = bytes[at++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                Position = at;
                return value;
            }
        }
    }

    /// <summary>What <see cref="ByteWriter.WriteVar(long)"/> wrote.</summary>
    public long VarInt64()
    {
        ulong zigzag = VarUInt64();
        return (long)(zigzag >> 1) ^ -(long)(zigzag & 1);
    }

    /// <summary>What <see cref="ByteWriter.WriteVar(int)"/> wrote.</summary>
    public int VarInt32() => (int)VarInt64();

    private ReadOnlySpan<byte> Take(int count)
    {
        ReadOnlySpan<byte> taken = _bytes.Slice(Position, count);
        Position += count;
        return taken;
    }
}
