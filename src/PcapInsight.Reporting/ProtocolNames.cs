using System.Globalization;

namespace PcapInsight.Reporting;

/// <summary>IANA protocol numbers as the report's <c>proto</c> column names them.</summary>
public static class ProtocolNames
{
    /// <summary><c>tcp</c>, <c>udp</c>, <c>icmp</c>, <c>icmpv6</c>..., or the number.</summary>
    public static string Name(byte protocol) => protocol switch
    {
        1 => "icmp",
        2 => "igmp",
        4 => "ipip",
        6 => "tcp",
        17 => "udp",
        41 => "ipv6",
        47 => "gre",
        50 => "esp",
        51 => "ah",
        58 => "icmpv6",
        89 => "ospf",
        103 => "pim",
        112 => "vrrp",
        132 => "sctp",
        136 => "udplite",
        _ => protocol.ToString(CultureInfo.InvariantCulture),
    };
}
