using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Events;
using PcapInsight.Core.Flows;

namespace PcapInsight.Reporting;

/// <summary>
/// Writes report.html: one self-contained page (charts embedded as data: URIs, no request leaves it) with the capture
/// summary, the findings and their advice, sortable tables of flows and events, and the charts. Every text is
/// HTML-encoded where it is written, and a Content-Security-Policy lets only the page's own script run (by its hash):
/// a capture crafted to inject markup shows it as text, and even a missed encoding could not run script.
/// </summary>
public static class HtmlReportWriter
{
    /// <summary>Rows of the flow and event tables; the CSV files hold all of them.</summary>
    public const int MaxTableRows = 1000;

    /// <summary>The page's only script: table sorting, and a mark that it ran (the browser tests read it).</summary>
    internal const string Script = """
        (function () {
          function key(cell) {
            if (!cell) { return ''; }
            var v = cell.getAttribute('data-v');
            var t = v !== null ? v : cell.textContent;
            return t !== '' && !isNaN(t) ? Number(t) : t.toLowerCase();
          }
          document.querySelectorAll('table.sortable').forEach(function (table) {
            var heads = table.querySelectorAll('th');
            heads.forEach(function (th, col) {
              th.setAttribute('tabindex', '0');
              function sort() {
                var asc = th.getAttribute('aria-sort') !== 'ascending';
                heads.forEach(function (h) { h.removeAttribute('aria-sort'); });
                th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
                var body = table.tBodies[0];
                var rows = Array.prototype.slice.call(body.rows);
                rows.sort(function (a, b) {
                  var x = key(a.cells[col]), y = key(b.cells[col]);
                  var c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0;
                  return asc ? c : -c;
                });
                rows.forEach(function (r) { body.appendChild(r); });
              }
              th.addEventListener('click', sort);
              th.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sort(); } });
            });
          });
          document.documentElement.setAttribute('data-ready', 'yes');
        })();
        """;

    private const string Style = """
        body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1d2430; background: #f6f7f9; }
        header { background: #1d2430; color: #fff; padding: 16px 28px; }
        header h1 { margin: 0 0 4px; font-size: 22px; }
        main { padding: 8px 28px 40px; max-width: 1400px; }
        section { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; padding: 4px 18px 14px; margin: 16px 0; }
        h2 { font-size: 18px; margin: 14px 0 8px; }
        h3 { font-size: 15px; margin: 14px 0 6px; }
        dl.facts { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; margin: 8px 0; }
        dl.facts dt { color: #5b6472; }
        dl.facts dd { margin: 0; overflow-wrap: anywhere; }
        .finding { border-left: 4px solid #8a94a6; padding: 6px 12px; margin: 10px 0; background: #fafbfc; }
        .finding.error { border-color: #c62828; } .finding.warning { border-color: #ef8a00; } .finding.info { border-color: #1f77b4; }
        .finding .advice { margin-top: 4px; } .finding .advice b { color: #2e7d32; }
        .sev { display: inline-block; padding: 0 6px; border-radius: 3px; font-size: 12px; color: #fff; background: #1f77b4; }
        .sev.error { background: #c62828; } .sev.warning { background: #ef8a00; }
        .meta { color: #5b6472; font-size: 12px; }
        .scroll { overflow-x: auto; max-height: 640px; overflow-y: auto; }
        table { border-collapse: collapse; font-size: 13px; width: 100%; }
        th, td { border-bottom: 1px solid #e6e9ed; padding: 3px 8px; text-align: left; vertical-align: top; }
        td.n { text-align: right; font-variant-numeric: tabular-nums; }
        th { position: sticky; top: 0; background: #eef1f4; cursor: pointer; user-select: none; white-space: nowrap; }
        th[aria-sort=ascending]::after { content: " \25B2"; } th[aria-sort=descending]::after { content: " \25BC"; }
        td.detail { font-family: ui-monospace, monospace; font-size: 12px; overflow-wrap: anywhere; max-width: 520px; }
        figure { margin: 12px 0 20px; } figure img { max-width: 100%; height: auto; border: 1px solid #e6e9ed; }
        figcaption { color: #5b6472; font-size: 13px; max-width: 1200px; }
        nav a { margin-right: 14px; color: #9cc3ff; }
        """;

