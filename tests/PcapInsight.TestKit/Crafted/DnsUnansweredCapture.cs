using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;

namespace PcapInsight.TestKit.Crafted;

/// <summary>
/// Ten DNS A queries from 192.0.2.53 to the resolver 198.51.100.53: six answered within 30 ms, one answered
/// after 2.5 s (a retry-worthy delay), three never answered.
/// </summary>
internal static class DnsUnansweredCapture
{
    private const double T0 = 1_764_000_300.0;

    public static CraftedCapture Build()
    {
        var frames = new FrameList();
        var queries = new JsonArray();
        int[] unanswered = [3, 6, 9];
        for (int i = 0; i < 10; i++)
        {
            ushort id = (ushort)(0x4000 + i);
            ushort port = (ushort)(33000 + i);
            string name = $"host{i}.example.com";
            double sentAt = T0 + i * 0.5;
            frames.Add(sentAt, Datagram("192.0.2.53", port, "198.51.100.53", 53, Message(id, name, response: false)));
            double? answeredAt = unanswered.Contains(i) ? null : sentAt + (i == 7 ? 2.5 : 0.010 + i * 0.002);
            if (answeredAt is { } at)
            {
                frames.Add(at, Datagram("198.51.100.53", 53, "192.0.2.53", port, Message(id, name, response: true)));
            }
            queries.Add(new JsonObject
            {
                ["id"] = id, ["name"] = name, ["client_port"] = port, ["query_time"] = sentAt,
                ["answered"] = answeredAt is not null, ["response_ms"] = answeredAt is { } r ? Math.Round((r - sentAt) * 1000, 3) : null,
            });
        }
        var truth = new JsonObject
        {
            ["scenario"] = "dns-unanswered",
            ["description"] = "ten DNS queries: six answered within 30 ms, one after 2.5 s, three never",
            ["crafted"] = true,
            ["captures"] = new JsonObject { ["crafted"] = new JsonObject { ["file"] = "dns-unanswered.pcap", ["packets"] = frames.Count } },
            // Each query uses its own source port: one UDP flow per query.
            ["expected_flows"] = new JsonObject { ["tcp"] = 0, ["udp"] = 10 },
            ["queries"] = queries,
            ["unanswered_ids"] = new JsonArray(unanswered.Select(i => (JsonNode)(0x4000 + i)).ToArray()),
        };
        return new CraftedCapture("dns-unanswered", frames.ToPcap(), truth);
    }

    private static byte[] Datagram(string src, ushort srcPort, string dst, ushort dstPort, byte[] payload)
    {
        byte[] udp = FrameBuilder.Udp(srcPort, dstPort, payload.Length);
        payload.CopyTo(udp, 8);
        return FrameBuilder.Ethernet(0x0800, FrameBuilder.Ipv4(src, dst, 17, udp));
    }

    private static byte[] Message(ushort id, string name, bool response)
    {
        var m = new List<byte>();
        var header = new byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(header, id);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), response ? (ushort)0x8180 : (ushort)0x0100);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), 1);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), response ? (ushort)1 : (ushort)0);
        m.AddRange(header);
        foreach (string label in name.Split('.'))
        {
            m.Add((byte)label.Length);
            m.AddRange(Encoding.ASCII.GetBytes(label));
        }
        m.AddRange(new byte[] { 0, 0, 1, 0, 1 });                  // root, type A, class IN
        if (response)
        {
            m.AddRange(new byte[] { 0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0x01, 0x2C, 0, 4, 203, 0, 113, (byte)(id & 0xFF) });
        }
        return m.ToArray();
    }
}
