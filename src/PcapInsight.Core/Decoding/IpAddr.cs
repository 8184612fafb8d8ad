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

    /// <summary>The most characters <see cref="TryFormat(Span{char}, out int)"/> writes (an IPv6 address with an IPv4 tail).</summary>
    public const int MaxChars = 45;

    /// <summary>The usual text form; allocates, so only for reports.</summary>
    public override string ToString()
    {
        Span<byte> text = stackalloc byte[MaxChars];
        TryFormat(text, out int written);
        return System.Text.Encoding.ASCII.GetString(text[..written]);
    }

    /// <summary>
    /// The usual text form into <paramref name="destination"/>, empty for "no address". IPv4 digit by digit (a
    /// report of a million flows writes two a row); IPv6 word by word, as <see cref="IPAddress"/> writes it (RFC 5952).
    /// </summary>
    public bool TryFormat(Span<char> destination, out int written)
    {
        Span<byte> ascii = stackalloc byte[MaxChars];
        if (!TryFormat(ascii[..Math.Min(MaxChars, destination.Length)], out written))
        {
            return false;
        }
        System.Text.Ascii.ToUtf16(ascii[..written], destination, out _);
        return true;
    }

    /// <summary>
    /// As <see cref="TryFormat(Span{char}, out int)"/>, as UTF-8 (the text is ASCII): what the CSV and Parquet writers
    /// put in their buffers. The text is made as bytes and the UTF-16 form widened from them: flows.csv writes two
    /// addresses a row, and narrowing a UTF-16 text for each was part of what its formatting threads spent in
    /// Ascii.FromUtf16 (bench/RESULTS.md).
    /// </summary>
    public bool TryFormat(Span<byte> destination, out int written)
    {
        written = 0;
        if (Version == 0)
        {
            return true;
        }
        if (Version == 6)
        {
            return TryFormatIpv6(destination, out written);
        }
        if (destination.Length < 15)
        {
            return false;
        }
        return TryFormatIpv4((uint)Lo, destination, out written);
    }

    /// <summary>
    /// IPv6 as <see cref="IPAddress"/> writes it (RFC 5952, with .NET's rules for an IPv4 tail), without making one:
    /// lowercase hex words without leading zeros, the longest run of two or more zero words (the first of equal
    /// runs) as "::", and the last 32 bits as a dotted IPv4 address for ::a.b.c.d, ::ffff:a.b.c.d, ::ffff:0:a.b.c.d
    /// (the first six words otherwise zero and the seventh not) and ISATAP's ...:0:5efe:a.b.c.d.
    /// </summary>
    private bool TryFormatIpv6(Span<byte> destination, out int written)
    {
        written = 0;
        if (destination.Length < MaxChars)
        {
            return false;
        }
        Span<ushort> words = stackalloc ushort[8];
        for (int i = 0; i < 4; i++)
        {
            words[i] = (ushort)(Hi >> (48 - 16 * i));
            words[4 + i] = (ushort)(Lo >> (48 - 16 * i));
        }
        bool ipv4Tail = (words[0] == 0 && words[1] == 0 && words[2] == 0 && words[3] == 0 && words[6] != 0
                && ((words[4] == 0 && (words[5] == 0 || words[5] == 0xFFFF)) || (words[4] == 0xFFFF && words[5] == 0)))
            || (words[4] == 0 && words[5] == 0x5EFE);
        int hexWords = ipv4Tail ? 6 : 8;
        // The longest run of zero words (at least two), the first of equal runs: compressed to "::".
        int runStart = -1, runLength = 0;
        for (int i = 0; i < hexWords;)
        {
            if (words[i] != 0)
            {
                i++;
                continue;
            }
            int j = i;
            while (j < hexWords && words[j] == 0)
            {
                j++;
            }
            if (j - i > runLength && j - i >= 2)
            {
                runStart = i;
                runLength = j - i;
            }
            i = j;
        }
        int n = 0;
        for (int i = 0; i < hexWords; i++)
        {
            if (i == runStart)
            {
                destination[n++] = (byte)':';
                destination[n++] = (byte)':';
                i += runLength - 1;
                continue;
            }
            if (i > 0 && i != runStart + runLength)
            {
                destination[n++] = (byte)':';
            }
            ushort word = words[i];
            bool started = false;
            for (int shift = 12; shift >= 0; shift -= 4)
            {
                int digit = (word >> shift) & 0xF;
                if (digit != 0 || started || shift == 0)
                {
                    destination[n++] = (byte)(digit < 10 ? '0' + digit : 'a' + digit - 10);
                    started = true;
                }
            }
        }
        if (ipv4Tail)
        {
            if (runStart + runLength != hexWords)
            {
                destination[n++] = (byte)':';
            }
            TryFormatIpv4((uint)Lo, destination[n..], out int tail);
            n += tail;
        }
        written = n;
        return true;
    }

    private static bool TryFormatIpv4(uint v4, Span<byte> destination, out int written)
    {
        int n = 0;
        for (int shift = 24; shift >= 0; shift -= 8)
        {
            uint octet = (v4 >> shift) & 0xFF;
            if (octet >= 100)
            {
                destination[n++] = (byte)('0' + octet / 100);
            }
            if (octet >= 10)
            {
                destination[n++] = (byte)('0' + octet / 10 % 10);
            }
            destination[n++] = (byte)('0' + octet % 10);
            if (shift > 0)
            {
                destination[n++] = (byte)'.';
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
