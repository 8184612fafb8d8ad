using System.Buffers.Binary;
using System.Text;

namespace PcapInsight.Core.Capture;

/// <summary>
/// Writes a pcapng file (little-endian, one section): interfaces with nanosecond timestamps, Enhanced Packet Blocks,
/// and Interface Statistics Blocks with the drop counters. <c>live -w</c> saves what it captured with it; tshark
/// and <c>analyze</c> read it back. Each block goes out whole (header, data, padding, trailer), so a file cut off
/// by a crash ends at a block boundary or inside the last block, which readers report as truncated.
/// </summary>
public sealed class PcapNgFileWriter : IDisposable
{
    private const uint SectionHeader = 0x0A0D0D0A, InterfaceDescription = 1, EnhancedPacket = 6, InterfaceStatistics = 5;
    private static readonly byte[] Padding = new byte[4];
    private readonly Stream _stream;
    private readonly bool _ownsStream;
    private int _interfaces;

    /// <summary>Starts the file with its section header, naming the application that wrote it.</summary>
    public PcapNgFileWriter(Stream stream, string application, bool ownsStream = true)
    {
        _stream = stream;
        _ownsStream = ownsStream;
        byte[] appl = Encoding.UTF8.GetBytes(application);
        int optionsLength = OptionLength(appl.Length) + 4;
        Span<byte> body = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(body, 0x1A2B3C4D);
        BinaryPrimitives.WriteUInt16LittleEndian(body[4..], 1);
        BinaryPrimitives.WriteUInt16LittleEndian(body[6..], 0);
        BinaryPrimitives.WriteInt64LittleEndian(body[8..], -1);   // section length not known in advance
        int total = 12 + body.Length + optionsLength;
        WriteU32(SectionHeader);
        WriteU32((uint)total);
        _stream.Write(body);
        WriteOption(4, appl);   // shb_userappl
        WriteOption(0, []);
        WriteU32((uint)total);
    }

    /// <summary>Describes an interface (nanosecond timestamps); returns its id for <see cref="Write"/>.</summary>
    public int AddInterface(LinkType link, int snaplen, string? name)
    {
        byte[] nameBytes = name is null ? [] : Encoding.UTF8.GetBytes(name);
        int optionsLength = (name is null ? 0 : OptionLength(nameBytes.Length)) + OptionLength(1) + 4;
        int total = 12 + 8 + optionsLength;
        WriteU32(InterfaceDescription);
        WriteU32((uint)total);
        Span<byte> body = stackalloc byte[8];
        BinaryPrimitives.WriteUInt16LittleEndian(body, (ushort)link);
        BinaryPrimitives.WriteUInt16LittleEndian(body[2..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(body[4..], (uint)Math.Max(0, snaplen));
        _stream.Write(body);
        if (name is not null)
        {
            WriteOption(2, nameBytes);   // if_name
        }
        WriteOption(9, [9]);             // if_tsresol: 10^-9 s
        WriteOption(0, []);
        WriteU32((uint)total);
        return _interfaces++;
    }

    /// <summary>Writes one frame as an Enhanced Packet Block. Allocates nothing.</summary>
    public void Write(int interfaceId, long timestampNs, ReadOnlySpan<byte> data, int originalLength)
    {
        int padded = (data.Length + 3) & ~3;
        int total = 32 + padded;
        Span<byte> header = stackalloc byte[28];
        BinaryPrimitives.WriteUInt32LittleEndian(header, EnhancedPacket);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)total);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], (uint)interfaceId);
        ulong ts = (ulong)Math.Max(0, timestampNs);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], (uint)(ts >> 32));
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], (uint)ts);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], (uint)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[24..], (uint)Math.Max(originalLength, data.Length));
        _stream.Write(header);
        _stream.Write(data);
        _stream.Write(Padding, 0, padded - data.Length);
        WriteU32((uint)total);
    }

    /// <summary>An Interface Statistics Block: frames received, dropped by the interface and by the OS (and by us).</summary>
    public void WriteStatistics(int interfaceId, long timestampNs, long received, long interfaceDrops, long osDrops, string? comment = null)
    {
        byte[] note = comment is null ? [] : Encoding.UTF8.GetBytes(comment);
        int optionsLength = 3 * OptionLength(8) + (comment is null ? 0 : OptionLength(note.Length)) + 4;
        int total = 12 + 12 + optionsLength;
        WriteU32(InterfaceStatistics);
        WriteU32((uint)total);
        ulong ts = (ulong)Math.Max(0, timestampNs);
        WriteU32((uint)interfaceId);
        WriteU32((uint)(ts >> 32));
        WriteU32((uint)ts);
        Span<byte> value = stackalloc byte[8];
        foreach ((ushort code, long n) in (ReadOnlySpan<(ushort, long)>)[(4, received), (5, interfaceDrops), (7, osDrops)])   // isb_ifrecv, isb_ifdrop, isb_osdrop
        {
            BinaryPrimitives.WriteUInt64LittleEndian(value, (ulong)Math.Max(0, n));
            WriteOption(code, value);
        }
        if (comment is not null)
        {
            WriteOption(1, note);   // opt_comment
        }
        WriteOption(0, []);
        WriteU32((uint)total);
    }

    /// <summary>Pushes buffered blocks to the file.</summary>
    public void Flush() => _stream.Flush();

    /// <inheritdoc />
    public void Dispose()
    {
        _stream.Flush();
        if (_ownsStream)
        {
            _stream.Dispose();
        }
    }

    private static int OptionLength(int valueLength) => 4 + ((valueLength + 3) & ~3);

    private void WriteOption(ushort code, ReadOnlySpan<byte> value)
    {
        Span<byte> head = stackalloc byte[4];
        BinaryPrimitives.WriteUInt16LittleEndian(head, code);
        BinaryPrimitives.WriteUInt16LittleEndian(head[2..], (ushort)value.Length);
        _stream.Write(head);
        _stream.Write(value);
        _stream.Write(Padding, 0, ((value.Length + 3) & ~3) - value.Length);
    }

    private void WriteU32(uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        _stream.Write(b);
    }
}
