using System.Globalization;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Events;
using PcapInsight.Core.Flows;
using PcapInsight.Reporting;

namespace PcapInsight.Cli;

/// <summary>
/// The summary printed after <c>analyze</c>: capture facts, packets by kind, top flows, events. Human-formatted
/// numbers live here only; the report files keep raw numbers (tshark's <c>-z conv</c> lesson).
/// </summary>
internal static class ConsoleSummary
{
    private const int TopFlows = 10;

    public static void Write(AnalysisResult r, TextWriter o, string outputDirectory, IReadOnlySet<string> formats, bool series, bool color = false)
    {
        var paint = new Paint(color);
        PacketCounters p = r.Packets;
        o.WriteLine("Capture");
        foreach (CaptureFileStats f in r.Files)
        {
            string cut = f.StoppedEarly ? "  (stopped early: see warnings)" : "";
            string filtered = f.Filter is null ? "" : $"; filter '{f.Filter}' kept {N(f.Frames - f.FilteredOut)}";
            o.WriteLine($"  {f.Path}: {f.Format}, {N(f.Frames)} frames{filtered}{cut}");
        }
        o.WriteLine($"  frames      {N(p.Frames)} ({Bytes(p.WireBytes)} on the wire)");
        if (r.Selection is not null)
        {
            o.WriteLine($"  selection   {r.Selection} (flows, events, findings and charts below are only these)");
        }
        if (p.Frames > 0)
        {
            int digits = r.TimestampDigits;
            o.WriteLine($"  time        {CaptureTime.ToIso(r.FirstTimeNs, digits)} .. {CaptureTime.ToIso(r.LastTimeNs, digits)} ({(r.LastTimeNs - r.FirstTimeNs) / 1e9:0.###} s)");
        }
        o.WriteLine($"  link types  {LinkTypeNames.NumbersAndNames(r.LinkTypes)}");
        o.WriteLine($"  packets     IPv4 {N(p.Ipv4)}, IPv6 {N(p.Ipv6)}, TCP {N(p.Tcp)}, UDP {N(p.Udp)}, ICMP {N(p.Icmp)}, other IP {N(p.OtherIp)}, fragments {N(p.Fragments)}, not IP {N(p.NotIp)}");
        if (p.Tunneled > 0)
        {
            o.WriteLine($"  tunneled    {TunnelFindings.Tunneled(p)}");
        }
        if (p.Truncated + p.Malformed + p.UnsupportedLinkType > 0)
        {
            o.WriteLine($"  undecoded   truncated {N(p.Truncated)}, malformed {N(p.Malformed)}, unsupported link type {N(p.UnsupportedLinkType)}");
        }

        // Flows released past --max-listed-flows are counted too, and listed in flows.csv unless the spool failed.
        (long tcp, long udp, long other) = r.FlowsByProtocol();
        long all = tcp + udp + other;
        long released = all - r.Flows.Count;
        long notListed = r.Selection is null ? released - r.SpooledFlows : 0;
        o.WriteLine();
        o.WriteLine($"Flows: {N(all)} (TCP {N(tcp)}, UDP {N(udp)}, other {N(other)})");
        // Those with trouble first, then the largest, among every flow (released ones too), as report.html's table. A
        // selection may hold released flows only (--flow N past --max-listed-flows): they are listed too.
        IReadOnlyList<FlowSummary> top = BestFlows.Top(r.Flows, r.ReleasedBest, TopFlows);
        if (top.Count > 0)
        {
            o.WriteLine($"  {"id",5}  {"proto",-6} {"client",-40} {"server",-40} {"packets",9} {"bytes",10}  close");
            foreach (FlowSummary f in top)
            {
                o.WriteLine($"  {f.Id,5}  {ProtocolNames.Name(f.Protocol),-6} {f.Client.ToString(f.ClientPort),-40} {f.Server.ToString(f.ServerPort),-40} {N(f.PacketsC2S + f.PacketsS2C),9} {Bytes(f.BytesC2S + f.BytesS2C),10}  {ReportRows.CloseName(f.Close)}");
            }
            if (all - notListed > TopFlows)
            {
                o.WriteLine($"  ... {N(all - notListed - TopFlows)} more in flows.csv");
            }
            if (released > 0)
            {
                o.WriteLine(notListed == 0
                    ? $"  ({N(released)} ended flows were released from memory past --max-listed-flows, those with something to report last: still in flows.csv, udp.csv and the flows chosen above and in report.html, not drawn unless chosen with --flow ID)"
                    : $"  ({N(released)} ended flows were released from memory past --max-listed-flows; {N(notListed)} of them are counted in summary.json but not listed in flows.csv)");
            }
            if (r.Replayed.Count == 1)
            {
                o.WriteLine($"  (flow {r.Replayed[0].Id} had no time-series slot in the analysis (--series-flows): its series was recorded by a second read of the capture)");
            }
            else if (r.Replayed.Count > 1)
            {
                o.WriteLine($"  (flows {Commands.SelectedFlowSeries.Ids(r.Replayed.Select(f => f.Id).ToList())} had no time-series slot in the analysis (--series-flows): their series were recorded by a second read of the capture)");
            }
            if (r.SeriesFlowsRefused > 0 && (r.Selection is null || r.Replayed.Count == 0))
            {
                o.WriteLine($"  ({N(r.SeriesFlowsRefused)} TCP flows began while every time-series slot was taken (--series-flows): no charts or tcp_series.csv rows for them)");
            }
            if (r.DelayedAckHostsNotProfiled > 0)
            {
                string hosts = r.DelayedAckHostsNotProfiledAtLeast
                    ? $"at least {N(r.DelayedAckHostsNotProfiled)} hosts" : $"{N(r.DelayedAckHostsNotProfiled)} hosts";
                o.WriteLine($"  ({hosts} sent timed ACKs after every delayed-ACK profile slot was taken (--max-ack-profile-hosts): no timer estimate for them in summary.json; their tcp.delayed_ack events are kept)");
            }
        }

        o.WriteLine();
        var counts = r.Events.Counts().OrderByDescending(c => c.Info.Severity).ThenByDescending(c => c.Count).ToList();
        if (counts.Count == 0)
        {
            o.WriteLine("Events: none");
        }
        else
        {
            // As tshark -z expert: one line per event type, the most severe first, with where it first showed.
            var firstRows = new Dictionary<EventKind, AnalysisEvent>();
            var flowsByKind = new Dictionary<EventKind, HashSet<int>>();
            foreach (AnalysisEvent e in r.Events.Rows)
            {
                if (!firstRows.TryGetValue(e.Kind, out AnalysisEvent seen) || (e.TimestampNs > 0 && e.TimestampNs < seen.TimestampNs))
                {
                    firstRows[e.Kind] = e;
                }
                if (e.FlowId != 0)
                {
                    (flowsByKind.TryGetValue(e.Kind, out var set) ? set : flowsByKind[e.Kind] = new()).Add(e.FlowId);
                }
            }
            o.WriteLine(paint.Bold($"Events  {"severity",-8} {"event",-30} {"count",9} {"flows",6}  first"));
            foreach ((EventInfo info, long count) in counts)
            {
                string flows = flowsByKind.TryGetValue(info.Kind, out var set) ? N(set.Count) : "";
                string first = firstRows.TryGetValue(info.Kind, out AnalysisEvent e) && e.TimestampNs > 0
                    ? $"{(e.TimestampNs - r.FirstTimeNs) / 1e9:0.000000} s" + (e.Frame > 0 ? $" (frame {e.Frame})" : "")
                    : "";
                o.WriteLine($"        {paint.Severity(info.Severity, $"{ReportRows.SeverityName(info.Severity),-8}")} {info.Name,-30} {N(count),9} {flows,6}  {first}");
            }
            o.WriteLine($"        {"",-8} {"total",-30} {N(counts.Sum(c => c.Count)),9}");
        }

        // The findings worth reading: those explained for a flow (a stall and who caused it) first, then other warnings and errors.
        var explained = Findings.Top(r, JsonSummaryWriter.MaxFindings).Where(f => f.SpecificAdvice is not null || f.Info.Severity >= Severity.Warning).Take(TopFindings).ToList();
        if (explained.Count > 0)
        {
            o.WriteLine();
            o.WriteLine(paint.Bold("Findings"));
            long?[] firstTimes = Findings.FirstTimes(r, explained);
            for (int i = 0; i < explained.Count; i++)
            {
                Finding f = explained[i];
                string where = f.FlowId != 0 ? $"flow {f.FlowId}" : "capture";
                if (firstTimes[i] is long t and > 0)
                {
                    where += $", first at {(t - r.FirstTimeNs) / 1e9:0.000} s ({CaptureTime.ToIso(t, r.TimestampDigits)})";
                }
                o.WriteLine($"  {paint.Severity(f.Info.Severity, ReportRows.SeverityName(f.Info.Severity))} {paint.Bold(f.Info.Name)} ({where})");
                WriteWrapped(o, f.Explanation, "    ", "    ");
                WriteWrapped(o, $"What to do: {f.Advice}", "    ", "    ");
            }
        }

        o.WriteLine();
        var written = new List<string>();
        if (formats.Contains("json"))
        {
            written.Add("summary.json");
        }
        if (formats.Contains("csv"))
        {
            written.Add("flows.csv");
            written.Add("events.csv");
            written.Add("fragments.csv");
            written.Add("udp.csv");
            if (series && r.FlowsWithSeries().Any())
            {
                written.Add("tcp_series.csv");
            }
        }
        if (formats.Contains("png"))
        {
            written.Add("charts/");
        }
        if (formats.Contains("html"))
        {
            written.Add("report.html");
        }
        if (formats.Contains("parquet"))
        {
            written.Add("flows.parquet");
            written.Add("events.parquet");
            written.Add("fragments.parquet");
            written.Add("udp.parquet");
        }
        o.WriteLine($"Report: {Path.GetFullPath(outputDirectory)} ({string.Join(", ", written)})");
    }

