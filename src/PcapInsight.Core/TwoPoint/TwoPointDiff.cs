using PcapInsight.Core.Capture;
using PcapInsight.Core.Collections;
using PcapInsight.Core.Decoding;

namespace PcapInsight.Core.TwoPoint;

/// <summary>
/// One packet of a capture, as the comparison knows it: the fields that identify it in the report, kept as numbers
/// (<see cref="Describe"/> writes them out only for the packets listed).
/// </summary>
/// <param name="Frame">1-based frame number in its file.</param>
/// <param name="TimeNs">Capture time.</param>
/// <param name="Ttl">TTL / hop limit: it drops by one per router between the points.</param>
/// <param name="Src">Source address.</param>
/// <param name="Dst">Destination address.</param>
/// <param name="Protocol">IP protocol.</param>
public readonly record struct PointPacket(long Frame, long TimeNs, byte Ttl, IpAddr Src, IpAddr Dst, byte Protocol)
{
    /// <summary>Source port (TCP and UDP).</summary>
    public ushort SrcPort { get; init; }

    /// <summary>Destination port (TCP and UDP).</summary>
    public ushort DstPort { get; init; }

    /// <summary>TCP sequence number.</summary>
    public uint Seq { get; init; }

    /// <summary>Transport payload length its headers state.</summary>
    public int PayloadLength { get; init; }

    /// <summary>IP identification (fragments).</summary>
    public uint IpId { get; init; }

    /// <summary>Fragment offset in bytes.</summary>
    public int FragmentOffset { get; init; }

    /// <summary>More-fragments flag.</summary>
    public bool MoreFragments { get; init; }

    /// <summary>A fragment of a larger datagram.</summary>
    public bool IsFragment { get; init; }

    /// <summary>The TCP header was decoded (seq and ports known).</summary>
    public bool HasTransport { get; init; }

    /// <summary>The ports were decoded.</summary>
    public bool HasPorts { get; init; }

    /// <summary>What the packet is, for the report (ports, seq, length, IP id, fragment offset).</summary>
    public string Describe
    {
        get
        {
            string fragment = IsFragment ? $" ip_id={IpId} frag_offset={FragmentOffset}{(MoreFragments ? " mf=1" : "")}" : "";
            return Protocol switch
            {
                6 when HasTransport => $"tcp {SrcPort}>{DstPort} seq={Seq} len={PayloadLength}{fragment}",
                17 when HasPorts => $"udp {SrcPort}>{DstPort} len={PayloadLength}{fragment}",
                _ => $"proto={Protocol}{fragment}",
            };
        }
    }
}

/// <summary>A packet of one capture missing from the other, or seen twice there.</summary>
public readonly record struct DiffItem(PointPacket Packet, bool Forward);

/// <summary>What two captures of the same traffic, taken at two points, prove about the path between them.</summary>
public sealed class TwoPointResult
{
    /// <summary>Packets present at both points.</summary>
    public long Matched { get; init; }

    /// <summary>Packets the first point (the sender's side) saw that the second never did, in its order.</summary>
    public required IReadOnlyList<DiffItem> Lost { get; init; }

    /// <summary>Packets the second point saw more often than the first.</summary>
    public required IReadOnlyList<DiffItem> Duplicated { get; init; }

    /// <summary>Packets that reached the second point after one sent later.</summary>
    public long Reordered { get; init; }

    /// <summary>Second-point time less first-point time over matched forward packets, ns: min, median, max.</summary>
    public (long Min, long Median, long Max) Delay { get; init; }

    /// <summary>Packets whose direction could not be told (no TTL change, never seen at both points).</summary>
    public long UnknownDirection { get; init; }

    /// <summary>
    /// The first capture held more packets than the limit: only its first ones were compared (the other capture's
    /// packets after them may be listed as lost or duplicated).
    /// </summary>
    public bool FirstCut { get; init; }

    /// <summary>The same for the second capture.</summary>
    public bool SecondCut { get; init; }
}

