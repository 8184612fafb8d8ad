using System.Buffers.Binary;
using System.Net;
using System.Runtime.CompilerServices;

namespace PcapInsight.Core.Decoding;

/// <summary>
/// An IPv4 or IPv6 address as a fixed-size value: no allocation, cheap to compare and hash
/// (gopacket's <c>flows.go</c> found fixed arrays twice as fast as strings for flow keys).
/// IPv4 addresses live in the low 32 bits of <see cref="Lo"/>.
/// </summary>
public readonly struct IpAddr : IEquatable<IpAddr>, IComparable<IpAddr>
{
    /// <summary>High 64 bits (IPv6 only).</summary>
    public readonly ulong Hi;
    /// <summary>Low 64 bits (the whole address for IPv4).</summary>
    public readonly ulong Lo;
    /// <summary>4 or 6; 0 for "no address".</summary>
    public readonly byte Version;

    private IpAddr(ulong hi, ulong lo, byte version)
    {
        Hi = hi;
        Lo = lo;
        Version = version;
    }

    /// <summary>Rebuilds an address from its fields (a spooled flow record).</summary>
    internal static IpAddr FromParts(ulong hi, ulong lo, byte version) => new(hi, lo, version);

    /// <summary>Reads 4 bytes in network order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static IpAddr FromIpv4(ReadOnlySpan<byte> bytes) => new(0, BinaryPrimitives.ReadUInt32BigEndian(bytes), 4);

    /// <summary>Reads 16 bytes in network order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static IpAddr FromIpv6(ReadOnlySpan<byte> bytes) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]), 6);

    /// <summary>Parses the usual text form ("192.0.2.1", "2001:db8::1").</summary>
    public static IpAddr Parse(string text)
    {
        IPAddress address = IPAddress.Parse(text);
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out int written);
        return written == 4 ? FromIpv4(bytes) : FromIpv6(bytes);
    }

    /// <inheritdoc />
    public bool Equals(IpAddr other) => Lo == other.Lo && Hi == other.Hi && Version == other.Version;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is IpAddr other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Hi, Lo, Version);

    /// <summary>Orders by version, then numerically.</summary>
    public int CompareTo(IpAddr other)
    {
        int c = Version.CompareTo(other.Version);
        if (c != 0)
        {
            return c;
        }
        c = Hi.CompareTo(other.Hi);
        return c != 0 ? c : Lo.CompareTo(other.Lo);
    }

    /// <summary>Equality.</summary>
    public static bool operator ==(IpAddr a, IpAddr b) => a.Equals(b);

    /// <summary>Inequality.</summary>
    public static bool operator !=(IpAddr a, IpAddr b) => !a.Equals(b);

    /// <summary>Ordering.</summary>
    public static bool operator <(IpAddr a, IpAddr b) => a.CompareTo(b) < 0;

    /// <summary>Ordering.</summary>
    public static bool operator >(IpAddr a, IpAddr b) => a.CompareTo(b) > 0;

    /// <summary>Ordering.</summary>
    public static bool operator <=(IpAddr a, IpAddr b) => a.CompareTo(b) <= 0;

    /// <summary>Ordering.</summary>
    public static bool operator >=(IpAddr a, IpAddr b) => a.CompareTo(b) >= 0;

    /// <summary>The most characters <see cref="TryFormat"/> writes (an IPv6 address with an IPv4 tail).</summary>
    public const int MaxChars = 45;

    /// <summary>The usual text form; allocates, so only for reports.</summary>
    public override string ToString()
    {
        Span<char> text = stackalloc char[MaxChars];
        TryFormat(text, out int written);
        return new string(text[..written]);
    }

    /// <summary>
    /// The usual text form into <paramref name="destination"/>, empty for "no address". IPv4 digit by digit (a
    /// report of a million flows writes two a row); IPv6 as <see cref="IPAddress"/> writes it (RFC 5952).
    /// </summary>
    public bool TryFormat(Span<char> destination, out int written)
    {
        written = 0;
        if (Version == 0)
        {
            return true;
        }
        Span<byte> bytes = stackalloc byte[16];
        if (Version == 6)
        {
            BinaryPrimitives.WriteUInt64BigEndian(bytes, Hi);
            BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], Lo);
            return new IPAddress(bytes).TryFormat(destination, out written);
        }
        if (destination.Length < 15)
        {
            return false;
        }
        uint v4 = (uint)Lo;
        int n = 0;
        for (int shift = 24; shift >= 0; shift -= 8)
        {
            uint octet = (v4 >> shift) & 0xFF;
            if (octet >= 100)
            {
                destination[n++] = (char)('0' + octet / 100);
            }
            if (octet >= 10)
            {
                destination[n++] = (char)('0' + octet / 10 % 10);
            }
            destination[n++] = (char)('0' + octet % 10);
            if (shift > 0)
            {
                destination[n++] = '.';
            }
        }
        written = n;
        return true;
    }

    /// <summary>
    /// The address with a port, as people write it: <c>192.0.2.1:80</c>, <c>[2001:db8::1]:80</c>; the address alone
    /// when the port is 0 (ICMP, other protocols).
    /// </summary>
    public string ToString(ushort port) => port == 0 ? ToString() : Version == 6 ? $"[{this}]:{port}" : $"{this}:{port}";
}
