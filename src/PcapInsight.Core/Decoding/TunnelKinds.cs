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

/// <summary>
/// The tunnel kinds' names, one table for every place that writes them: summary.json's <c>packets.tunnels</c> and
/// events.csv's details (<c>gre+erspan</c>, <c>vxlan</c>; flows.csv's <c>tunnel</c>) use <see cref="Entry.Name"/>, the
/// console and report.html <see cref="Entry.Display"/>.
/// </summary>
public static class TunnelKindNames
{
    /// <summary>One kind: its bit, its name in files, its name for a reader.</summary>
    public sealed record Entry(TunnelKinds Kind, string Name, string Display);

    /// <summary>Every kind, in the order of its bit.</summary>
    public static IReadOnlyList<Entry> All { get; } =
    [
        new(TunnelKinds.Gre, "gre", "GRE"), new(TunnelKinds.Erspan, "erspan", "ERSPAN"), new(TunnelKinds.Vxlan, "vxlan", "VXLAN"),
        new(TunnelKinds.Geneve, "geneve", "Geneve"), new(TunnelKinds.GtpU, "gtp_u", "GTP-U"), new(TunnelKinds.IpInIp, "ip_in_ip", "IP in IP"),
        new(TunnelKinds.Teredo, "teredo", "Teredo"),
    ];

    // Made once a combination (there are 128): flows.csv asks once a row.
    private static readonly string?[] Made = new string?[128];

    /// <summary>The names of the kinds in <paramref name="kinds"/>, in the order of their bits, joined by '+'.</summary>
    public static string Of(TunnelKinds kinds) => Made[(int)kinds & 127] ??= Make(kinds);

    private static string Make(TunnelKinds kinds)
    {
        string joined = string.Join('+', All.Where(k => (kinds & k.Kind) != 0).Select(k => k.Name));
        return joined.Length == 0 ? "none" : joined;
    }
}
