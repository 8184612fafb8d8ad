using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;

namespace PcapInsight.Core.Analysis;

/// <summary>
/// One read-and-decode pass over a capture, counting what it holds (capinfos' figures and a protocol census):
/// no flow table, no analysis. It is <c>pcapinsight info</c>, and the floor the full analysis is measured against
/// (bench/compare.sh): what reading and decoding alone cost.
/// </summary>
public sealed class CaptureCensus
{
    /// <summary>Frames read.</summary>
    public long Frames { get; private set; }
    /// <summary>Bytes of the frames present in the file.</summary>
    public long CapturedBytes { get; private set; }
    /// <summary>Bytes the frames had on the wire.</summary>
    public long WireBytes { get; private set; }
    /// <summary>Capture time of the earliest and latest frame (ns since the epoch); 0 when there are none.</summary>
    public long FirstTimeNs { get; private set; }
    /// <inheritdoc cref="FirstTimeNs"/>
    public long LastTimeNs { get; private set; }
    /// <summary>Frames whose timestamp is earlier than the frame before (out of order in the file).</summary>
    public long OutOfOrderTimestamps { get; private set; }
    /// <summary>IPv4 and IPv6 packets.</summary>
    public long Ipv4 { get; private set; }
    /// <inheritdoc cref="Ipv4"/>
    public long Ipv6 { get; private set; }
    /// <summary>Transport protocols of the IP packets (first fragments and unfragmented).</summary>
    public long Tcp { get; private set; }
    /// <inheritdoc cref="Tcp"/>
    public long Udp { get; private set; }
    /// <inheritdoc cref="Tcp"/>
    public long Icmp { get; private set; }
    /// <summary>IP packets of any other protocol.</summary>
    public long OtherIp { get; private set; }
    /// <summary>IP fragments (IPv4 or IPv6).</summary>
    public long Fragments { get; private set; }
    /// <summary>Frames that are not IP (ARP, STP, ...).</summary>
    public long NotIp { get; private set; }
    /// <summary>Frames cut inside a header, or with an impossible header.</summary>
    public long Truncated { get; private set; }
    /// <inheritdoc cref="Truncated"/>
    public long Malformed { get; private set; }
    /// <summary>Frames of a link type we do not decode.</summary>
    public long UnsupportedLinkType { get; private set; }
    /// <summary>Frames whose datagram the decoder found inside a tunnel (GRE, VXLAN...), counted by what is inside.</summary>
    public long Tunneled { get; private set; }

    private DecodedPacket _packet;

    /// <summary>Counts one frame. Allocates nothing.</summary>
    public void Add(in CaptureInfo info, ReadOnlySpan<byte> frame)
    {
        if (Frames == 0)
        {
            FirstTimeNs = LastTimeNs = info.TimestampNs;
        }
        else if (info.TimestampNs < LastTimeNs)
        {
            OutOfOrderTimestamps++;
        }
        Frames++;
        CapturedBytes += info.CapturedLength;
        WireBytes += info.OriginalLength;
        FirstTimeNs = Math.Min(FirstTimeNs, info.TimestampNs);
        LastTimeNs = Math.Max(LastTimeNs, info.TimestampNs);
        FrameDecoder.Decode(frame, info.LinkType, ref _packet, Math.Max(0, info.OriginalLength - info.CapturedLength));
        if (_packet.TunnelDepth != 0)
        {
            Tunneled++;
        }
        switch (_packet.Status)
        {
            case DecodeStatus.NotIp: NotIp++; return;
            case DecodeStatus.Truncated: Truncated++; break;
            case DecodeStatus.Malformed: Malformed++; break;
            case DecodeStatus.UnsupportedLinkType: UnsupportedLinkType++; return;
        }
        if (_packet.IpVersion == 4)
        {
            Ipv4++;
        }
        else if (_packet.IpVersion == 6)
        {
            Ipv6++;
        }
        else
        {
            return;
        }
        if (_packet.IsFragment)
        {
            Fragments++;
            if (_packet.FragmentOffset != 0)
            {
                return; // a later fragment: its protocol was counted with the first
            }
        }
        switch (_packet.Protocol)
        {
            case 6: Tcp++; break;
            case 17: Udp++; break;
            case 1 or 58: Icmp++; break;
            default: OtherIp++; break;
        }
    }

    /// <summary>Reads every frame of <paramref name="source"/>.</summary>
    public static CaptureCensus Of(IPacketSource source, CancellationToken cancellation = default)
    {
        var census = new CaptureCensus();
        long n = 0;
        while (source.TryRead(out CaptureInfo info, out ReadOnlySpan<byte> data))
        {
            census.Add(info, data);
            if ((++n & 0xFFFF) == 0 && cancellation.IsCancellationRequested)
            {
                break;
            }
        }
        return census;
    }
}
