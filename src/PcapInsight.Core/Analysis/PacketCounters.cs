using PcapInsight.Core.Decoding;

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

    // Of Tunneled, the frames inside each kind of tunnel, by the kind's bit (TunnelKindNames.All's order).
    private readonly long[] _tunneledIn = new long[TunnelKindNames.All.Count];

    /// <summary>Of <see cref="Tunneled"/>, the frames inside <paramref name="kind"/> (one kind; GRE's include ERSPAN's).</summary>
    public long TunneledIn(Decoding.TunnelKinds kind) => _tunneledIn[System.Numerics.BitOperations.TrailingZeroCount((uint)kind)];

    /// <summary>Counts a frame whose datagram came out of <paramref name="kinds"/> of tunnel (out of the per-packet path: few frames are).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    internal void CountTunneled(Decoding.TunnelKinds kinds)
    {
        Tunneled++;
        for (int bit = 0; bit < _tunneledIn.Length; bit++)
        {
            _tunneledIn[bit] += ((int)kinds >> bit) & 1;
        }
    }

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
        for (int bit = 0; bit < _tunneledIn.Length; bit++)
        {
            _tunneledIn[bit] += other._tunneledIn[bit];
        }
    }
}