    private const int TopFindings = 5;

    /// <summary>ANSI colour for a terminal; plain text otherwise (pipes, files, NO_COLOR).</summary>
    private readonly struct Paint(bool enabled)
    {
        public string Bold(string text) => enabled ? $"\e[1m{text}\e[0m" : text;

        public string Severity(Severity severity, string text) => !enabled ? text : severity switch
        {
            Core.Events.Severity.Error => $"\e[1;31m{text}\e[0m",
            Core.Events.Severity.Warning => $"\e[33m{text}\e[0m",
            _ => $"\e[36m{text}\e[0m",
        };
    }
    private const int Width = 110;

    /// <summary>Writes <paramref name="text"/> wrapped at word boundaries to <see cref="Width"/> columns.</summary>
    private static void WriteWrapped(TextWriter o, string text, string firstIndent, string indent)
    {
        var line = new System.Text.StringBuilder(firstIndent);
        foreach (string word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length + word.Length + 1 > Width && line.Length > indent.Length)
            {
                o.WriteLine(line.ToString().TrimEnd());
                line.Clear().Append(indent);
            }
            line.Append(word).Append(' ');
        }
        o.WriteLine(line.ToString().TrimEnd());
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("0.0", CultureInfo.InvariantCulture) + " GiB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        >= 1L << 10 => (bytes / (double)(1L << 10)).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " B",
    };
}
