using System.Buffers.Binary;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Events;
using PcapInsight.Core.Flows;

namespace PcapInsight.Core.Analysis;

/// <summary>Path MTU discovery: ICMP fragmentation-needed and packet-too-big, tied to the flow whose packet they quote.</summary>
public sealed partial class CaptureAnalyzer
{
    private void OnPathMtuMessage(ReadOnlySpan<byte> frame, in DecodedPacket p, in CaptureInfo info)
    {
        int quotedAt = p.TransportOffset + 8;
        ReadOnlySpan<byte> quoted = quotedAt < frame.Length ? frame[quotedAt..] : [];
        Flow? flow = null;
        bool readable = TryReadQuoted(quoted, p, out DecodedPacket q);
        if (readable)
        {
            flow = _flows.Find(q, out _);
            if (flow is not null)
            {
                flow.PmtuMessages++;
                flow.LowestPmtu = flow.LowestPmtu == 0 ? p.IcmpMtu : Math.Min(flow.LowestPmtu, p.IcmpMtu);
            }
        }
        if (!_events.BuildRow(EventKind.IpPmtuIcmp, info.TimestampNs))
        {
            return;   // sampled: a flood of these makes no text for rows not kept
        }
        string what = readable ? $"{ProtocolName(q.Protocol)} {q.Src.ToString(q.SrcPort)}>{q.Dst.ToString(q.DstPort)}" : "unreadable";
        _events.Report(new AnalysisEvent(EventKind.IpPmtuIcmp, info.TimestampNs, info.FrameNumber, info.FileIndex, flow?.Id ?? 0,
            p.Src, 0, p.Dst, 0, -1, $"mtu={p.IcmpMtu} quoted={what}{(flow is null ? " flow=not_seen" : "")}"));
    }

    /// <summary>The packet an ICMP error in <paramref name="frame"/> quotes, as far as it names a flow (for the shard of that flow).</summary>
    internal static bool TryReadQuotedFlow(ReadOnlySpan<byte> frame, in DecodedPacket p, out DecodedPacket quoted)
    {
        int quotedAt = p.TransportOffset + 8;
        return TryReadQuoted(quotedAt < frame.Length ? frame[quotedAt..] : [], p, out quoted);
    }

    /// <summary>
    /// Reads the addresses, protocol and ports of the packet an ICMP error quotes (its IP header and at least the
    /// first 8 bytes of its transport header). The quoted packet keeps the outer frame's VLAN, as its flow does.
    /// </summary>
    private static bool TryReadQuoted(ReadOnlySpan<byte> quoted, in DecodedPacket outer, out DecodedPacket q)
    {
        q = default;
        q.VlanId = outer.VlanId;
        if (quoted.Length < 1)
        {
            return false;
        }
        int transport;
        if (quoted[0] >> 4 == 4 && quoted.Length >= 20)
        {
            transport = (quoted[0] & 0x0F) * 4;
            q.IpVersion = 4;
            q.Protocol = quoted[9];
            q.Src = IpAddr.FromIpv4(quoted[12..]);
            q.Dst = IpAddr.FromIpv4(quoted[16..]);
        }
        else if (quoted[0] >> 4 == 6 && quoted.Length >= 40)
        {
            q.IpVersion = 6;
            q.Protocol = quoted[6];
            q.Src = IpAddr.FromIpv6(quoted[8..]);
            q.Dst = IpAddr.FromIpv6(quoted[24..]);
            transport = 40;
            if (q.Protocol == 44 && quoted.Length >= 48)
            {
                q.Protocol = quoted[40];   // a fragment header: the transport follows it
                transport = 48;
            }
        }
        else
        {
            return false;
        }
        if (q.Protocol is 6 or 17 && quoted.Length >= transport + 4)
        {
            q.SrcPort = BinaryPrimitives.ReadUInt16BigEndian(quoted[transport..]);
            q.DstPort = BinaryPrimitives.ReadUInt16BigEndian(quoted[(transport + 2)..]);
            q.HasPorts = true;
        }
        return true;
    }

    private static string ProtocolName(byte protocol) => protocol switch { 6 => "tcp", 17 => "udp", 1 => "icmp", 58 => "icmpv6", _ => protocol.ToString(System.Globalization.CultureInfo.InvariantCulture) };
}
