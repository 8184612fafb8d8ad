using System.Net;
using PcapInsight.Core.Decoding;
using Xunit;

namespace PcapInsight.Core.Tests.Decoding;

/// <summary>
/// <see cref="IpAddr.TryFormat"/> writes IPv4 digit by digit (flows.csv writes two addresses a row): it must give,
/// character for character, what <see cref="IPAddress"/> writes, which it replaced.
/// </summary>
public class IpAddrFormatTests
{
    public static TheoryData<string> Edges() =>
    [
        "0.0.0.0", "255.255.255.255", "1.2.3.4", "10.0.0.1", "100.64.0.9", "192.0.2.1", "198.51.100.255", "203.0.113.10",
        "9.99.100.199", "2001:db8::1", "::", "::1", "::ffff:192.0.2.1", "2001:db8:0:0:1:0:0:1", "fe80::1:2:3:4",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    ];

    [Theory]
    [MemberData(nameof(Edges))]
    public void ToString_EdgeAddresses_AsIPAddressWritesThem(string text)
    {
        IpAddr address = IpAddr.Parse(text);
        Assert.Equal(IPAddress.Parse(text).ToString(), address.ToString());
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
            Assert.Equal(new IPAddress(v6 ? bytes : bytes[..4]).ToString(), text[..written].ToString());
        }
    }

    [Fact]
    public void TryFormat_NoAddress_IsEmpty_AndTooShortADestinationFails()
    {
        Assert.Equal("", default(IpAddr).ToString());
        Span<char> small = stackalloc char[6];
        Assert.False(IpAddr.Parse("192.0.2.1").TryFormat(small, out _));
    }
}
