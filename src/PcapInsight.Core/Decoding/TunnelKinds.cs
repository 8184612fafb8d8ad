namespace PcapInsight.Core.Decoding;

/// <summary>The encapsulations the decoder opens to reach the datagram inside (<see cref="DecodedPacket.Tunnels"/>).</summary>
[Flags]
public enum TunnelKinds : byte
{
    /// <summary>No tunnel.</summary>
    None = 0,
    /// <summary>GRE (IP protocol 47): IPv4, IPv6, Ethernet (transparent bridging), MPLS, PPP (PPTP's enhanced GRE) or 802.11 (Aruba's) inside.</summary>
    Gre = 1,
    /// <summary>ERSPAN types I, II and III: a switch's mirrored Ethernet frames, inside GRE.</summary>
    Erspan = 2,
    /// <summary>VXLAN (UDP port 4789, or Linux's default 8472 with a strict header): Ethernet inside.</summary>
    Vxlan = 4,
    /// <summary>Geneve (UDP port 6081): Ethernet or IP inside.</summary>
    Geneve = 8,
    /// <summary>GTP-U (UDP port 2152): a mobile subscriber's IP datagrams.</summary>
    GtpU = 16,
    /// <summary>IP in IP (IP protocol 4 or 41): IPv4 or IPv6 inside IPv4 or IPv6 (6in4, 4in6, 6in6...).</summary>
    IpInIp = 32,
    /// <summary>Teredo (UDP port 3544): IPv6 inside UDP.</summary>
    Teredo = 64,
}

/// <summary>How tunnel kinds are written in events.csv's details: <c>gre+erspan</c>, <c>vxlan</c>.</summary>
public static class TunnelKindNames
{
    // Made once a combination (there are 128): flows.csv asks once a row.
    private static readonly string?[] Made = new string?[128];

    /// <summary>The kinds in <paramref name="kinds"/>, outermost first as they usually nest, joined by '+'.</summary>
    public static string Of(TunnelKinds kinds) => Made[(int)kinds & 127] ??= Make(kinds);

    private static string Make(TunnelKinds kinds)
    {
        var names = new List<string>(2);
        foreach ((TunnelKinds kind, string name) in Names)
        {
            if ((kinds & kind) != 0)
            {
                names.Add(name);
            }
        }
        return names.Count == 0 ? "none" : string.Join('+', names);
    }

    private static readonly (TunnelKinds Kind, string Name)[] Names =
    [
        (TunnelKinds.Gre, "gre"), (TunnelKinds.Erspan, "erspan"), (TunnelKinds.IpInIp, "ip_in_ip"), (TunnelKinds.Vxlan, "vxlan"),
        (TunnelKinds.Geneve, "geneve"), (TunnelKinds.GtpU, "gtp_u"), (TunnelKinds.Teredo, "teredo"),
    ];
}
