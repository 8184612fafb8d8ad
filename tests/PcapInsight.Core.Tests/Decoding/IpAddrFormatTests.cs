using System.Net;
using PcapInsight.Core.Decoding;
using Xunit;

namespace PcapInsight.Core.Tests.Decoding;

/// <summary>
/// <see cref="IpAddr.TryFormat(Span{char}, out int)"/> writes IPv4 digit by digit and IPv6 word by word (flows.csv writes two addresses a
/// row, and IPAddress allocated for each IPv6 one): it must give, character for character, what
/// <see cref="IPAddress"/> writes, which it replaced. The UTF-8 overload (CSV and Parquet cells) writes the same
/// text as bytes.
/// </summary>
public class IpAddrFormatTests
{
    public static TheoryData<string> Edges() =>
    [
        "0.0.0.0", "255.255.255.255", "1.2.3.4", "10.0.0.1", "100.64.0.9", "192.0.2.1", "198.51.100.255", "203.0.113.10",
        "9.99.100.199", "2001:db8::1", "::", "::1", "::ffff:192.0.2.1", "2001:db8:0:0:1:0:0:1", "fe80::1:2:3:4",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::1.2.3.4", "::ffff:0:1.2.3.4", "fe80::5efe:192.0.2.1", "::0.0.1.0",
        "::ffff:0.0.0.0", "1::", "1:0:0:2::3", "1::2:0:0:3", "0:1:0:1:0:1:0:1", "2001:db8:0:1:1:1:1:1", "::ffff:1:2:3:4",
    ];

    [Theory]
    [MemberData(nameof(Edges))]
    public void ToString_EdgeAddresses_AsIPAddressWritesThem(string text)
    {
        IpAddr address = IpAddr.Parse(text);
        Assert.Equal(IPAddress.Parse(text).ToString(), address.ToString());
        Assert.Equal(IPAddress.Parse(text).ToString(), Utf8Text(address));
    }

    /// <summary>The address as the UTF-8 overload writes it, read back as text.</summary>
    private static string Utf8Text(IpAddr address)
    {
        Span<byte> utf8 = stackalloc byte[IpAddr.MaxChars];
        Assert.True(address.TryFormat(utf8, out int written));
        return System.Text.Encoding.ASCII.GetString(utf8[..written]);
    }

    [Fact]
    public void TryFormat_RandomAddresses_AsIPAddressWritesThem()
    {
        var random = new Random(20261126);
        Span<byte> bytes = stackalloc byte[16];
        Span<char> text = stackalloc char[IpAddr.MaxChars];
        for (int i = 0; i < 100_000; i++)
        {
            bool v6 = i % 4 == 0;
            random.NextBytes(bytes);
            IpAddr address = v6 ? IpAddr.FromIpv6(bytes) : IpAddr.FromIpv4(bytes);
            Assert.True(address.TryFormat(text, out int written));
            string expected = new IPAddress(v6 ? bytes : bytes[..4]).ToString();
            Assert.Equal(expected, text[..written].ToString());
            Assert.Equal(expected, Utf8Text(address));
        }
    }

    /// <summary>IPv6 words drawn from zero, all ones, ISATAP's 5efe and random: every run and IPv4-tail rule meets its edges.</summary>
    [Fact]
    public void TryFormat_Ipv6WithZeroRunsAndIpv4Tails_AsIPAddressWritesThem()
    {
        var random = new Random(6);
        Span<byte> bytes = stackalloc byte[16];
        Span<char> text = stackalloc char[IpAddr.MaxChars];
        ushort[] choices = [0, 0, 0, 0xFFFF, 0x5EFE, 1];
        for (int i = 0; i < 200_000; i++)
        {
            for (int w = 0; w < 8; w++)
            {
                ushort word = random.Next(3) == 0 ? (ushort)random.Next(65536) : choices[random.Next(choices.Length)];
                bytes[2 * w] = (byte)(word >> 8);
                bytes[2 * w + 1] = (byte)word;
            }
            IpAddr address = IpAddr.FromIpv6(bytes);
            Assert.True(address.TryFormat(text, out int written));
            string expected = new IPAddress(bytes).ToString();
            Assert.Equal(expected, text[..written].ToString());
            Assert.Equal(expected, Utf8Text(address));
        }
    }

    [Fact]
    public void TryFormat_NoAddress_IsEmpty_AndTooShortADestinationFails()
    {
        Assert.Equal("", default(IpAddr).ToString());
        Assert.Equal("", Utf8Text(default));
        Span<char> small = stackalloc char[6];
        Assert.False(IpAddr.Parse("192.0.2.1").TryFormat(small, out _));
        Span<byte> smallUtf8 = stackalloc byte[6];
        Assert.False(IpAddr.Parse("192.0.2.1").TryFormat(smallUtf8, out _));
        Assert.False(IpAddr.Parse("2001:db8::1").TryFormat(smallUtf8, out _));
    }
}
