namespace PcapInsight.Core.Events;

/// <summary>
/// Every event PcapInsight can report. Names, severities and explanations live in <see cref="EventCatalog"/>;
/// adding one means one member here, one catalogue row and one test that makes it happen (Suricata's
/// <c>decode-events.h</c> / <c>decode-events.c</c> pairing).
/// </summary>
public enum EventKind : ushort
{
    /// <summary>No event.</summary>
    None = 0,
    /// <summary><c>capture.truncated</c></summary>
    CaptureTruncated,
    /// <summary><c>capture.damaged</c></summary>
    CaptureDamaged,
    /// <summary><c>capture.snaplen_cut</c></summary>
    CaptureSnaplenCut,
    /// <summary><c>capture.interface_drops</c></summary>
    CaptureInterfaceDrops,
    /// <summary><c>capture.unsupported_linktype</c></summary>
    CaptureUnsupportedLinkType,
    /// <summary><c>capture.time_backwards</c></summary>
    CaptureTimeBackwards,
    /// <summary><c>capture.malformed_packet</c></summary>
    CaptureMalformedPacket,
    /// <summary><c>capture.flow_table_full</c></summary>
    CaptureFlowTableFull,
    /// <summary><c>capture.events_limited</c></summary>
    CaptureEventsLimited,
    /// <summary><c>tcp.retransmission</c></summary>
    TcpRetransmission,
    /// <summary><c>tcp.fast_retransmission</c></summary>
    TcpFastRetransmission,
    /// <summary><c>tcp.out_of_order</c></summary>
    TcpOutOfOrder,
    /// <summary><c>tcp.lost_segment</c></summary>
    TcpLostSegment,
    /// <summary><c>tcp.dup_ack</c></summary>
    TcpDupAck,
    /// <summary><c>tcp.keep_alive</c></summary>
    TcpKeepAlive,
    /// <summary><c>tcp.reset</c></summary>
    TcpReset,
    /// <summary><c>tcp.reused_port</c></summary>
    TcpReusedPort,
    /// <summary><c>capture.offload_supersegment</c></summary>
    CaptureOffloadSupersegment,
    /// <summary><c>tcp.spurious_retransmission</c></summary>
    TcpSpuriousRetransmission,
    /// <summary><c>tcp.ack_unseen_segment</c></summary>
    TcpAckUnseenSegment,
    /// <summary><c>tcp.zero_window</c></summary>
    TcpZeroWindow,
    /// <summary><c>tcp.zero_window_probe</c></summary>
    TcpZeroWindowProbe,
    /// <summary><c>tcp.window_full</c></summary>
    TcpWindowFull,
    /// <summary><c>tcp.window_update</c></summary>
    TcpWindowUpdate,
    /// <summary><c>tcp.window_shrink</c></summary>
    TcpWindowShrink,
    /// <summary><c>tcp.delayed_ack</c></summary>
    TcpDelayedAck,
    /// <summary><c>tcp.nagle_stall</c></summary>
    TcpNagleStall,
    /// <summary><c>ip.fragmented</c></summary>
    IpFragmented,
    /// <summary><c>ip.frag_incomplete</c></summary>
    IpFragIncomplete,
    /// <summary><c>ip.frag_overlap</c></summary>
    IpFragOverlap,
    /// <summary><c>ip.frag_overlap_conflict</c></summary>
    IpFragOverlapConflict,
    /// <summary><c>ip.frag_tiny</c></summary>
    IpFragTiny,
    /// <summary><c>ip.frag_oversize</c></summary>
    IpFragOversize,
    /// <summary><c>ip.frag_df</c></summary>
    IpFragDf,
    /// <summary><c>ip.tcp_fragmented</c></summary>
    IpTcpFragmented,
    /// <summary><c>capture.frag_table_full</c></summary>
    CaptureFragTableFull,
    /// <summary><c>ip.pmtu_icmp</c></summary>
    IpPmtuIcmp,
    /// <summary><c>ip.pmtu_blackhole</c></summary>
    IpPmtuBlackHole,
    /// <summary><c>udp.seq_gap</c></summary>
    UdpSeqGap,
    /// <summary><c>dns.unanswered</c></summary>
    DnsUnanswered,
    /// <summary><c>udp.rcvbuf_overflow</c></summary>
    UdpRcvbufOverflow,
    /// <summary><c>udp.oversized</c></summary>
    UdpOversized,
    /// <summary><c>udp.fragment_loss</c></summary>
    UdpFragmentLoss,
    /// <summary><c>ip.tunnel_fragmented</c></summary>
    IpTunnelFragmented,
}
