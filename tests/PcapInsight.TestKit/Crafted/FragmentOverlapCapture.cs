using System.Text.Json.Nodes;

namespace PcapInsight.TestKit.Crafted;

/// <summary>
/// IPv4 and IPv6 UDP datagrams of 2960 bytes (UDP header included) sent as fragments: complete, overlapping with
/// the same bytes, overlapping with conflicting bytes (teardrop-style), and one whose last fragment never comes.
/// </summary>
internal static class FragmentOverlapCapture
{
    private const double T0 = 1_764_000_100.0;
    private const int DatagramBytes = 2960;

    private sealed record Piece(int Offset, int End, bool More, bool Corrupt = false);

    public static CraftedCapture Build()
    {
        var frames = new FrameList();
        var datagrams = new JsonArray();
        double t = T0;
        var cases = new (string Status, Piece[] Pieces, string Missing)[]
        {
            ("complete", [new(0, 1480, true), new(1480, DatagramBytes, false)], ""),
            ("overlap", [new(0, 1480, true), new(1472, DatagramBytes, false)], ""),
            ("conflict", [new(0, 1480, true), new(1400, DatagramBytes, false, Corrupt: true)], ""),
            ("incomplete", [new(0, 1480, true)], $"1480-{DatagramBytes}"),
        };
        foreach (int version in new[] { 4, 6 })
        {
            string src = version == 4 ? "192.0.2.77" : "2001:db8:1::77";
            string dst = version == 4 ? "198.51.100.77" : "2001:db8:2::77";
            uint id = version == 4 ? 0x1000u : 0xABC000u;
            foreach ((string status, Piece[] pieces, string missing) in cases)
            {
                id++;
                byte[] datagram = FrameBuilder.Udp(4000, 5000, DatagramBytes - 8);
                for (int i = 8; i < datagram.Length; i++)
                {
                    datagram[i] = (byte)(i * 7 + id);
                }
                double first = t;
                foreach (Piece piece in pieces)
                {
                    byte[] slice = datagram[piece.Offset..piece.End];
                    if (piece.Corrupt)
                    {
                        for (int i = 0; i < 1480 - piece.Offset; i++)
                        {
                            slice[i] ^= 0xFF; // the overlapping bytes differ from the first fragment's
                        }
                    }
                    byte[] frame = version == 4
                        ? FrameBuilder.Ethernet(0x0800, FrameBuilder.Ipv4(src, dst, 17, slice, id: (ushort)id, moreFragments: piece.More, fragmentOffsetBytes: piece.Offset))
                        : FrameBuilder.Ethernet(0x86DD, FrameBuilder.Ipv6(src, dst, 44, FrameBuilder.Concat(FrameBuilder.Ipv6Fragment(17, piece.Offset, piece.More, id), slice)));
                    frames.Add(t, frame);
                    t += 0.001;
                }
                datagrams.Add(new JsonObject
                {
                    ["first_time"] = first, ["last_time"] = t - 0.001, ["ip_version"] = version, ["src"] = src, ["dst"] = dst,
                    ["ip_id"] = id, ["protocol"] = 17, ["fragments"] = pieces.Length,
                    ["bytes"] = status == "incomplete" ? 1480 : DatagramBytes, ["status"] = status, ["missing"] = missing,
                    ["overlap_bytes"] = pieces.Length > 1 ? Math.Max(0, pieces[0].End - pieces[1].Offset) : 0,
                });
                t += 0.01;
            }
        }
        var truth = new JsonObject
        {
            ["scenario"] = "ip-fragments-overlap",
            ["description"] = "IPv4 and IPv6 UDP datagrams in fragments: complete, overlapping with the same bytes, overlapping with conflicting bytes (teardrop-style), and incomplete",
            ["crafted"] = true,
            ["captures"] = new JsonObject { ["crafted"] = new JsonObject { ["file"] = "ip-fragments-overlap.pcap", ["packets"] = frames.Count } },
            // The only fragments with ports are the first ones: one UDP flow per address family.
            ["expected_flows"] = new JsonObject { ["tcp"] = 0, ["udp"] = 2 },
            ["datagrams"] = datagrams,
        };
        return new CraftedCapture("ip-fragments-overlap", frames.ToPcap(), truth);
    }
}
