using System.Buffers.Binary;
using System.Runtime.InteropServices;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Collections;
using PcapInsight.Core.Decoding;

namespace PcapInsight.Core.TwoPoint;

/// <summary>
/// One packet of a capture as the comparison keeps it: its key, when and where it was, and the numbers that describe
/// it in diff.csv. 56 bytes, the addresses as the number of their pair (<see cref="AddressPairs"/>): a
/// <see cref="PointPacket"/> with its two addresses and a description as text took about 350 with the tables.
/// </summary>
[StructLayout(LayoutKind.Auto)]
internal struct SeenPacket
{
    public const byte MoreFragments = 1, IsFragment = 2, HasTransport = 4, HasPorts = 8;

    public ulong Key;
    public long Frame;
    public long TimeNs;
    public int Pair;
    public uint Seq;
    public int PayloadLength;
    public uint IpId;
    public int FragmentOffset;
    public ushort SrcPort;
    public ushort DstPort;
    public byte Ttl;
    public byte Protocol;
    public byte Flags;

    public readonly PointPacket ToPointPacket(AddressPairs pairs) =>
        new(Frame, TimeNs, Ttl, pairs.Source(Pair), pairs.Destination(Pair), Protocol)
        {
            SrcPort = SrcPort, DstPort = DstPort, Seq = Seq, PayloadLength = PayloadLength, IpId = IpId,
            FragmentOffset = FragmentOffset, MoreFragments = (Flags & MoreFragments) != 0, IsFragment = (Flags & IsFragment) != 0,
            HasTransport = (Flags & HasTransport) != 0, HasPorts = (Flags & HasPorts) != 0,
        };
}

/// <summary>
/// The IP packets of one capture in its order, in blocks of 65,536 (no copy as it grows, no doubled capacity), and
/// whether the capture held more than the limit.
/// </summary>
internal sealed class SeenPackets
{
    private const int BlockBits = 16;
    private const int BlockMask = (1 << BlockBits) - 1;
    private readonly List<SeenPacket[]> _blocks = new();

    public int Count { get; private set; }

    /// <summary>More packets than the limit were there: only the first were read.</summary>
    public bool Cut { get; private set; }

    public ref SeenPacket this[int index] => ref _blocks[index >> BlockBits][index & BlockMask];

    internal ref SeenPacket Add()
    {
        if ((Count & BlockMask) == 0)
        {
            _blocks.Add(new SeenPacket[1 << BlockBits]);
        }
        return ref this[Count++];
    }

    /// <summary>Reads the IP packets of <paramref name="source"/>, at most <paramref name="maxPackets"/>.</summary>
    public static SeenPackets Read(IPacketSource source, long maxPackets, AddressPairs pairs)
    {
        var packets = new SeenPackets();
        var p = new DecodedPacket();
        maxPackets = Math.Min(maxPackets, int.MaxValue);
        while (source.TryRead(out CaptureInfo info, out ReadOnlySpan<byte> frame))
        {
            p = default;
            FrameDecoder.Decode(frame, info.LinkType, ref p, Math.Max(0, info.OriginalLength - info.CapturedLength));
            if (p.Status != DecodeStatus.Ok || p.IpVersion == 0)
            {
                continue;
            }
            if (packets.Count >= maxPackets)
            {
                packets.Cut = true;
                break;
            }
            ref SeenPacket seen = ref packets.Add();
            seen.Key = Key(frame, p);
            seen.Frame = info.FrameNumber;
            seen.TimeNs = info.TimestampNs;
            seen.Pair = pairs.Of(p.Src, p.Dst);
            seen.Seq = p.Seq;
            seen.PayloadLength = p.PayloadLength;
            seen.IpId = p.IpId;
            seen.FragmentOffset = p.FragmentOffset;
            seen.SrcPort = p.SrcPort;
            seen.DstPort = p.DstPort;
            seen.Ttl = p.Ttl;
            seen.Protocol = p.Protocol;
            seen.Flags = (byte)((p.MoreFragments ? SeenPacket.MoreFragments : 0) | (p.IsFragment ? SeenPacket.IsFragment : 0)
                | (p.HasTransport ? SeenPacket.HasTransport : 0) | (p.HasPorts ? SeenPacket.HasPorts : 0));
        }
        return packets;
    }

    /// <summary>
    /// The fields a router leaves alone, hashed: addresses, protocol, IP id and fragment fields, and the IP payload
    /// less checksums. With the process's seeds (<see cref="SeededHash"/>), so that a capture cannot be written whose
    /// different packets share a key, and so that the key's bits can index a table directly.
    /// </summary>
    private static ulong Key(ReadOnlySpan<byte> frame, in DecodedPacket p)
    {
        // The header fields, then the payload up to its checksum, in one block; the rest of the payload after it.
        Span<byte> head = stackalloc byte[64];   // 40 bytes of fields and at most 16 of payload before the checksum
        BinaryPrimitives.WriteUInt64LittleEndian(head, p.Src.Hi);
        BinaryPrimitives.WriteUInt64LittleEndian(head[8..], p.Src.Lo);
        BinaryPrimitives.WriteUInt64LittleEndian(head[16..], p.Dst.Hi);
        BinaryPrimitives.WriteUInt64LittleEndian(head[24..], p.Dst.Lo);
        BinaryPrimitives.WriteUInt64LittleEndian(head[32..],
            ((ulong)p.Protocol << 56) | ((ulong)p.IpId << 16) | ((ulong)(uint)p.FragmentOffset << 1) | (p.MoreFragments ? 1UL : 0));
        int headLength = 40;
        ReadOnlySpan<byte> rest = default;
        int start = p.NetworkOffset + p.IpHeaderLength;
        int end = Math.Min(frame.Length, p.NetworkOffset + p.IpTotalLength);
        if (start < end)
        {
            ReadOnlySpan<byte> payload = frame[start..end];
            int checksumAt = p.FragmentOffset != 0 ? -1 : p.Protocol switch { 6 => 16, 17 => 6, 1 or 58 => 2, _ => -1 };
            if (checksumAt >= 0 && payload.Length >= checksumAt + 2)
            {
                // Checksums differ between the points when one host computes them in the NIC (offload).
                payload[..checksumAt].CopyTo(head[headLength..]);
                headLength += checksumAt;
                rest = payload[(checksumAt + 2)..];
            }
            else
            {
                rest = payload;
            }
        }
        return SeededHash.Bytes(SeededHash.Bytes(0, head[..headLength]), rest);
    }
}
