using System.Buffers.Binary;
using System.Text.Json.Nodes;

namespace PcapInsight.TestKit.Crafted;

/// <summary>
/// One RTP stream (PCMU, payload type 0, 20 ms packets of 160 bytes, SSRC 0x11223344) from 192.0.2.30:40000
/// to 198.51.100.30:50000: 300 packets sent, five lost (1010, 1050-1052, 1200), one duplicated (1100), two
/// swapped (1151 arrives before 1150), arrival times jittered by a seeded generator. The truth's jitter is RFC 3550's
/// interarrival jitter computed over the arrivals as they are in the capture.
/// </summary>
internal static class RtpGapsCapture
{
    private const double T0 = 1_764_000_200.0;
    private const ushort FirstSeq = 1000;
    private const int Packets = 300;
    private const uint Ssrc = 0x11223344;

    public static CraftedCapture Build()
    {
        var random = new Random(20261125);
        int[] lost = [1010, 1050, 1051, 1052, 1200];
        var arrivals = new List<(double Time, ushort Seq, uint Timestamp)>();
        for (int i = 0; i < Packets; i++)
        {
            ushort seq = (ushort)(FirstSeq + i);
            uint rtpTime = 8000u * 20 / 1000 * (uint)i + 123456;
            double arrival = T0 + i * 0.020 + random.NextDouble() * 0.006;  // up to 6 ms of network jitter
            if (lost.Contains(seq))
            {
                continue;
            }
            arrivals.Add((arrival, seq, rtpTime));
            if (seq == 1100)
            {
                arrivals.Add((arrival + 0.0003, seq, rtpTime));         // duplicated on the path
            }
        }
        // 1150 and 1151 arrive swapped: 1151 first, then 1150 (the one that comes after a higher number is the
        // reordered one, as a receiver counts it).
        int a = arrivals.FindIndex(x => x.Seq == 1150);
        (double Time, ushort Seq, uint Timestamp) early = arrivals[a], late = arrivals[a + 1];
        arrivals[a] = (early.Time, late.Seq, late.Timestamp);
        arrivals[a + 1] = (late.Time, early.Seq, early.Timestamp);

        var frames = new FrameList();
        // RFC 3550 A.8: J += (|D| - J) / 16, with D the difference of transit times, in timestamp units.
        double jitter = 0;
        double? previousTransit = null;
        foreach ((double time, ushort seq, uint timestamp) in arrivals)
        {
            var rtp = new byte[12 + 160];
            rtp[0] = 0x80;
            rtp[1] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(rtp.AsSpan(2), seq);
            BinaryPrimitives.WriteUInt32BigEndian(rtp.AsSpan(4), timestamp);
            BinaryPrimitives.WriteUInt32BigEndian(rtp.AsSpan(8), Ssrc);
            rtp.AsSpan(12).Fill(0xFF);
            byte[] udp = FrameBuilder.Udp(40000, 50000, rtp.Length);
            rtp.CopyTo(udp, 8);
            frames.Add(time, FrameBuilder.Ethernet(0x0800, FrameBuilder.Ipv4("192.0.2.30", "198.51.100.30", 17, udp)));
            double arrivalUnits = Math.Round((time - T0) * 1e6) / 1e6 * 8000;  // as the capture stores it (µs)
            double transit = arrivalUnits - timestamp;
            if (previousTransit is { } p)
            {
                jitter += (Math.Abs(transit - p) - jitter) / 16;
            }
            previousTransit = transit;
        }
        var truth = new JsonObject
        {
            ["scenario"] = "rtp-gaps-jitter",
            ["description"] = "an RTP stream (PCMU, 20 ms) with five packets lost, one duplicated, two swapped and up to 6 ms of arrival jitter",
            ["crafted"] = true,
            ["captures"] = new JsonObject { ["crafted"] = new JsonObject { ["file"] = "rtp-gaps-jitter.pcap", ["packets"] = frames.Count } },
            ["expected_flows"] = new JsonObject { ["tcp"] = 0, ["udp"] = 1 },
            ["ssrc"] = Ssrc, ["payload_type"] = 0, ["clock_rate"] = 8000,
            ["sent"] = Packets, ["first_seq"] = FirstSeq, ["last_seq"] = FirstSeq + Packets - 1,
            ["lost_seq"] = new JsonArray(lost.Select(x => (JsonNode)x).ToArray()),
            ["duplicated_seq"] = new JsonArray(1100), ["reordered_seq"] = new JsonArray(1150),
            ["received_packets"] = frames.Count,
            ["rfc3550_jitter_ms"] = Math.Round(jitter / 8.0, 3),
        };
        return new CraftedCapture("rtp-gaps-jitter", frames.ToPcap(), truth);
    }
}
