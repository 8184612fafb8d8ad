using PcapInsight.Core.Capture;
using PcapInsight.Core.Collections;
using PcapInsight.Core.Decoding;

namespace PcapInsight.Core.TwoPoint;

/// <summary>One packet of a capture, as the comparison knows it.</summary>
/// <param name="Frame">1-based frame number in its file.</param>
/// <param name="TimeNs">Capture time.</param>
/// <param name="Ttl">TTL / hop limit: it drops by one per router between the points.</param>
/// <param name="Src">Source address.</param>
/// <param name="Dst">Destination address.</param>
/// <param name="Protocol">IP protocol.</param>
/// <param name="Describe">What the packet is, for the report (ports, seq, length, IP id, fragment offset).</param>
public readonly record struct PointPacket(long Frame, long TimeNs, byte Ttl, IpAddr Src, IpAddr Dst, byte Protocol, string Describe);

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
    /// <summary>Reads both captures and compares them. <paramref name="maxPackets"/> bounds the packets kept per capture.</summary>
    public static TwoPointResult Compare(IPacketSource first, IPacketSource second, long maxPackets = 20_000_000)
    {
        List<(ulong Key, PointPacket Packet)> a = Read(first, maxPackets), b = Read(second, maxPackets);

        // Occurrences at the second point, by key, in its order.
        var atSecond = new Dictionary<ulong, Queue<int>>(SeededKeyComparer.Instance);   // keys from the capture's bytes
        for (int i = 0; i < b.Count; i++)
        {
            (atSecond.TryGetValue(b[i].Key, out Queue<int>? q) ? q : atSecond[b[i].Key] = new Queue<int>()).Enqueue(i);
        }
        // Direction per source address: the TTL drops from the first point to the second for the sender's side.
        var ttlDrop = new Dictionary<IpAddr, int>();
        var timeGaps = new Dictionary<(IpAddr, IpAddr), List<long>>();
        var matchedAt = new int[a.Count];
        long matched = 0;
        for (int i = 0; i < a.Count; i++)
        {
            matchedAt[i] = -1;
            if (atSecond.TryGetValue(a[i].Key, out Queue<int>? q) && q.Count > 0)
            {
                int j = q.Dequeue();
                matchedAt[i] = j;
                matched++;
                int drop = a[i].Packet.Ttl - b[j].Packet.Ttl;
                ttlDrop[a[i].Packet.Src] = ttlDrop.GetValueOrDefault(a[i].Packet.Src) + Math.Sign(drop);
                var pair = (a[i].Packet.Src, a[i].Packet.Dst);
                (timeGaps.TryGetValue(pair, out List<long>? gaps) ? gaps : timeGaps[pair] = new List<long>()).Add(b[j].Packet.TimeNs - a[i].Packet.TimeNs);
            }
        }
        // Without a router between the points (a bridge, a tap) the TTL says nothing; then time does: second-point
        // time less first-point time is the clock offset plus the delay one way, and the offset less the delay the
        // other way, so of a conversation's two directions the one with the larger median goes from the first
        // point to the second. A direction whose reverse never appears is taken to go that way (the user named the
        // first capture the sender's).
        var medians = timeGaps.ToDictionary(g => g.Key, g => { g.Value.Sort(); return g.Value[g.Value.Count / 2]; });
        bool? Forward(IpAddr src, IpAddr dst)
        {
            if (ttlDrop.TryGetValue(src, out int v) && v != 0)
            {
                return v > 0;
            }
            if (!medians.TryGetValue((src, dst), out long there))
            {
                return medians.TryGetValue((dst, src), out _) ? false : null;
            }
            return !medians.TryGetValue((dst, src), out long back) || there > back;
        }

        var lost = new List<DiffItem>();
        var delays = new List<long>();
        long unknown = 0, reordered = 0;
        int[] sentIndexAt = new int[b.Count];
        Array.Fill(sentIndexAt, -1);
        for (int i = 0; i < a.Count; i++)
        {
            bool? forward = Forward(a[i].Packet.Src, a[i].Packet.Dst);
            if (matchedAt[i] < 0)
            {
                if (forward == true)
                {
                    lost.Add(new DiffItem(a[i].Packet, true));
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
            delays.Add(b[j].Packet.TimeNs - a[i].Packet.TimeNs);
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
        var seenFirst = new HashSet<ulong>(a.Select(x => x.Key), SeededKeyComparer.Instance);
        foreach ((ulong key, PointPacket packet) in b)
        {
            if (!seenFirst.Contains(key) && Forward(packet.Src, packet.Dst) == false)
            {
                lost.Add(new DiffItem(packet, false));
            }
        }
        // Duplicates: forward packets left over at the second point after every first-point copy was matched.
        var duplicated = new List<DiffItem>();
        foreach ((ulong key, Queue<int> left) in atSecond)
        {
            if (left.Count > 0 && seenFirst.Contains(key))
            {
                foreach (int j in left)
                {
                    if (Forward(b[j].Packet.Src, b[j].Packet.Dst) == true)
                    {
                        duplicated.Add(new DiffItem(b[j].Packet, true));
                    }
                }
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
        };
    }

    private static List<(ulong, PointPacket)> Read(IPacketSource source, long maxPackets)
    {
        var packets = new List<(ulong, PointPacket)>();
        var p = new DecodedPacket();
        while (packets.Count < maxPackets && source.TryRead(out CaptureInfo info, out ReadOnlySpan<byte> frame))
        {
            p = default;
            FrameDecoder.Decode(frame, info.LinkType, ref p, Math.Max(0, info.OriginalLength - info.CapturedLength));
            if (p.Status != DecodeStatus.Ok || p.IpVersion == 0)
            {
                continue;
            }
            packets.Add((Key(frame, p), new PointPacket(info.FrameNumber, info.TimestampNs, p.Ttl, p.Src, p.Dst, p.Protocol, Describe(p))));
        }
        return packets;
    }

    /// <summary>The fields a router leaves alone, hashed: addresses, protocol, IP id and fragment fields, and the IP payload less checksums.</summary>
    private static ulong Key(ReadOnlySpan<byte> frame, in DecodedPacket p)
    {
        ulong h = Fnv.Offset;
        h = Fnv.Mix(h, p.Src.Hi);
        h = Fnv.Mix(h, p.Src.Lo);
        h = Fnv.Mix(h, p.Dst.Hi);
        h = Fnv.Mix(h, p.Dst.Lo);
        h = Fnv.Mix(h, ((ulong)p.Protocol << 56) | ((ulong)p.IpId << 16) | ((ulong)(uint)p.FragmentOffset << 1) | (p.MoreFragments ? 1UL : 0));
        int start = p.NetworkOffset + p.IpHeaderLength;
        int end = Math.Min(frame.Length, p.NetworkOffset + p.IpTotalLength);
        if (start < end)
        {
            ReadOnlySpan<byte> payload = frame[start..end];
            int checksumAt = p.FragmentOffset != 0 ? -1 : p.Protocol switch { 6 => 16, 17 => 6, 1 or 58 => 2, _ => -1 };
            if (checksumAt >= 0 && payload.Length >= checksumAt + 2)
            {
                // Checksums differ between the points when one host computes them in the NIC (offload).
                h = Fnv.Bytes(h, payload[..checksumAt]);
                h = Fnv.Bytes(h, payload[(checksumAt + 2)..]);
            }
            else
            {
                h = Fnv.Bytes(h, payload);
            }
        }
        return h;
    }

    /// <summary>FNV-1a, 64 bits: enough to tell tens of millions of packets apart, and no package needed.</summary>
    private static class Fnv
    {
        public const ulong Offset = 14695981039346656037UL;
        private const ulong Prime = 1099511628211UL;

        public static ulong Mix(ulong h, ulong value)
        {
            for (int i = 0; i < 8; i++)
            {
                h = (h ^ (byte)(value >> (8 * i))) * Prime;
            }
            return h;
        }

        public static ulong Bytes(ulong h, ReadOnlySpan<byte> bytes)
        {
            foreach (byte b in bytes)
            {
                h = (h ^ b) * Prime;
            }
            return h;
        }
    }

    private static string Describe(in DecodedPacket p)
    {
        string fragment = p.IsFragment ? $" ip_id={p.IpId} frag_offset={p.FragmentOffset}{(p.MoreFragments ? " mf=1" : "")}" : "";
        return p.Protocol switch
        {
            6 when p.HasTransport => $"tcp {p.SrcPort}>{p.DstPort} seq={p.Seq} len={p.PayloadLength}{fragment}",
            17 when p.HasPorts => $"udp {p.SrcPort}>{p.DstPort} len={p.PayloadLength}{fragment}",
            _ => $"proto={p.Protocol}{fragment}",
        };
    }
}
