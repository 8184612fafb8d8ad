using PcapInsight.Core.Collections;
using PcapInsight.Core.Decoding;

namespace PcapInsight.Core.Flows;

/// <summary>
/// A bidirectional 5-tuple plus the outermost VLAN id, in canonical order (the smaller address/port first), so
/// both directions of a conversation have one key. A fixed-size value: hashing and comparing allocate nothing.
/// </summary>
public readonly struct FlowKey : IEquatable<FlowKey>
{
    // The addresses by their parts, and both versions in one byte: 40 bytes where two IpAddr values (24 bytes each,
    // padded for their version byte) made the key 56, in every flow object (a million connections: 16 MB).
    // Declared largest first: a struct keeps its declaration order, and any other order pads the key to 48.
    private readonly ulong _aHi, _aLo, _bHi, _bLo;

    /// <summary>Port of <see cref="A"/>.</summary>
    public readonly ushort PortA;
    /// <summary>Port of <see cref="B"/>.</summary>
    public readonly ushort PortB;
    /// <summary>Outermost VLAN id, 0 when untagged: the same addresses on two VLANs are two flows.</summary>
    public readonly ushort Vlan;
    /// <summary>IP protocol number.</summary>
    public readonly byte Protocol;

    private readonly byte _versions;   // A's version in the high nibble, B's in the low one

    private FlowKey(IpAddr a, ushort portA, IpAddr b, ushort portB, byte protocol, ushort vlan)
    {
        _aHi = a.Hi;
        _aLo = a.Lo;
        _bHi = b.Hi;
        _bLo = b.Lo;
        _versions = (byte)(a.Version << 4 | b.Version);
        PortA = portA;
        PortB = portB;
        Protocol = protocol;
        Vlan = vlan;
    }

    /// <summary>The smaller endpoint's address.</summary>
    public IpAddr A => IpAddr.FromParts(_aHi, _aLo, (byte)(_versions >> 4));

    /// <summary>The larger endpoint's address.</summary>
    public IpAddr B => IpAddr.FromParts(_bHi, _bLo, (byte)(_versions & 0xF));

    /// <summary>
    /// The key of a packet's flow; <paramref name="sourceIsA"/> tells whether the packet travels from A to B.
    /// </summary>
    public static FlowKey From(in DecodedPacket p, out bool sourceIsA)
    {
        int c = p.Src.CompareTo(p.Dst);
        sourceIsA = c < 0 || (c == 0 && p.SrcPort <= p.DstPort);
        return sourceIsA
            ? new FlowKey(p.Src, p.SrcPort, p.Dst, p.DstPort, p.Protocol, p.VlanId)
            : new FlowKey(p.Dst, p.DstPort, p.Src, p.SrcPort, p.Protocol, p.VlanId);
    }

    /// <inheritdoc />
    public bool Equals(FlowKey other) =>
        _aLo == other._aLo && _bLo == other._bLo && _aHi == other._aHi && _bHi == other._bHi && _versions == other._versions
        && PortA == other.PortA && PortB == other.PortB && Protocol == other.Protocol && Vlan == other.Vlan;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is FlowKey other && Equals(other);

    /// <summary>
    /// The hash the flow index probes by: keyed per process (<see cref="SeededHash"/>), so that a crafted capture
    /// cannot pile its flows into one run of the index. It differs from run to run; what must not
    /// (the partition a flow belongs to, and so the evictions past <c>--max-flows</c>) uses <see cref="PartitionHash"/>.
    /// </summary>
    public override int GetHashCode()
    {
        ulong rest = (ulong)PortA << 48 | (ulong)PortB << 32 | (ulong)Protocol << 24 | (ulong)(_versions >> 4) << 16 | Vlan;
        ulong h = SeededHash.Mum(_aLo ^ SeededHash.Seed0, _bLo ^ SeededHash.Seed1) ^ SeededHash.Mum(_aHi ^ SeededHash.Seed2, _bHi ^ SeededHash.Seed3);
        h = SeededHash.Mum(h ^ rest, SeededHash.Seed4);
        return (int)(h ^ (h >> 32));
    }

    /// <summary>
    /// The same in every run: which partition of the flow table (and so which shard) a flow belongs to. A capture can
    /// choose keys that share a partition, which only makes that partition evict sooner (a fixed cost a flow); the
    /// index within it probes by the seeded <see cref="GetHashCode"/>.
    /// </summary>
    public int PartitionHash()
    {
        // Cheap mixing of the fields that vary most.
        ulong h = _aLo * 0x9E3779B97F4A7C15UL ^ _bLo * 0xC2B2AE3D27D4EB4FUL ^ _aHi ^ (_bHi << 1);
        h ^= ((ulong)PortA << 32) | ((ulong)PortB << 16) | ((ulong)Protocol << 8) ^ ((ulong)Vlan << 48);
        h *= 0x165667B19E3779F9UL;
        return (int)(h ^ (h >> 32));
    }
}
