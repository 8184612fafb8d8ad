namespace PcapInsight.Core.Capture;

/// <summary>
/// A LINKTYPE_ value from the tcpdump.org registry: how the bytes of a frame begin.
/// Only the values the decoder understands are named; any other 16-bit value is carried as is.
/// </summary>
public enum LinkType : ushort
{
    /// <summary>BSD loopback: a 4-byte address family in the capturing host's byte order.</summary>
    Null = 0,
    /// <summary>Ethernet II / 802.3.</summary>
    Ethernet = 1,
    /// <summary>PPP with the HDLC-like framing of RFC 1662 (or without address/control).</summary>
    Ppp = 9,
    /// <summary>FDDI with 802.2 LLC.</summary>
    Fddi = 10,
    /// <summary>Raw IP on some BSDs (DLT_RAW = 12 there).</summary>
    RawBsd12 = 12,
    /// <summary>Raw IP, version from the first nibble.</summary>
    Raw = 101,
    /// <summary>Cisco HDLC.</summary>
    CiscoHdlc = 104,
    /// <summary>IEEE 802.11 (Wi-Fi) frames, as a monitor-mode interface captures them.</summary>
    Ieee80211 = 105,
    /// <summary>IEEE 802.11 frames after a radiotap header (the radio's metadata).</summary>
    Ieee80211Radiotap = 127,
    /// <summary>Per-Packet Information: a header naming the link type after it (usually 802.11).</summary>
    Ppi = 192,
    /// <summary>OpenBSD loopback: a 4-byte address family in network byte order.</summary>
    Loop = 108,
    /// <summary>Linux "cooked" capture, version 1 (16-byte header).</summary>
    LinuxSll = 113,
    /// <summary>Linux netfilter NFLOG: TLVs, one of which holds the IP datagram.</summary>
    Nflog = 239,
    /// <summary>IP over InfiniBand: two 20-byte GIDs, an EtherType and 2 reserved bytes (tcpdump's layout).</summary>
    IpOverInfiniband = 242,
    /// <summary>Apple PKTAP: a metadata header naming the inner link type.</summary>
    Pktap = 258,
    /// <summary>Raw IPv4.</summary>
    Ipv4 = 228,
    /// <summary>Raw IPv6.</summary>
    Ipv6 = 229,
    /// <summary>Linux "cooked" capture, version 2 (20-byte header).</summary>
    LinuxSll2 = 276,
}

/// <summary>Names for link types, as the tcpdump.org registry spells them.</summary>
public static class LinkTypeNames
{
    /// <summary>A short upper-case name such as <c>ETHERNET</c>, or <c>LINKTYPE_123</c> when unknown.</summary>
    public static string Name(LinkType link) => (ushort)link switch
    {
        0 => "NULL",
        1 => "ETHERNET",
        9 => "PPP",
        10 => "FDDI",
        12 => "RAW",
        101 => "RAW",
        104 => "C_HDLC",
        105 => "IEEE802_11",
        108 => "LOOP",
        113 => "LINUX_SLL",
        127 => "IEEE802_11_RADIOTAP",
        192 => "PPI",
        129 => "ARCNET_LINUX",
        160 => "USER13",
        228 => "IPV4",
        229 => "IPV6",
        231 => "DBUS",
        239 => "NFLOG",
        242 => "IPOIB",
        253 => "NETLINK",
        258 => "PKTAP",
        276 => "LINUX_SLL2",
        281 => "DSA_TAG_BRCM",
        _ => "LINKTYPE_" + ((ushort)link).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>"1:ETHERNET" form, as the corpus manifest writes it.</summary>
    public static string NumberAndName(LinkType link) =>
        ((ushort)link).ToString(System.Globalization.CultureInfo.InvariantCulture) + ":" + Name(link);

    /// <summary>Each link type in <see cref="NumberAndName"/> form, separated by ", ".</summary>
    public static string NumbersAndNames(IReadOnlyList<LinkType> links)
    {
        // A loop, not LINQ's Select over the list: that is framework code over an enum of ours, compiled at run time.
        var names = new string[links.Count];
        for (int i = 0; i < names.Length; i++)
        {
            names[i] = NumberAndName(links[i]);
        }
        return string.Join(", ", names);
    }
}
