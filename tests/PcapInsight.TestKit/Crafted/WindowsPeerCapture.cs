using System.Text.Json.Nodes;
using PcapInsight.Core.Decoding;

namespace PcapInsight.TestKit.Crafted;

/// <summary>
/// A Linux client (192.0.2.10) talking to a Windows-like server (198.51.100.20): the server holds its ACKs for
/// 200 ms (the Windows delayed-ACK timer), so the client's write-write-read requests stall under Nagle for about
/// 200 ms each; then the server sends a bulk reply, the client's window fills to zero, and the server (Windows
/// style) probes with 1-byte segments at 0.5, 1 and 2 s until the client's window update reopens it.
/// </summary>
internal static class WindowsPeerCapture
{
    private const double T0 = 1_764_000_000.0;  // 2025-11-24T16:00:00Z
    private const double HalfRtt = 0.0005;
    private const double DelayedAck = 0.200;

    public static CraftedCapture Build()
    {
        var frames = new FrameList();
        var talk = new TcpTalk(frames, "192.0.2.10", 49200, "198.51.100.20", 8080, 1_000, 5_000);
        double t = T0;
        const TcpFlags A = TcpFlags.Ack;
        const TcpFlags PA = TcpFlags.Ack | TcpFlags.Psh;

        talk.FromClient(t, TcpFlags.Syn, 0, 64240, FrameBuilder.Concat(FrameBuilder.MssOption(1460), FrameBuilder.WindowScaleOption(7), FrameBuilder.SackPermittedOption()));
        talk.FromServer(t += 2 * HalfRtt, TcpFlags.Syn | A, 0, 65535, FrameBuilder.Concat(FrameBuilder.MssOption(1460), FrameBuilder.WindowScaleOption(8), FrameBuilder.SackPermittedOption()));
        talk.FromClient(t += HalfRtt * 0.1, A, 0, 502);

        // Five requests: write(20-byte header), write(200-byte body) held by Nagle, read(100-byte reply).
        var stalls = new JsonArray();
        for (int i = 0; i < 5; i++)
        {
            double start = T0 + 0.010 + i * 0.300;
            talk.FromClient(start, PA, 20, 502);
            double ackAt = start + HalfRtt + DelayedAck;        // the server's delayed ACK of the header
            talk.FromServer(ackAt, A, 0, 256);
            double bodyAt = ackAt + HalfRtt;                      // Nagle releases the body on that ACK
            talk.FromClient(bodyAt, PA, 200, 502);
            talk.FromServer(bodyAt + HalfRtt + 0.0002, PA, 100, 256);
            talk.FromClient(bodyAt + 2 * HalfRtt + 0.040, A, 0, 502);  // Linux delayed ACK of the reply (40 ms)
            stalls.Add(new JsonObject
            {
                ["header_time"] = start, ["held_body_time"] = bodyAt, ["stall_ms"] = Math.Round((bodyAt - start) * 1000, 3),
                ["delayed_ack_ms"] = Math.Round(DelayedAck * 1000, 3),
            });
        }

        // Bulk reply from the server; the client's receive window (scale 7: units of 128 bytes) closes.
        t = T0 + 2.0;
        const int Mss = 1460;
        int window = 64;                    // x128 = 8192 bytes
        int inFlightAllowed = window * 128;
        int sent = 0;
        while (sent + Mss <= inFlightAllowed)
        {
            talk.FromServer(t, A, Mss, 256);
            sent += Mss;
            t += 0.0001;
        }
        talk.FromServer(t, PA, inFlightAllowed - sent, 256);   // fills the window exactly
        t += HalfRtt;
        double zeroWindowAt = t;
        talk.FromClient(zeroWindowAt, A, 0, 0);              // the application has not read: window 0

        // Windows probes with one new byte, backing off; Linux answers each with window 0 and does not take it.
        var probes = new JsonArray();
        double[] probeDelays = [0.5, 1.0, 2.0];
        double probeTime = zeroWindowAt;
        foreach (double delay in probeDelays)
        {
            probeTime += delay;
            talk.FromServer(probeTime, A, 1, 256, advance: false);
            talk.FromClient(probeTime + HalfRtt, A, 0, 0);
            probes.Add(probeTime);
        }
        double reopenAt = probeTime + 0.3;
        talk.FromClient(reopenAt, A, 0, 128);                 // window update: 16 KiB
        talk.FromServer(reopenAt + HalfRtt, PA, 1000, 256);
        talk.FromClient(reopenAt + 2 * HalfRtt + 0.040, A, 0, 128);
        double finAt = reopenAt + 0.5;
        talk.FromClient(finAt, TcpFlags.Fin | A, 0, 128);
        talk.FromServer(finAt + HalfRtt, TcpFlags.Fin | A, 0, 256);
        talk.FromClient(finAt + 2 * HalfRtt, A, 0, 128);

        var truth = new JsonObject
        {
            ["scenario"] = "windows-delack-zero-window",
            ["description"] = "a Linux client and a Windows-like server: 200 ms delayed ACKs stall five write-write-read requests under Nagle; later the client's window closes and the server sends 1-byte zero-window probes at 0.5, 1 and 2 s until a window update",
            ["crafted"] = true,
            ["captures"] = new JsonObject { ["crafted"] = new JsonObject { ["file"] = "windows-delack-zero-window.pcap", ["packets"] = frames.Count } },
            ["expected_flows"] = new JsonObject { ["tcp"] = 1, ["udp"] = 0 },
            ["client"] = "192.0.2.10:49200 (Linux: 40 ms delayed ACK, window scale 7)",
            ["server"] = "198.51.100.20:8080 (Windows-like: 200 ms delayed ACK, window scale 8, 1-byte zero-window probes)",
            ["nagle_stalls"] = stalls,
            ["zero_window"] = new JsonObject
            {
                ["advertised_by"] = "client", ["start_time"] = zeroWindowAt, ["reopened_time"] = reopenAt,
                ["duration_ms"] = Math.Round((reopenAt - zeroWindowAt) * 1000, 3), ["probe_times"] = probes, ["probe_bytes"] = 1,
            },
        };
        return new CraftedCapture("windows-delack-zero-window", frames.ToPcap(), truth);
    }
}
