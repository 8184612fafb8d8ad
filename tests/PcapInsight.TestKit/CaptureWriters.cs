using System.Buffers.Binary;
using PcapInsight.Core.Capture;

namespace PcapInsight.TestKit;

/// <summary>Writes classic pcap files for tests and crafted fixtures: either byte order, µs or ns timestamps.</summary>
public sealed class PcapWriter : IDisposable
{
    private readonly Stream _stream;
    private readonly bool _bigEndian;
    private readonly bool _nanoseconds;

    /// <summary>Writes the file header.</summary>
    public PcapWriter(Stream stream, LinkType linkType, bool nanoseconds = false, bool bigEndian = false, int snaplen = 262144,
        ushort majorVersion = 2, uint? linkTypeField = null)
    {
        _stream = stream;
        _bigEndian = bigEndian;
        _nanoseconds = nanoseconds;
        var header = new byte[24];
        U32(header, 0, nanoseconds ? 0xA1B23C4D : 0xA1B2C3D4);
        U16(header, 4, majorVersion);
        U16(header, 6, 4);
        U32(header, 16, (uint)snaplen);
        U32(header, 20, linkTypeField ?? (uint)linkType);
        _stream.Write(header);
    }

    /// <summary>Writes one record; <paramref name="originalLength"/> defaults to the data length.</summary>
    public void Write(long timestampNs, ReadOnlySpan<byte> data, int? originalLength = null, uint? capturedLengthOverride = null)
    {
        var header = new byte[16];
        U32(header, 0, (uint)(timestampNs / 1_000_000_000));
        long fraction = timestampNs % 1_000_000_000;
        U32(header, 4, (uint)(_nanoseconds ? fraction : fraction / 1000));
        U32(header, 8, capturedLengthOverride ?? (uint)data.Length);
        U32(header, 12, (uint)(originalLength ?? data.Length));
        _stream.Write(header);
        _stream.Write(data);
    }

    private void U16(byte[] b, int at, ushort v)
    {
        if (_bigEndian)
        {
            BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(at), v);
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(at), v);
        }
    }

    private void U32(byte[] b, int at, uint v)
    {
        if (_bigEndian)
        {
            BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(at), v);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(at), v);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _stream.Flush();
}

/// <summary>Writes pcapng blocks for tests: sections of either byte order, interfaces, EPB/SPB/PB, ISB, custom blocks.</summary>
public sealed class PcapNgWriter : IDisposable
{
    private readonly Stream _stream;
    private bool _bigEndian;

    /// <summary>Creates a writer; call <see cref="Section"/> first.</summary>
    public PcapNgWriter(Stream stream) => _stream = stream;

    /// <summary>Starts a section (SHB).</summary>
    public PcapNgWriter Section(bool bigEndian = false, ushort major = 1, ushort minor = 0, byte[]? rawOptions = null)
    {
        _bigEndian = bigEndian;
        var body = new List<byte>();
        body.AddRange(U32(0x1A2B3C4D));
        body.AddRange(U16(major));
        body.AddRange(U16(minor));
        body.AddRange(BitConverter.GetBytes(-1L)); // section length unknown
        body.AddRange(rawOptions ?? []);
        return Block(0x0A0D0D0A, body.ToArray());
    }

    /// <summary>Describes an interface (IDB) with optional name, if_tsresol and if_tsoffset.</summary>
    public PcapNgWriter Interface(LinkType link, int snaplen = 0, byte? tsresol = null, long? tsoffset = null, string? name = null)
    {
        var body = new List<byte>();
        body.AddRange(U16((ushort)link));
        body.AddRange(U16(0));
        body.AddRange(U32((uint)snaplen));
        if (name is not null)
        {
            body.AddRange(Option(2, System.Text.Encoding.UTF8.GetBytes(name)));
        }
        if (tsresol is { } r)
        {
            body.AddRange(Option(9, [r]));
        }
        if (tsoffset is { } o)
        {
            body.AddRange(Option(14, U64((ulong)o)));
        }
        if (name is not null || tsresol is not null || tsoffset is not null)
        {
            body.AddRange(Option(0, []));
        }
        return Block(1, body.ToArray());
    }

