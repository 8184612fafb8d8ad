using PcapInsight.Core.Collections;
using PcapInsight.Core.Decoding;

namespace PcapInsight.Core.Flows;

/// <summary>
/// A bidirectional 5-tuple plus the outermost VLAN id, in canonical order (the smaller address/port first), so
/// both directions of a conversation have one key. A fixed-size value: hashing and comparing allocate nothing.
/// </summary>
public readonly struct FlowKey : IEquatable<FlowKey>
{
    /// <summary>The smaller endpoint's address.</summary>
    public readonly IpAddr A;
    /// <summary>The larger endpoint's address.</summary>
    public readonly IpAddr B;
    /// <summary>Port of <see cref="A"/>.</summary>
    public readonly ushort PortA;
    /// <summary>Port of <see cref="B"/>.</summary>
    public readonly ushort PortB;
    /// <summary>IP protocol number.</summary>
    public readonly byte Protocol;
    /// <summary>Outermost VLAN id, 0 when untagged: the same addresses on two VLANs are two flows.</summary>
    public readonly ushort Vlan;

    private FlowKey(IpAddr a, ushort portA, IpAddr b, ushort portB, byte protocol, ushort vlan)
    {
        A = a;
        PortA = portA;
        B = b;
        PortB = portB;
        Protocol = protocol;
        Vlan = vlan;
    }

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
        A.Equals(other.A) && B.Equals(other.B) && PortA == other.PortA && PortB == other.PortB
        && Protocol == other.Protocol && Vlan == other.Vlan;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is FlowKey other && Equals(other);

    /// <summary>
    /// The hash the flow index probes by: keyed per process (<see cref="SeededHash"/>), so that a crafted capture
    /// cannot pile its flows into one run of the index. It differs from run to run; what must not
    /// (the partition a flow belongs to, and so the evictions past <c>--max-flows</c>) uses <see cref="PartitionHash"/>.
    /// </summary>
    public override int GetHashCode()
    {
        ulong rest = (ulong)PortA << 48 | (ulong)PortB << 32 | (ulong)Protocol << 24 | (ulong)A.Version << 16 | Vlan;
        ulong h = SeededHash.Mum(A.Lo ^ SeededHash.Seed0, B.Lo ^ SeededHash.Seed1) ^ SeededHash.Mum(A.Hi ^ SeededHash.Seed2, B.Hi ^ SeededHash.Seed3);
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
        ulong h = A.Lo * 0x9E3779B97F4A7C15UL ^ B.Lo * 0xC2B2AE3D27D4EB4FUL ^ A.Hi ^ (B.Hi << 1);
        h ^= ((ulong)PortA << 32) | ((ulong)PortB << 16) | ((ulong)Protocol << 8) ^ ((ulong)Vlan << 48);
        h *= 0x165667B19E3779F9UL;
        return (int)(h ^ (h >> 32));
    }
}