/// <summary>
/// Compares two captures of the same traffic taken at two points (the first near the sender): packets are matched
/// by what a router does not change (addresses, protocol, IP id and fragment fields, the transport header less its
/// checksum, and a hash of the payload), so TTL, checksums and the clocks of the two machines do not matter.
/// A packet's direction comes from its TTL, which drops on the way through each router (or, with no router in
/// between, from which side of the two points it reached first); the clock offset between
/// the machines is folded into the delay figures (min is offset plus the smallest one-way delay), which is why they
/// are reported relative to their minimum too.
/// </summary>
public static class TwoPointDiff
{
    /// <summary>
    /// Reads both captures and compares them. <paramref name="maxPackets"/> bounds the packets kept per capture (about
    /// 100 bytes each with the matching's tables).
    /// </summary>
    public static TwoPointResult Compare(IPacketSource first, IPacketSource second, long maxPackets = 20_000_000)
    {
        var pairs = new AddressPairs();
        SeenPackets a = SeenPackets.Read(first, maxPackets, pairs);
        SeenPackets b = SeenPackets.Read(second, maxPackets, pairs);
        var keys = new SecondPointKeys(b);

        // Per source address (through its pairs), the TTL's drop from the first point to the second for the sender's
        // side; per pair, second-point time less first-point time of each matched packet.
        var ttlDropOfPair = new long[pairs.Count];
        var timeGaps = new List<long>?[pairs.Count];
        var matchedAt = new int[a.Count];
        long matched = 0;
        for (int i = 0; i < a.Count; i++)
        {
            ref SeenPacket sent = ref a[i];
            int j = matchedAt[i] = keys.Match(sent.Key);
            if (j < 0)
            {
                continue;
            }
            matched++;
            ref SeenPacket arrived = ref b[j];
            ttlDropOfPair[sent.Pair] += Math.Sign(sent.Ttl - arrived.Ttl);
            (timeGaps[sent.Pair] ??= new List<long>()).Add(arrived.TimeNs - sent.TimeNs);
        }
        bool?[] forwardOfPair = Directions(pairs, ttlDropOfPair, timeGaps);

        var lost = new List<DiffItem>();
        var delays = new List<long>();
        long unknown = 0, reordered = 0;
        int[] sentIndexAt = new int[b.Count];
        Array.Fill(sentIndexAt, -1);
        for (int i = 0; i < a.Count; i++)
        {
            bool? forward = forwardOfPair[a[i].Pair];
            if (matchedAt[i] < 0)
            {
                if (forward == true)
                {
                    lost.Add(new DiffItem(a[i].ToPointPacket(pairs), true));
                }
                else if (forward is null)
                {
                    unknown++;
                }
                continue;
            }
            if (forward != true)
            {
                continue;
            }
            int j = matchedAt[i];
            delays.Add(b[j].TimeNs - a[i].TimeNs);
            sentIndexAt[j] = i;
        }
        // In the second point's order, a packet sent before one that already arrived came late: reordered.
        int highestSent = -1;
        foreach (int sent in sentIndexAt)
        {
            if (sent < 0)
            {
                continue;
            }
            if (sent < highestSent)
            {
                reordered++;
            }
            highestSent = Math.Max(highestSent, sent);
        }
        // Reverse direction: packets of the receiver's side the second point saw and the first never did.
        for (int j = 0; j < b.Count; j++)
        {
            if (forwardOfPair[b[j].Pair] == false && !keys.AtFirst(j))
            {
                lost.Add(new DiffItem(b[j].ToPointPacket(pairs), false));
            }
        }
        // Duplicates: forward packets left over at the second point after every first-point copy was matched.
        var duplicated = new List<DiffItem>();
        foreach (int j in keys.LeftOverOfKeysAtFirst())
        {
            if (forwardOfPair[b[j].Pair] == true)
            {
                duplicated.Add(new DiffItem(b[j].ToPointPacket(pairs), true));
            }
        }
        delays.Sort();
        return new TwoPointResult
        {
            Matched = matched,
            Lost = lost,
            Duplicated = duplicated,
            Reordered = reordered,
            Delay = delays.Count == 0 ? (0, 0, 0) : (delays[0], delays[delays.Count / 2], delays[^1]),
            UnknownDirection = unknown,
            FirstCut = a.Cut,
            SecondCut = b.Cut,
        };
    }

    /// <summary>
    /// Each address pair's direction: from the first point to the second (true), back (false), or unknown (null).
    /// The TTL decides where it changed (summed over every pair of the source address); without a router between the
    /// points (a bridge, a tap) the TTL says nothing, and time does: second-point time less first-point time is the
    /// clock offset plus the delay one way, and the offset less the delay the other way, so of a conversation's two
    /// directions the one with the larger median goes from the first point to the second. A direction whose reverse
    /// never appears is taken to go that way (the user named the first capture the sender's).
    /// </summary>
    private static bool?[] Directions(AddressPairs pairs, long[] ttlDropOfPair, List<long>?[] timeGaps)
    {
        var ttlDrop = new Dictionary<IpAddr, long>();
        for (int pair = 0; pair < pairs.Count; pair++)
        {
            if (timeGaps[pair] is not null)
            {
                ttlDrop[pairs.Source(pair)] = ttlDrop.GetValueOrDefault(pairs.Source(pair)) + ttlDropOfPair[pair];
            }
        }
        var medians = new long?[pairs.Count];
        for (int pair = 0; pair < pairs.Count; pair++)
        {
            if (timeGaps[pair] is { } gaps)
            {
                gaps.Sort();
                medians[pair] = gaps[gaps.Count / 2];
            }
        }
        var forward = new bool?[pairs.Count];
        for (int pair = 0; pair < pairs.Count; pair++)
        {
            if (ttlDrop.TryGetValue(pairs.Source(pair), out long drop) && drop != 0)
            {
                forward[pair] = drop > 0;
                continue;
            }
            int reverse = pairs.Reverse(pair);
            long? back = reverse < 0 ? null : medians[reverse];
            forward[pair] = medians[pair] is not { } there ? (back is not null ? false : null) : back is null || there > back;
        }
        return forward;
    }
}
