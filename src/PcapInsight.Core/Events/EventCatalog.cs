namespace PcapInsight.Core.Events;

/// <summary>
/// The one table of event names, severities, explanations and advice. Report writers, <c>--fail-on</c> and the
/// tests all read it; a released name never changes (CONTRACT.md).
/// </summary>
public static class EventCatalog
{
    private static readonly EventInfo[] ByKind = Build();

    /// <summary>Every event, in enum order.</summary>
    public static IReadOnlyList<EventInfo> All { get; } = ByKind.Where(e => e is not null && e.Kind != EventKind.None).ToArray();

    /// <summary>The row for <paramref name="kind"/>.</summary>
    public static EventInfo Get(EventKind kind) => ByKind[(int)kind];

    /// <summary>The row named <paramref name="name"/>, or null.</summary>
    public static EventInfo? Find(string name) => All.FirstOrDefault(e => e.Name == name);

    private static EventInfo[] Build()
    {
        EventInfo[] rows =
        [
            new(EventKind.CaptureTruncated, "capture.truncated", Severity.Warning,
                "The capture file ends in the middle of a record: it was cut off while being written or copied.",
                "Everything before the cut was analysed. Stop tcpdump with SIGINT (not SIGKILL) and let it flush; copy the file only after the capture has ended.",
                EventPolicy.LogAll),
            new(EventKind.CaptureDamaged, "capture.damaged", Severity.Error,
                "A record header in the capture file is impossible (a length past any limit, a block whose lengths disagree, an unreadable section): reading stopped there.",
                "Everything before the damage was analysed. The file was corrupted in storage or transfer, or written by a faulty tool; re-capture if the rest matters.",
                EventPolicy.LogAll),
            new(EventKind.CaptureSnaplenCut, "capture.snaplen_cut", Severity.Info,
                "Frames were captured shorter than they were on the wire (snapshot length): headers are intact but payload bytes are missing.",
                "Timing, window and loss analysis still work. To follow streams byte for byte, capture with 'tcpdump -s 0'.",
                EventPolicy.LogAll),
            new(EventKind.CaptureInterfaceDrops, "capture.interface_drops", Severity.Warning,
                "The capturing interface or kernel reported frames it dropped before they reached the file (pcapng interface statistics).",
                "Missing frames in the capture are not necessarily lost on the network. Capture with a bigger buffer ('tcpdump -B'), a capture filter, or write to faster storage.",
                EventPolicy.LogAll),
            new(EventKind.CaptureUnsupportedLinkType, "capture.unsupported_linktype", Severity.Warning,
                "Frames of a link type PcapInsight does not decode were counted but not analysed.",
                "Capture on an Ethernet, Linux cooked (-i any) or raw IP interface, or convert the file with a tool that strips the link header.",
                EventPolicy.LogAll),
            new(EventKind.CaptureTimeBackwards, "capture.time_backwards", Severity.Info,
                "A frame's timestamp is earlier than the frame before it (clock step, merged interfaces, or reordering in the capture path).",
                "Durations that span this point are unreliable. Capture with a monotonic clock source, or merge files with 'mergecap' so frames are in time order.",
                EventPolicy.Sampled),
            new(EventKind.CaptureMalformedPacket, "capture.malformed_packet", Severity.Warning,
                "A frame's headers are cut short or impossible (bad IP version or length, TCP header past the segment); it was counted and skipped.",
                "A handful come from capture tools or fuzzing; many point at a capture path that corrupts frames. Open the frame in Wireshark by its number.",
                EventPolicy.Sampled),
            new(EventKind.CaptureFlowTableFull, "capture.flow_table_full", Severity.Warning,
                "The flow table reached its limit; the least recently active flows were closed early to make room.",
                "Flows closed early are reported in parts. Raise --max-flows if memory allows, or lower --flow-timeout so idle flows expire sooner.",
                EventPolicy.LogAll),
            new(EventKind.CaptureEventsLimited, "capture.events_limited", Severity.Info,
                "More events occurred than --max-events allows rows for; the rest were counted (summary.json has every count) but not listed.",
                "Raise --max-events to list them all, or narrow the capture.",
                EventPolicy.LogAll),
            new(EventKind.TcpRetransmission, "tcp.retransmission", Severity.Warning,
                "A segment resent bytes that had already been sent: the first copy was lost (or its ACK was), or the sender's timer fired early.",
                "A few per thousand segments is normal on the Internet. Many point at loss on the path (check interface errors and queue drops) or, with no loss, at a retransmission timer shorter than the path's RTT.",
                EventPolicy.LogAll),
            new(EventKind.TcpFastRetransmission, "tcp.fast_retransmission", Severity.Warning,
                "A retransmission triggered by duplicate ACKs (fast retransmit, RFC 5681): the receiver reported a hole after later data arrived.",
                "Loss recovered without waiting for a timeout. Frequent fast retransmissions mean steady loss on the path; enable SACK on both ends if it is off.",
                EventPolicy.LogAll),
            new(EventKind.TcpOutOfOrder, "tcp.out_of_order", Severity.Info,
                "A segment filled a gap shortly after later data: the network reordered it before the capture point.",
                "Mild reordering is harmless; heavy reordering looks like loss to the sender (duplicate ACKs, needless fast retransmits). Look for ECMP or link bonding that splits one flow over several paths.",
                EventPolicy.Sampled),
            new(EventKind.TcpLostSegment, "tcp.lost_segment", Severity.Warning,
                "A segment started past the highest sequence number seen: earlier bytes of the stream were not captured (lost before the capture point, or dropped by the capture).",
                "If the sender later retransmits the gap, the loss was on the path; if it never does, the capture missed the segment (check capture.interface_drops).",
                EventPolicy.Sampled),
            new(EventKind.TcpDupAck, "tcp.dup_ack", Severity.Info,
                "An ACK repeated the previous acknowledgment and window while data was outstanding: the receiver is missing a segment and got a later one.",
                "Three in a row trigger fast retransmit. Many without retransmissions point at reordering.",
                EventPolicy.Sampled),
            new(EventKind.TcpKeepAlive, "tcp.keep_alive", Severity.Info,
                "A keep-alive probe: 0 or 1 byte one below the next sequence number, sent on an idle connection (SO_KEEPALIVE or an application's own).",
                "Expected on idle connections with SO_KEEPALIVE; tune TCP_KEEPIDLE, TCP_KEEPINTVL and TCP_KEEPCNT to detect dead peers sooner or to keep NAT state alive.",
                EventPolicy.Sampled),
            new(EventKind.TcpReset, "tcp.reset", Severity.Warning,
                "A segment with RST aborted the connection (refused, closed with unread data, SO_LINGER {1, 0}, or a middlebox).",
                "A reset right after SYN means nothing listens on the port; one after data often means the peer closed with unread data or set SO_LINGER {1, 0}.",
                EventPolicy.LogAll),
            new(EventKind.TcpReusedPort, "tcp.reused_port", Severity.Info,
                "A SYN with a new initial sequence number reused the 5-tuple of an earlier connection: a new connection begins (the earlier one is closed as 'reused').",
                "Normal for clients that bind fixed ports or cycle through few ephemeral ports. Reuse while the old connection is in TIME_WAIT elsewhere can draw RSTs: widen net.ipv4.ip_local_port_range or reuse connections.",
                EventPolicy.LogAll),
            new(EventKind.CaptureOffloadSupersegment, "capture.offload_supersegment", Severity.Info,
                "Segments larger than the MSS the peer announced: the capturing host used segmentation offload (TSO/GSO/GRO), so the capture shows what the stack handed the NIC, not the frames on the wire.",
                "Counts and bytes stay right, but timing and per-segment figures at this host are coarse. To see wire frames, capture elsewhere or turn offloads off ('ethtool -K IFACE tso off gso off gro off').",
                EventPolicy.LogAll),
            new(EventKind.TcpSpuriousRetransmission, "tcp.spurious_retransmission", Severity.Warning,
                "A retransmission of bytes the receiver had already acknowledged: the sender resent data that had arrived (its timer fired before the ACK came back, or the ACK was lost).",
                "Occasional ones follow a lost ACK. Many mean the retransmission timeout is shorter than the real RTT (a sudden RTT rise, bufferbloat, or a too-low tcp_rto_min / TCP_USER_TIMEOUT tuning); check the RTT figures and the path's queues.",
                EventPolicy.LogAll),
            new(EventKind.TcpAckUnseenSegment, "tcp.ack_unseen_segment", Severity.Info,
                "An ACK acknowledged data the capture never saw: the capture missed segments of the other direction (asymmetric routing, capture drops, or a capture started mid-flight).",
                "The loss is in the capture, not on the network. Capture where both directions pass (not one leg of an asymmetric route) and check capture.interface_drops.",
                EventPolicy.Sampled),
            new(EventKind.TcpZeroWindow, "tcp.zero_window", Severity.Warning,
                "The receiver's window was closed (zero) for duration_ms: its socket receive buffer was full because the application did not read fast enough, and the sender had to stop and probe.",
                "The receiving application's read loop is the cause: read sooner and more per call, move slow work off the thread that reads, or read in a separate thread. A larger SO_RCVBUF only delays the moment the buffer fills (Linux autotunes it unless SO_RCVBUF is set).",
                EventPolicy.LogAll),
            new(EventKind.TcpZeroWindowProbe, "tcp.zero_window_probe", Severity.Info,
                "The sender probed a closed window: one byte at the next sequence number (Windows, BSD) or no data one below it (Linux; tshark calls this form a keep-alive).",
                "Probes back off exponentially while the window stays closed; many probes mean a long stall at the receiver (see tcp.zero_window).",
                EventPolicy.Sampled),
            new(EventKind.TcpWindowFull, "tcp.window_full", Severity.Info,
                "A segment reached the right edge of the receiver's advertised window: the sender could send nothing more until the next ACK.",
                "Occasional ones are normal. Many in a bulk transfer mean the receiver's window, not the network, limits throughput: check that window scaling is on, that the receiving application reads promptly, and that SO_RCVBUF is not pinned small (setting it disables autotuning).",
                EventPolicy.Sampled),
            new(EventKind.TcpWindowUpdate, "tcp.window_update", Severity.Info,
                "A pure ACK whose only news is a new window: the receiver's application read data and freed buffer space.",
                "Normal. A window update right after a zero window is the receiver reopening; many small updates mean the application reads in small pieces.",
                EventPolicy.Sampled),
            new(EventKind.TcpWindowShrink, "tcp.window_shrink", Severity.Warning,
                "The receiver moved the right edge of its window to the left (by more than one scale unit): data the sender was allowed to send is no longer allowed.",
                "RFC 9293 tells receivers not to do this; it comes from stacks that shrink SO_RCVBUF on a live socket or from middleboxes rewriting windows. Segments sent into the withdrawn space may be dropped and retransmitted.",
                EventPolicy.Sampled),
            new(EventKind.TcpDelayedAck, "tcp.delayed_ack", Severity.Info,
                "A pure ACK held back by the receiver's delayed-ACK timer (duration_ms, after the path's round trip): it waited for data to ride on, or for a second segment, that did not come.",
                "Harmless for bulk transfers. With small request/response writes it combines with Nagle into stalls (see tcp.nagle_stall); TCP_QUICKACK (Linux) on the receiver sends the ACK at once.",
                EventPolicy.Sampled),
            new(EventKind.TcpNagleStall, "tcp.nagle_stall", Severity.Warning,
                "A write waited for a delayed ACK: the writer had one small segment unacknowledged, so Nagle's algorithm held its next data until the peer's ACK, which the peer's delayed-ACK timer held for duration_ms.",
                "Coalesce the writes into one (build the whole message in one buffer, or use writev/sendmsg); or set TCP_NODELAY on the writer (more small packets on the wire); or cork around a multi-part write (TCP_CORK / MSG_MORE on Linux, TCP_NOPUSH on BSD). On the receiving side, TCP_QUICKACK (Linux) shortens the wait but must be set again after each read.",
                EventPolicy.LogAll),
        ];
        var byKind = new EventInfo[Enum.GetValues<EventKind>().Length];
        foreach (EventInfo row in rows)
        {
            byKind[(int)row.Kind] = row;
        }
        byKind[0] = new EventInfo(EventKind.None, "none.none", Severity.Info, "", "", EventPolicy.CountOnly);
        return byKind;
    }
}
