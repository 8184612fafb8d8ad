using System.Runtime.CompilerServices;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Flows;
using Xunit;

namespace PcapInsight.Core.Tests.Flows;

/// <summary>
/// The flow key keeps its addresses as parts (two 64-bit halves each, both versions in one byte), so it is 40 bytes
/// in every flow object rather than two padded <see cref="IpAddr"/> values' 56: it must still give back the addresses
/// it was made of, in canonical order, and tell apart keys whose parts are equal but whose versions are not.
/// </summary>
public class FlowKeyTests
{
    private static FlowKey Key(string src, ushort srcPort, string dst, ushort dstPort, ushort vlan, out bool sourceIsA) =>
        FlowKey.From(new DecodedPacket
        {
            IpVersion = IpAddr.Parse(src).Version, Src = IpAddr.Parse(src), Dst = IpAddr.Parse(dst),
            SrcPort = srcPort, DstPort = dstPort, Protocol = 6, HasPorts = true, VlanId = vlan,
        }, out sourceIsA);

    public static TheoryData<string, ushort, string, ushort> Pairs => new()
    {
        // source, port, destination, port: A is the smaller address (the smaller port when the addresses are equal)
        { "192.0.2.1", 40000, "198.51.100.7", 80 },
        { "198.51.100.7", 80, "192.0.2.1", 40000 },
        { "2001:db8::1", 443, "2001:db8:ffff::2", 55000 },
        { "2001:db8:ffff::2", 55000, "2001:db8::1", 443 },
        { "203.0.113.5", 9000, "203.0.113.5", 53 },
        { "0.0.0.0", 0, "255.255.255.255", 65535 },
        { "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1, "::", 2 },
    };

    [Theory]
    [MemberData(nameof(Pairs))]
    public void GivesBackItsAddressesAndPorts_InCanonicalOrder(string src, ushort srcPort, string dst, ushort dstPort)
    {
        FlowKey key = Key(src, srcPort, dst, dstPort, 7, out bool sourceIsA);
        FlowKey reverse = Key(dst, dstPort, src, srcPort, 7, out bool reverseSourceIsA);

        (IpAddr a, ushort portA, IpAddr b, ushort portB) = sourceIsA
            ? (IpAddr.Parse(src), srcPort, IpAddr.Parse(dst), dstPort)
            : (IpAddr.Parse(dst), dstPort, IpAddr.Parse(src), srcPort);
        Assert.Equal(a, key.A);
        Assert.Equal(b, key.B);
        Assert.Equal(a.Version, key.A.Version);
        Assert.Equal(b.Version, key.B.Version);
        Assert.Equal((portA, portB, (byte)6, (ushort)7), (key.PortA, key.PortB, key.Protocol, key.Vlan));
        Assert.True(key.A.CompareTo(key.B) < 0 || (key.A.Equals(key.B) && key.PortA <= key.PortB));
        Assert.Equal(key, reverse);
        Assert.NotEqual(sourceIsA, reverseSourceIsA);   // no pair above is one endpoint twice
        Assert.Equal(key.GetHashCode(), reverse.GetHashCode());
        Assert.Equal(key.PartitionHash(), reverse.PartitionHash());
    }

    [Fact]
    public void AnIpv4AndAnIpv6KeyWithTheSameParts_AreTwoKeys()
    {
        // 0.0.0.1 and ::1 are both Hi 0, Lo 1: only the versions tell them apart.
        FlowKey v4 = Key("0.0.0.1", 1000, "0.0.0.2", 80, 0, out _);
        FlowKey v6 = Key("::1", 1000, "::2", 80, 0, out _);

        Assert.Equal((v4.A.Hi, v4.A.Lo, v4.B.Hi, v4.B.Lo), (v6.A.Hi, v6.A.Lo, v6.B.Hi, v6.B.Lo));
        Assert.NotEqual(v4, v6);
        Assert.Equal(4, v4.A.Version);
        Assert.Equal(6, v6.B.Version);
    }

    [Fact]
    public void IsFortyBytes()
    {
        // In every flow object: declared largest field first, or the struct's order pads it to 48.
        Assert.Equal(40, Unsafe.SizeOf<FlowKey>());
    }
}
