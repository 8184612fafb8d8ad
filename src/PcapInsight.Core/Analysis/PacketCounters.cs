namespace PcapInsight.Core.Analysis;

/// <summary>What the decoder saw, frame by frame, summed over the capture.</summary>
public sealed class PacketCounters
{
    /// <summary>Frames read.</summary>
    public long Frames { get; internal set; }

    /// <summary>Sum of original (wire) frame lengths.</summary>
    public long WireBytes { get; internal set; }

    /// <summary>Sum of captured lengths.</summary>
    public long CapturedBytes { get; internal set; }

    /// <summary>IPv4 packets.</summary>
    public long Ipv4 { get; internal set; }

    /// <summary>IPv6 packets.</summary>
    public long Ipv6 { get; internal set; }

    /// <summary>TCP segments with a decoded header.</summary>
    public long Tcp { get; internal set; }

    /// <summary>UDP datagrams (or first fragments) with a decoded header.</summary>
    public long Udp { get; internal set; }

    /// <summary>ICMP and ICMPv6 messages.</summary>
    public long Icmp { get; internal set; }

    /// <summary>IP packets of other protocols.</summary>
    public long OtherIp { get; internal set; }

    /// <summary>IP fragments (any, first ones included).</summary>
    public long Fragments { get; internal set; }

    /// <summary>Fragments without ports (after the first, or a first one too small): not attributed to a flow before reassembly.</summary>
    public long NonFirstFragments { get; internal set; }

    /// <summary>Frames that are not IP (ARP, STP, LLDP...).</summary>
    public long NotIp { get; internal set; }

    /// <summary>Frames whose headers were cut short.</summary>
    public long Truncated { get; internal set; }

    /// <summary>Frames with impossible headers.</summary>
    public long Malformed { get; internal set; }

    /// <summary>Frames of link types the decoder does not read.</summary>
    public long UnsupportedLinkType { get; internal set; }

    /// <summary>Frames whose captured length is below their wire length.</summary>
    public long SnaplenCut { get; internal set; }

    /// <summary>Frames whose timestamp is before the previous frame's.</summary>
    public long TimeBackwards { get; internal set; }

    /// <summary>Frames whose datagram was analysed from inside a tunnel (a frame inside two tunnels counts once).</summary>
    public long Tunneled { get; internal set; }

    /// <summary>Of <see cref="Tunneled"/>, the frames inside GRE (ERSPAN's included).</summary>
    public long Gre { get; internal set; }

    /// <summary>Of <see cref="Tunneled"/>, the frames a switch mirrored with ERSPAN.</summary>
    public long Erspan { get; internal set; }

    /// <summary>Of <see cref="Tunneled"/>, the frames inside VXLAN.</summary>
    public long Vxlan { get; internal set; }

    /// <summary>Of <see cref="Tunneled"/>, the frames inside Geneve.</summary>
    public long Geneve { get; internal set; }

    /// <summary>Of <see cref="Tunneled"/>, the frames inside GTP-U.</summary>
    public long GtpU { get; internal set; }

    /// <summary>Of <see cref="Tunneled"/>, the frames of IP in IP (4in4, 6in4, 4in6, 6in6).</summary>
    public long IpInIp { get; internal set; }

    /// <summary>Of <see cref="Tunneled"/>, the frames inside Teredo.</summary>
    public long Teredo { get; internal set; }

    /// <summary>Counts a frame whose datagram came out of <paramref name="kinds"/> of tunnel (out of the per-packet path: few frames are).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    internal void CountTunneled(Decoding.TunnelKinds kinds)
    {
        Tunneled++;
        Gre += (kinds & Decoding.TunnelKinds.Gre) != 0 ? 1 : 0;
        Erspan += (kinds & Decoding.TunnelKinds.Erspan) != 0 ? 1 : 0;
        Vxlan += (kinds & Decoding.TunnelKinds.Vxlan) != 0 ? 1 : 0;
        Geneve += (kinds & Decoding.TunnelKinds.Geneve) != 0 ? 1 : 0;
        GtpU += (kinds & Decoding.TunnelKinds.GtpU) != 0 ? 1 : 0;
        IpInIp += (kinds & Decoding.TunnelKinds.IpInIp) != 0 ? 1 : 0;
        Teredo += (kinds & Decoding.TunnelKinds.Teredo) != 0 ? 1 : 0;
    }

    /// <summary>The tunnels' counts by name, as summary.json's <c>packets.tunnels</c> writes them.</summary>
    public IEnumerable<(string Name, long Frames)> TunnelCounts() =>
    [
        ("gre", Gre), ("erspan", Erspan), ("vxlan", Vxlan), ("geneve", Geneve), ("gtp_u", GtpU), ("ip_in_ip", IpInIp), ("teredo", Teredo),
    ];

    /// <summary>How a tunnel of <see cref="TunnelCounts"/> is written for a reader: GRE, ERSPAN, VXLAN, Geneve, GTP-U, IP in IP, Teredo.</summary>
    public static string TunnelName(string name) => name switch
    {
        "gre" => "GRE",
        "erspan" => "ERSPAN",
        "vxlan" => "VXLAN",
        "geneve" => "Geneve",
        "gtp_u" => "GTP-U",
        "ip_in_ip" => "IP in IP",
        "teredo" => "Teredo",
        _ => name,
    };

    /// <summary>Adds <paramref name="other"/>'s counts (a shard's, whose frames this one's are not).</summary>
    internal void Add(PacketCounters other)
    {
        Frames += other.Frames;
        WireBytes += other.WireBytes;
        CapturedBytes += other.CapturedBytes;
        Ipv4 += other.Ipv4;
        Ipv6 += other.Ipv6;
        Tcp += other.Tcp;
        Udp += other.Udp;
        Icmp += other.Icmp;
        OtherIp += other.OtherIp;
        Fragments += other.Fragments;
        NonFirstFragments += other.NonFirstFragments;
        NotIp += other.NotIp;
        Truncated += other.Truncated;
        Malformed += other.Malformed;
        UnsupportedLinkType += other.UnsupportedLinkType;
        SnaplenCut += other.SnaplenCut;
        TimeBackwards += other.TimeBackwards;
        Tunneled += other.Tunneled;
        Gre += other.Gre;
        Erspan += other.Erspan;
        Vxlan += other.Vxlan;
        Geneve += other.Geneve;
        GtpU += other.GtpU;
        IpInIp += other.IpInIp;
        Teredo += other.Teredo;
    }
}
