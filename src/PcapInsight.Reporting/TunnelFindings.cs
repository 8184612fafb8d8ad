using System.Globalization;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Events;

namespace PcapInsight.Reporting;

/// <summary>
/// The sentence of the <see cref="EventKind.IpTunnelFragmented"/> finding that says what to set: which tunnel, how many
/// bytes its headers take, where the underlay split the datagrams, and the inner MTU that would have fitted.
/// </summary>
public static class TunnelFindings
{
    /// <summary>The console's and report.html's line about tunnels: "107 frames analysed inside their tunnel (VXLAN 107)".</summary>
    public static string Tunneled(PacketCounters p)
    {
        var kinds = new List<string>();
        foreach (TunnelKindNames.Entry kind in TunnelKindNames.All)   // a loop, not LINQ over our values (ReportOrder says why)
        {
            if (p.TunneledIn(kind.Kind) is > 0 and var frames)
            {
                kinds.Add(string.Create(CultureInfo.InvariantCulture, $"{kind.Display} {frames:N0}"));
            }
        }
        return string.Create(CultureInfo.InvariantCulture, $"{p.Tunneled:N0} frames analysed inside their tunnel ({string.Join(", ", kinds)})");
    }

    /// <summary>
    /// Null when no row of the kind was kept. The figures come from the rows' details: the inner packet's size, the
    /// outer datagram's payload (tunnel headers and the packet), and its largest fragment (the underlay's MTU where it
    /// was split). The tunnel's overhead is the outer datagram less the inner packet; the MTU that fits is the smallest
    /// split less the largest overhead.
    /// </summary>
    /// <param name="result">The analysis.</param>
    /// <param name="counted">Datagrams the analysis counted: more than the rows when the rows are sampled or cut.</param>
    internal static string? Overhead(AnalysisResult result, long counted)
    {
        int rows = 0, mirrored = 0, largestInner = 0, overhead = 0, split = int.MaxValue;
        var flows = new HashSet<int>();
        var tunnels = new List<string>();
        foreach (AnalysisEvent row in result.Events.Rows)
        {
            if (row.Kind != EventKind.IpTunnelFragmented
                || Number(row.Detail, "inner_bytes=") is not { } inner
                || Number(row.Detail, "outer_payload_bytes=") is not { } outer
                || Number(row.Detail, "largest_fragment=") is not { } fragment)
            {
                continue;
            }
            rows++;
            mirrored += Text(row.Detail, "tunnel=").Contains("erspan", StringComparison.Ordinal) ? 1 : 0;
            flows.Add(row.FlowId);
            largestInner = Math.Max(largestInner, inner);
            overhead = Math.Max(overhead, outer + (row.Src.Version == 6 ? 40 : 20) - inner);
            split = Math.Min(split, fragment);
            // A tunnel is named by its endpoints in either direction: both ends fragment what they send.
            (var a, var b) = row.Src.CompareTo(row.Dst) <= 0 ? (row.Src, row.Dst) : (row.Dst, row.Src);
            string tunnel = $"{Text(row.Detail, "tunnel=")} between {a} and {b}";
            if (tunnels.Count < 4 && !tunnels.Contains(tunnel))
            {
                tunnels.Add(tunnel);
            }
        }
        if (rows == 0)
        {
            return null;
        }
        var inv = CultureInfo.InvariantCulture;
        string which = rows < counted ? string.Create(inv, $"In the {rows} of them events.csv lists, the") : "The";
        string where = tunnels.Count > 3 ? string.Join(", ", tunnels.Take(3)) + " and more" : string.Join(", ", tunnels);
        string flowText = flows.Count == 1 ? "1 flow" : string.Create(inv, $"{flows.Count} flows");
        int fits = split - overhead;
        string carried = string.Create(inv, $"{which} {(tunnels.Count == 1 ? "tunnel" : "tunnels")} ({where}) carried packets of up to {largestInner} bytes for {flowText}, with {overhead} bytes of ")
            + string.Create(inv, $"outer headers, and the underlay split them at {split} bytes");
        if (mirrored == rows)
        {
            // A mirror's copies, not the traffic: the hosts' MTU is not what to change.
            return carried + string.Create(inv, $". ERSPAN is a switch's mirror: the fragments cost the monitoring path (a lost one loses the copy, not the traffic), ")
                + string.Create(inv, $"so give the mirror's path {overhead} bytes more MTU, or have the session truncate mirrored frames to {fits} bytes.");
        }
        return carried + string.Create(inv, $": an inner MTU of at most {fits} bytes would fit ")
            + string.Create(inv, $"(TCP MSS {fits - 40} over IPv4; on Linux, ip link set DEV mtu {fits} on the tunnel's interface).");
    }

    private static int? Number(string detail, string key) =>
        int.TryParse(Text(detail, key), NumberStyles.None, CultureInfo.InvariantCulture, out int value) ? value : null;

    private static string Text(string detail, string key)
    {
        int start = detail.IndexOf(key, StringComparison.Ordinal);
        if (start < 0)
        {
            return "";
        }
        start += key.Length;
        int end = detail.IndexOf(' ', start);
        return detail[start..(end < 0 ? detail.Length : end)];
    }
}