    /// <summary>An Enhanced Packet Block with a raw timestamp in the interface's units.</summary>
    public PcapNgWriter Enhanced(int interfaceId, ulong rawTimestamp, byte[] data, int? originalLength = null, uint? capturedLengthOverride = null)
    {
        var body = new List<byte>();
        body.AddRange(U32((uint)interfaceId));
        body.AddRange(U32((uint)(rawTimestamp >> 32)));
        body.AddRange(U32((uint)rawTimestamp));
        body.AddRange(U32(capturedLengthOverride ?? (uint)data.Length));
        body.AddRange(U32((uint)(originalLength ?? data.Length)));
        body.AddRange(Padded(data));
        return Block(6, body.ToArray());
    }

    /// <summary>A Simple Packet Block (interface 0, no timestamp).</summary>
    public PcapNgWriter Simple(byte[] data, int? originalLength = null)
    {
        var body = new List<byte>();
        body.AddRange(U32((uint)(originalLength ?? data.Length)));
        body.AddRange(Padded(data));
        return Block(3, body.ToArray());
    }

    /// <summary>The obsolete Packet Block.</summary>
    public PcapNgWriter Obsolete(ushort interfaceId, ulong rawTimestamp, byte[] data)
    {
        var body = new List<byte>();
        body.AddRange(U16(interfaceId));
        body.AddRange(U16(0));
        body.AddRange(U32((uint)(rawTimestamp >> 32)));
        body.AddRange(U32((uint)rawTimestamp));
        body.AddRange(U32((uint)data.Length));
        body.AddRange(U32((uint)data.Length));
        body.AddRange(Padded(data));
        return Block(2, body.ToArray());
    }

    /// <summary>An Interface Statistics Block with isb_ifdrop and isb_osdrop.</summary>
    public PcapNgWriter Statistics(int interfaceId, ulong interfaceDrops, ulong osDrops = 0)
    {
        var body = new List<byte>();
        body.AddRange(U32((uint)interfaceId));
        body.AddRange(U32(0));
        body.AddRange(U32(0));
        body.AddRange(Option(4, U64(1_000_000)));   // isb_ifrecv: received, not dropped (readers must not take it for drops)
        body.AddRange(Option(5, U64(interfaceDrops)));
        body.AddRange(Option(7, U64(osDrops)));
        body.AddRange(Option(0, []));
        return Block(5, body.ToArray());
    }

    /// <summary>Any block, e.g. a custom block (0x00000BAD) or one with a deliberately wrong trailing length.</summary>
    public PcapNgWriter Block(uint type, byte[] body, uint? trailingLengthOverride = null)
    {
        byte[] padded = Padded(body);
        uint length = (uint)(12 + padded.Length);
        _stream.Write(U32(type));
        _stream.Write(U32(length));
        _stream.Write(padded);
        _stream.Write(U32(trailingLengthOverride ?? length));
        return this;
    }

    private byte[] Option(ushort code, byte[] value)
    {
        var o = new List<byte>();
        o.AddRange(U16(code));
        o.AddRange(U16((ushort)value.Length));
        o.AddRange(Padded(value));
        return o.ToArray();
    }

    private static byte[] Padded(byte[] data)
    {
        var padded = new byte[(data.Length + 3) & ~3];
        data.CopyTo(padded, 0);
        return padded;
    }

    private byte[] U16(ushort v)
    {
        var b = new byte[2];
        if (_bigEndian) { BinaryPrimitives.WriteUInt16BigEndian(b, v); } else { BinaryPrimitives.WriteUInt16LittleEndian(b, v); }
        return b;
    }

    private byte[] U32(uint v)
    {
        var b = new byte[4];
        if (_bigEndian) { BinaryPrimitives.WriteUInt32BigEndian(b, v); } else { BinaryPrimitives.WriteUInt32LittleEndian(b, v); }
        return b;
    }

    private byte[] U64(ulong v)
    {
        var b = new byte[8];
        if (_bigEndian) { BinaryPrimitives.WriteUInt64BigEndian(b, v); } else { BinaryPrimitives.WriteUInt64LittleEndian(b, v); }
        return b;
    }

    /// <inheritdoc />
    public void Dispose() => _stream.Flush();
}