    /// <summary>Writes report.html into <paramref name="directory"/> atomically.</summary>
    public static void Write(AnalysisResult result, IReadOnlyList<Chart> charts, string directory, string version)
    {
        StringBuilder html = Build(result, charts, version);
        AtomicFile.Write(Path.Combine(directory, "report.html"), s =>
        {
            // The builder's chunks encoded as they are written: the page (mostly the charts' base64, megabytes with
            // dozens of charts) is not copied into one string and then into one array of bytes first.
            using var writer = new StreamWriter(s, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
            writer.Write(html);
        });
    }

    /// <summary>The page as text.</summary>
    public static string Render(AnalysisResult r, IReadOnlyList<Chart> charts, string version) => Build(r, charts, version).ToString();

    private static StringBuilder Build(AnalysisResult r, IReadOnlyList<Chart> charts, string version)
    {
        var h = new StringBuilder(1 << 16);
        string scriptHash = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(Script)));
        string title = "PcapInsight report: " + string.Join(", ", r.Files.Select(f => Path.GetFileName(f.Path)));
        h.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        h.Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'sha256-")
            .Append(scriptHash).Append("'; base-uri 'none'; form-action 'none'\">\n");
        h.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        h.Append("<title>").Append(E(title)).Append("</title>\n<style>").Append(Style).Append("</style>\n</head>\n<body>\n");
        h.Append("<header><h1>").Append(E(title)).Append("</h1><div class=\"meta\">pcapinsight ").Append(E(version))
            .Append(" · <nav style=\"display:inline\"><a href=\"#findings\">Findings</a><a href=\"#events\">Events</a><a href=\"#charts\">Charts</a><a href=\"#flows\">Flows</a><a href=\"#event-rows\">Event rows</a></nav></div></header>\n<main>\n");
        var charted = charts.Where(c => c.FlowId != 0).Select(c => c.FlowId).ToHashSet();
        CaptureSection(h, r);
        FindingsSection(h, r, charted);
        EventCountsSection(h, r);
        ChartsSection(h, r, charts);
        FlowsSection(h, r, charted);
        EventRowsSection(h, r);
        h.Append("</main>\n<script>").Append(Script).Append("</script>\n</body>\n</html>\n");
        return h;
    }

    private static void CaptureSection(StringBuilder h, AnalysisResult r)
    {
        PacketCounters p = r.Packets;
        int digits = r.TimestampDigits;
        h.Append("<section id=\"capture\"><h2>Capture</h2><dl class=\"facts\">");
        foreach (CaptureFileStats f in r.Files)
        {
            string interfaces = string.Join(", ", f.Interfaces.Where(i => i.Name is not null).Select(i => i.Name));
            Fact(h, "file", $"{f.Path} ({f.Format}, {f.Frames:N0} frames{(f.StoppedEarly ? ", stopped early" : "")}{(interfaces.Length > 0 ? ", interfaces " + interfaces : "")})");
            if (f.Filter is not null)
            {
                Fact(h, "filter", $"{f.Filter} (kept {f.Frames - f.FilteredOut:N0} of {f.Frames:N0} frames)");
            }
        }
        Fact(h, "frames", $"{p.Frames:N0} ({p.WireBytes:N0} bytes on the wire)");
        if (r.Selection is not null)
        {
            Fact(h, "selection", r.Selection + " (the flows, events, findings and charts of this page are only these)");
        }
        if (p.Frames > 0)
        {
            Fact(h, "time", $"{CaptureTime.ToIso(r.FirstTimeNs, digits)} .. {CaptureTime.ToIso(r.LastTimeNs, digits)} ({(r.LastTimeNs - r.FirstTimeNs) / 1e9:0.###} s)");
        }
        Fact(h, "link types", LinkTypeNames.NumbersAndNames(r.LinkTypes));
        Fact(h, "packets", $"IPv4 {p.Ipv4:N0}, IPv6 {p.Ipv6:N0}, TCP {p.Tcp:N0}, UDP {p.Udp:N0}, ICMP {p.Icmp:N0}, other IP {p.OtherIp:N0}, fragments {p.Fragments:N0}, not IP {p.NotIp:N0}");
        if (p.Tunneled > 0)
        {
            Fact(h, "tunneled", TunnelFindings.Tunneled(p));
        }
        // Every flow, also those released past --max-listed-flows, as summary.json and the console count them.
        (long tcp, long udp, long other) = r.FlowsByProtocol();
        Fact(h, "flows", $"{tcp + udp + other:N0} (TCP {tcp:N0}, UDP {udp:N0}, other {other:N0})");
        foreach (CaptureWarning w in r.Warnings)
        {
            Fact(h, "warning", $"{Path.GetFileName(r.Files[w.FileIndex].Path)}: {w.Message}");
        }
        h.Append("</dl></section>\n");
    }

    private static void FindingsSection(StringBuilder h, AnalysisResult r, HashSet<int> charted)
    {
        IReadOnlyList<Finding> findings = Findings.Top(r, JsonSummaryWriter.MaxFindings);
        h.Append("<section id=\"findings\"><h2>Findings</h2>");
        if (findings.Count == 0)
        {
            h.Append("<p>Nothing to report: no event of this capture is worth a finding.</p>");
        }
        else
        {
            h.Append("<p class=\"meta\">The most severe first; within a severity, each kind's strongest finding (explained for a flow, ")
                .Append("sender or stream before a plain count, then the most frequent) before a second finding of any kind.</p>");
        }
        long?[] firstTimes = Findings.FirstTimes(r, findings);
        for (int i = 0; i < findings.Count; i++)
        {
            Finding f = findings[i];
            string sev = ReportRows.SeverityName(f.Info.Severity);
            h.Append("<div class=\"finding ").Append(sev).Append("\"><div><span class=\"sev ").Append(sev).Append("\">").Append(sev).Append("</span> <b>")
                .Append(E(f.Info.Name)).Append("</b>");
            if (f.FlowId != 0)
            {
                h.Append(" · ");
                FlowLink(h, f.FlowId, charted);
            }
            if (firstTimes[i] is long t and > 0)
            {
                h.Append(" · <span class=\"meta\">").Append(E(CaptureTime.ToIso(t, r.TimestampDigits))).Append("</span>");
            }
            h.Append("</div><div>").Append(E(f.Explanation)).Append("</div><div class=\"advice\"><b>What to do:</b> ").Append(E(f.Advice)).Append("</div></div>\n");
        }
        h.Append("</section>\n");
    }

    private static void EventCountsSection(StringBuilder h, AnalysisResult r)
    {
        h.Append("<section id=\"events\"><h2>Events</h2>");
        // The most severe first, the most frequent first within a severity (catalogue order on ties).
        var counts = new List<EventInfo>();
        foreach ((EventInfo info, long _) in r.Events.Counts())
        {
            counts.Add(info);
        }
        ReportOrder.StableSort(counts, (a, b) => a.Severity != b.Severity ? ReportOrder.MoreSevereFirst(a.Severity, b.Severity)
            : r.Events.Count(b.Kind).CompareTo(r.Events.Count(a.Kind)));
        if (counts.Count == 0)
        {
            h.Append("<p>No events.</p></section>\n");
            return;
        }
        h.Append("<div class=\"scroll\"><table class=\"sortable\" id=\"event-counts\"><thead><tr><th>event</th><th>severity</th><th>count</th><th>what it means</th></tr></thead><tbody>");
        foreach (EventInfo info in counts)
        {
            long count = r.Events.Count(info.Kind);
            h.Append("<tr><td>").Append(E(info.Name)).Append("</td><td data-v=\"").Append((int)info.Severity).Append("\">").Append(ReportRows.SeverityName(info.Severity))
                .Append("</td><td class=\"n\">").Append(count.ToString(CultureInfo.InvariantCulture)).Append("</td><td>").Append(E(info.Summary)).Append("</td></tr>");
        }
        h.Append("</tbody></table></div></section>\n");
    }

    private static void ChartsSection(StringBuilder h, AnalysisResult r, IReadOnlyList<Chart> charts)
    {
        h.Append("<section id=\"charts\"><h2>Charts</h2>");
        if (charts.Count == 0)
        {
            h.Append("<p>No charts were drawn (nothing to chart, or they were not asked for).</p>");
        }
        if (r.SeriesFlowsRefused > 0 && (r.Selection is null || r.Replayed.Count == 0))
        {
            // Which flows can be drawn is decided as they begin (their time series is recorded from the first segment).
            h.Append("<p class=\"meta\">").Append(r.SeriesFlowsRefused.ToString("N0", CultureInfo.InvariantCulture))
                .Append(" TCP flows began while every time-series slot was taken (<code>--series-flows</code>): they could not be drawn")
                .Append(r.Replayed.Count > 0 ? $", but for {r.Replayed.Count.ToString("N0", CultureInfo.InvariantCulture)} with warnings, recorded by a second read of the capture.</p>" : ".</p>");
        }
        foreach (Chart c in charts.Where(c => c.FlowId == 0))
        {
            Figure(h, c);
        }
        List<IGrouping<int, Chart>> chartedFlows = charts.Where(c => c.FlowId != 0).GroupBy(c => c.FlowId).ToList();
        // The charted flows found in one pass over the listed ones (a search of 100,000 flows for each was 8 % of a
        // large capture's report.html).
        var wanted = new HashSet<int>(chartedFlows.Select(g => g.Key));
        var found = new Dictionary<int, Flow>();
        foreach (Flow x in r.Flows)
        {
            if (wanted.Contains(x.Id))
            {
                found.TryAdd(x.Id, x);   // the first with the id, as a search would find
            }
        }
        foreach (IGrouping<int, Chart> flow in chartedFlows)
        {
            string id = flow.Key.ToString(CultureInfo.InvariantCulture);
            found.TryGetValue(flow.Key, out Flow? f);
            string who = f is null ? "" : $": {f.Client.ToString(f.ClientPort)} ↔ {f.Server.ToString(f.ServerPort)}";
            h.Append("<h3 id=\"flow-").Append(id).Append("\">Flow ").Append(id).Append(E(who)).Append("</h3>");
            foreach (Chart c in flow)
            {
                Figure(h, c);
            }
        }
        h.Append("</section>\n");
    }

    private static void Figure(StringBuilder h, Chart c)
    {
        (int width, int height) = PngSize(c.Png);
        h.Append("<figure><img alt=\"").Append(E(c.Title)).Append("\" width=\"").Append(width).Append("\" height=\"").Append(height)
            .Append("\" src=\"data:image/png;base64,");
        AppendBase64(h, c.Png);
        h.Append("\"><figcaption><b>").Append(E(c.Title)).Append(".</b> ")
            .Append(E(c.Caption)).Append(" <span class=\"meta\">(charts/").Append(E(c.FileName)).Append(")</span></figcaption></figure>\n");
    }

    /// <summary>Appends <paramref name="bytes"/> in base64 through a small buffer, without a string of its own.</summary>
    private static void AppendBase64(StringBuilder h, ReadOnlySpan<byte> bytes)
    {
        Span<char> chars = stackalloc char[4096];   // 3,072 bytes a round: a multiple of 3, so no padding in between
        while (!bytes.IsEmpty)
        {
            ReadOnlySpan<byte> part = bytes[..Math.Min(bytes.Length, 3_072)];
            Convert.TryToBase64Chars(part, chars, out int written);
            h.Append(chars[..written]);
            bytes = bytes[part.Length..];
        }
    }

    /// <summary>"flow N", a link to its charts when it has some.</summary>
    private static void FlowLink(StringBuilder h, int flowId, HashSet<int> charted)
    {
        string id = flowId.ToString(CultureInfo.InvariantCulture);
        if (charted.Contains(flowId))
        {
            h.Append("<a href=\"#flow-").Append(id).Append("\">flow ").Append(id).Append("</a>");
        }
        else
        {
            h.Append("flow ").Append(id);
        }
    }

    /// <summary>
    /// The <see cref="MaxTableRows"/> flows the table shows, by id: those with trouble, then the largest, then the
    /// first (<see cref="BestFlows.Compare"/>). Chosen among every flow of the report, the released ones too (the best
    /// of them, <see cref="AnalysisResult.ReleasedBest"/>), so that the table does not depend on which flows memory
    /// kept (--max-listed-flows). Only the shown ones become rows.
    /// </summary>
    private static FlowRow[] ShownFlows(AnalysisResult r)
    {
        var best = new BestFlows();
        foreach (Flow f in r.Flows)
        {
            best.Offer(f);   // ranked from the flow itself: a summary made only for those kept, not for each of 100,000
        }
        foreach (FlowSummary f in r.ReleasedBest)
        {
            best.Offer(f);
        }
        var chosen = new List<FlowSummary>(best.Items);
        ReportOrder.KeepFirst(chosen, static (a, b) => BestFlows.Compare(b, a), MaxTableRows);   // the best first
        ReportOrder.StableSort(chosen, static (a, b) => a.Id.CompareTo(b.Id));
        var rows = new FlowRow[chosen.Count];
        int digits = r.TimestampDigits;
        for (int i = 0; i < rows.Length; i++)
        {
            rows[i] = new FlowRow(chosen[i], digits);
        }
        return rows;
    }

    // Does not compile (a negative constant is no uint) if the table outgrows the flows a spool keeps for it.
    private const uint TableFitsTheKeptFlows = BestFlows.Capacity - MaxTableRows;

    private static void FlowsSection(StringBuilder h, AnalysisResult r, HashSet<int> charted)
    {
        h.Append("<section id=\"flows\"><h2>Flows</h2>");
        FlowRow[] shown = ShownFlows(r);
        (long tcp, long udp, long other) = r.FlowsByProtocol();
        long all = tcp + udp + other;
        if (all > shown.Length)
        {
            h.Append("<p class=\"meta\">").Append(shown.Length.ToString(CultureInfo.InvariantCulture)).Append(" of ").Append(all.ToString(CultureInfo.InvariantCulture))
                .Append(" flows shown (those with retransmissions, zero-window episodes or Nagle stalls first, then the largest); flows.csv lists all.</p>");
        }
        h.Append("<div class=\"scroll\"><table class=\"sortable\" id=\"flow-table\"><thead><tr>");
        foreach (string col in (string[])["id", "proto", "client", "server", "packets", "bytes", "duration s", "retrans", "zero window", "zero window ms", "Nagle stalls", "Nagle ms", "RTT ms", "close"])
        {
            h.Append("<th>").Append(E(col)).Append("</th>");
        }
        // The tunnels a flow came through, last and only when a shown flow came through one: most captures have none.
        bool tunnels = false;
        foreach (FlowRow f in shown)   // a loop, not LINQ over our values (ReportOrder says why)
        {
            tunnels |= f.Tunnel.Length > 0;
        }
        if (tunnels)
        {
            h.Append("<th>tunnel</th>");
        }
        h.Append("</tr></thead><tbody>");
        foreach (FlowRow f in shown)
        {
            h.Append("<tr><td class=\"n\" data-v=\"").Append(f.FlowId.ToString(CultureInfo.InvariantCulture)).Append("\">");
            if (charted.Contains(f.FlowId))
            {
                h.Append("<a href=\"#flow-").Append(f.FlowId.ToString(CultureInfo.InvariantCulture)).Append("\">").Append(f.FlowId.ToString(CultureInfo.InvariantCulture)).Append("</a>");
            }
            else
            {
                h.Append(f.FlowId.ToString(CultureInfo.InvariantCulture));
            }
            h.Append("</td>");
            Text(h, f.Proto);
            Text(h, FlowText.Endpoint(f.Client, f.ClientPort));
            Text(h, FlowText.Endpoint(f.Server, f.ServerPort));
            Num(h, f.PacketsC2S + f.PacketsS2C);
            Num(h, f.BytesC2S + f.BytesS2C);
            Num(h, CaptureTime.Seconds(f.DurationNs));
            Num(h, f.Retransmissions);
            Num(h, f.ZeroWindowEpisodes);
            Num(h, Ms(f.ZeroWindowNs));
            Num(h, f.NagleStalls);
            Num(h, Ms(f.NagleStallNs));
            Num(h, Ms(f.IrttNs));
            Text(h, f.Close);
            if (tunnels)
            {
                Text(h, f.Tunnel);
            }
            h.Append("</tr>");
        }
        h.Append("</tbody></table></div></section>\n");
    }

    private static void EventRowsSection(StringBuilder h, AnalysisResult r)
    {
        h.Append("<section id=\"event-rows\"><h2>Event rows</h2>");
        // Warnings and errors first (they are what the reader looks for), then in time order.
        // Chosen from the events in time order (as events.csv lists them), and only the shown ones formatted.
        IReadOnlyList<AnalysisEvent> inTime = ReportOrder.InTimeOrder(r.Events.Rows);
        var picked = new bool[inTime.Count];
        int budget = MaxTableRows;
        for (int pass = 0; pass < 2; pass++)   // the warnings and errors first, then info rows while room is left
        {
            for (int i = 0; i < inTime.Count && budget > 0; i++)
            {
                if (!picked[i] && (pass == 1 || EventCatalog.Get(inTime[i].Kind).Severity != Severity.Info))
                {
                    picked[i] = true;
                    budget--;
                }
            }
        }
        var shownEvents = new AnalysisEvent[MaxTableRows - budget];
        for (int i = 0, n = 0; i < inTime.Count; i++)
        {
            if (picked[i])
            {
                shownEvents[n++] = inTime[i];
            }
        }
        int total = r.Events.Rows.Count;
        h.Append("<p class=\"meta\">");
        if (total > shownEvents.Length)
        {
            h.Append(shownEvents.Length.ToString(CultureInfo.InvariantCulture)).Append(" of ").Append(total.ToString(CultureInfo.InvariantCulture))
                .Append(" rows shown (warnings and errors first); events.csv lists all. ");
        }
        h.Append("Frame numbers are those of Wireshark (frame.number); click a heading to sort.</p>");
        h.Append("<div class=\"scroll\"><table class=\"sortable\" id=\"event-table\"><thead><tr>");
        foreach (string col in (string[])["time", "flow", "event", "severity", "frame", "source", "destination", "duration ms", "detail"])
        {
            h.Append("<th>").Append(E(col)).Append("</th>");
        }
        h.Append("</tr></thead><tbody>");
        int k = 0;
        foreach (EventRow e in ReportRows.Events(r, shownEvents))
        {
            AnalysisEvent raw = shownEvents[k++];
            h.Append("<tr>");
            Text(h, e.Time);
            Num(h, e.FlowId);
            Text(h, e.Event);
            Text(h, e.Severity);
            Num(h, e.Frame);
            Text(h, FlowText.Endpoint(raw.Src, raw.SrcPort));
            Text(h, FlowText.Endpoint(raw.Dst, raw.DstPort));
            Num(h, e.DurationMs);
            h.Append("<td class=\"detail\">").Append(E(e.Detail)).Append("</td>");
            h.Append("</tr>");
        }
        h.Append("</tbody></table></div></section>\n");
    }

    private static void Fact(StringBuilder h, string name, string value) =>
        h.Append("<dt>").Append(E(name)).Append("</dt><dd>").Append(E(value)).Append("</dd>");

    private static void Text(StringBuilder h, string? value) => h.Append("<td>").Append(E(value ?? "")).Append("</td>");

    /// <summary>A duration in flows.csv's milliseconds; null stays an empty cell.</summary>
    private static string? Ms(long? durationNs) => durationNs is { } ns ? CaptureTime.Milliseconds(ns) : null;

    private static void Num(StringBuilder h, object? value)
    {
        string text = value switch
        {
            null => "",
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };
        h.Append("<td class=\"n\">").Append(E(text)).Append("</td>");
    }

    /// <summary>HTML-encodes text for element content and quoted attribute values (&lt; &gt; &amp; " ' all encoded).</summary>
    internal static string E(string text) => WebUtility.HtmlEncode(text);

    /// <summary>Width and height from a PNG's IHDR chunk (0, 0 when it is not a PNG).</summary>
    public static (int Width, int Height) PngSize(ReadOnlySpan<byte> png) =>
        png.Length >= 24 && png[..8].SequenceEqual((byte[])[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
            ? (System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png[16..]), System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png[20..]))
            : (0, 0);
}
