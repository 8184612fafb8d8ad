namespace PcapInsight.Core.Tests.Corpus;

/// <summary>
/// Where PcapInsight's packet or flow count differs from tshark's figure in the corpus manifest, on purpose or
/// because a capability is not built yet. Each row pins our value, so a change in either direction is noticed,
/// and says why. tshark's figures: packets = capinfos (tshark also counts pcapng custom blocks as frames);
/// flows = distinct tcp.stream / udp.stream values.
/// </summary>
internal static class CorpusDifferences
{
    private const string TunnelOwnFlow =
        "tshark counts a UDP tunnel's own flow (VXLAN, Geneve, Teredo, GTP-U) beside the flows inside it; PcapInsight analyses the flows inside (--tunnel-depth 0: the tunnel's own, a test holds)";
    private const string FragmentInReassembledTunnel =
        "the IPv6 datagram inside a reassembled IPv6 tunnel datagram is itself a fragment, which is not reassembled again (one reassembly deep)";
    private const string MediaPerDirection =
        "tshark's SIP/SDP and SCCP dissectors set up one conversation per media direction (and per re-INVITE); PcapInsight keeps one bidirectional flow per 5-tuple";
    private const string IdleTimeout =
        "the capture's clock jumps by more than --flow-timeout (600 s) inside a flow: PcapInsight closes the idle flow and starts a new one, tshark never expires conversations";
    private const string StreamIndexNotConversation =
        "tshark gives a tcp.stream/udp.stream index to TCP/UDP headers that form no conversation (quoted in ICMP errors, malformed headers): its -z conv table shows our count";
    private const string UnsupportedLink =
        "the link type is not decoded yet (frames are counted and capture.unsupported_linktype is reported)";

    /// <summary>file → (what, our value, why).</summary>
    public static readonly IReadOnlyDictionary<string, (string What, long Ours, string Why)[]> ByFile =
        new Dictionary<string, (string, long, string)[]>
        {
            ["tcpdump__arcnet-rfc1201-arp-icmp-http.pcap"] = [("tcp", 0, UnsupportedLink + " (ARCNET)"), ("udp", 0, UnsupportedLink + " (ARCNET)")],
            ["arkime__gre-erspan-vxlan.pcap"] = [("udp", 0, TunnelOwnFlow)],
            ["zeek__tunnels-vxlan-encapsulated-http.pcap"] = [("udp", 0, TunnelOwnFlow)],
            ["zeek__tunnels-vxlan.pcap"] = [("udp", 0, TunnelOwnFlow + "; the frames inside are ICMP and ARP")],
            ["zeek__tunnels-geneve.pcap"] = [("udp", 0, TunnelOwnFlow + "; the frames inside are ICMP")],
            ["zeek__tunnels-Teredo.pcap"] = [("udp", 5, TunnelOwnFlow)],
            ["zeek__gtp1-incl-fragmentation.pcap"] = [("udp", 0, TunnelOwnFlow + " (GTP-U's, every datagram of it fragmented)")],
            ["peafowl__ipfrag-6in6_both.pcap"] = [("udp", 0, FragmentInReassembledTunnel)],
            ["ndpi__ip_fragmented_garbage.pcap"] = [("tcp", 2,
                "four reassembled datagrams of random bytes: we count the two whose TCP headers decode, as tshark's own conversation table does (-z conv,tcp lists 2); its stream counter numbers the other two as well")],
            ["zeek__ipv4-fragmented-3.pcap"] = [("tcp", 1,
                "the first fragment carries the TCP ports, so PcapInsight counts its flow although the datagram never completes; tshark counts conversations of reassembled datagrams only")],
            ["heplify__rtp_rtcp_sip_ipv4_udp.pcap"] = [("udp", 18, MediaPerDirection + "; 2 more are UDP headers quoted in ICMP errors")],
            ["heplify__sip_ipv4_tcp.pcap"] = [("udp", 2, MediaPerDirection)],
            ["ndpi__fax-t38-sip.pcap"] = [("udp", 5, MediaPerDirection)],
            ["ndpi__skinny-rtp-seqjump.pcap"] = [("udp", 5, MediaPerDirection)],
            ["gopacket__pcapng-le-test100-multisection.pcapng"] = [("udp", 4, IdleTimeout)],
            ["pcapplusplus__pcapng-example-eth-sll.pcapng"] = [("tcp", 16, IdleTimeout)],
            ["tcpdump__timestamp_invalid_micro.pcap"] = [("tcp", 2, IdleTimeout)],
            ["ndpi__fuzz-2006-06-26-2594-bigendian.pcap"] = [("udp", 222, IdleTimeout + "; the manifest's 219 also differs from tshark's own -z conv,udp (221)")],
            ["pcapplusplus__tcp-malformed.pcap"] = [("tcp", 0, StreamIndexNotConversation)],
            ["peafowl__truncated_tcp.pcap"] = [("tcp", 0, StreamIndexNotConversation)],
            ["pcapplusplus__tcp-reassembly.pcap"] = [("tcp", 1, StreamIndexNotConversation), ("udp", 1, StreamIndexNotConversation)],
            ["tcpdump__LINKTYPE_IPV6_invalid.pcap"] = [("udp", 1,
                "the link type says IPv6 but the datagram is IPv4: PcapInsight follows the version nibble (as tshark itself does for LINKTYPE_IPV4), tshark calls it malformed")],
            ["ndpi__fuzz-2021-10-13-nsec-cutshort.pcap"] = [("packets", 0,
                "its only record claims 524501 captured bytes, past the 262144-byte limit libpcap also applies (--max-frame-bytes): PcapInsight stops there as damage, tshark reads the partial record")],
            ["suricata__bug-6875-fuzz-bogus-caplen.pcap"] = [("packets", 1,
                "the second record header claims 1409179648 captured bytes: PcapInsight stops there as damage; tshark's reader re-interprets the header")],
            ["tcpdump__brcm-tag-linktype281.pcap"] = [("packets", 23,
                "tshark 4.0 refuses the whole file for its link type; PcapInsight reads the frames and reports capture.unsupported_linktype")],
        };

    /// <summary>
    /// Asserts that our figure equals tshark's, or, where <paramref name="table"/> lists the file and figure, that it
    /// still is the value the table pins (and still differs from tshark's), so a change either way is noticed.
    /// </summary>
    public static void AssertFigure(IReadOnlyDictionary<string, (string What, long Ours, string Why)[]> table, string file, string what, long ours, long theirs)
    {
        if (table.TryGetValue(file, out var rows) && rows.FirstOrDefault(r => r.What == what) is { What: not null } known)
        {
            Xunit.Assert.True(known.Ours == ours, $"{file} {what}: we now count {ours}, the differences table says {known.Ours} ({known.Why}); tshark: {theirs}");
            Xunit.Assert.NotEqual(theirs, ours);
            return;
        }
        Xunit.Assert.True(ours == theirs, $"{file} {what}: PcapInsight {ours}, tshark {theirs}");
    }

    /// <summary>Files PcapInsight refuses (exit 3) although tshark reads them.</summary>
    public static readonly IReadOnlyDictionary<string, string> Refused = new Dictionary<string, string>
    {
        ["pcapplusplus__solaris.snoop"] = "Solaris snoop format is not read; the message names it and says how to convert it",
    };
}
