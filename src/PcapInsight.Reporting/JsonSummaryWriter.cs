using PcapInsight.Core.TcpAnalysis;
using System.Text.Json;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Events;

namespace PcapInsight.Reporting;

/// <summary>
/// Writes summary.json: CONTRACT.md's keys (<c>capture</c>, <c>flows</c>, <c>events</c>, <c>findings</c>,
/// <c>version</c>) plus <c>packets</c> (decoder counters) and <c>flow_table</c>. snake_case, raw numbers.
/// </summary>
public static class JsonSummaryWriter
{
    /// <summary>How many findings the summary explains at most.</summary>
    public const int MaxFindings = 20;

    /// <summary>Writes summary.json into <paramref name="directory"/>.</summary>
    public static void Write(AnalysisResult result, string directory, string version) =>
        AtomicFile.Write(Path.Combine(directory, "summary.json"), stream => Write(result, stream, version, indented: true));

    /// <summary>Writes the summary document to <paramref name="stream"/>.</summary>
    public static void Write(AnalysisResult result, Stream stream, string version, bool indented)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = indented });
        int digits = result.TimestampDigits;
        w.WriteStartObject();

        w.WriteStartObject("capture");
        w.WriteStartArray("files");
        foreach (CaptureFileStats f in result.Files)
        {
            w.WriteStartObject();
            w.WriteString("path", f.Path);
            w.WriteString("format", f.Format);
            w.WriteNumber("packets", f.Frames);
            w.WriteNumber("interfaces", f.Interfaces.Count);
            w.WriteBoolean("truncated", f.StoppedEarly);
            if (f.Filter is not null)
            {
                w.WriteString("filter", f.Filter);
                w.WriteNumber("filtered_out", f.FilteredOut);
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (result.Selection is not null)
        {
            w.WriteString("selection", result.Selection);
        }
        w.WriteNumber("packets", result.Packets.Frames);
        w.WriteNumber("bytes", result.Packets.WireBytes);
        w.WriteNumber("captured_bytes", result.Packets.CapturedBytes);
        if (result.Packets.Frames > 0)
        {
            w.WriteString("first_time", CaptureTime.ToIso(result.FirstTimeNs, digits));
            w.WriteString("last_time", CaptureTime.ToIso(result.LastTimeNs, digits));
            w.WriteNumber("duration_s", (result.LastTimeNs - result.FirstTimeNs) / 1e9);
        }
        else
        {
            w.WriteNull("first_time");
            w.WriteNull("last_time");
            w.WriteNull("duration_s");
        }
        w.WriteStartArray("link_types");
        foreach (LinkType link in result.LinkTypes)
        {
            w.WriteStringValue(LinkTypeNames.NumberAndName(link));
        }
        w.WriteEndArray();
        w.WriteBoolean("truncated", result.Truncated);
        w.WriteStartArray("warnings");
        foreach (CaptureWarning warning in result.Warnings)
        {
            w.WriteStringValue($"{Path.GetFileName(result.Files[warning.FileIndex].Path)}: {warning.Message}");
        }
        w.WriteEndArray();
        w.WriteEndObject();

        PacketCounters p = result.Packets;
        w.WriteStartObject("packets");
        w.WriteNumber("ipv4", p.Ipv4);
        w.WriteNumber("ipv6", p.Ipv6);
        w.WriteNumber("tcp", p.Tcp);
        w.WriteNumber("udp", p.Udp);
        w.WriteNumber("icmp", p.Icmp);
        w.WriteNumber("other_ip", p.OtherIp);
        w.WriteNumber("fragments", p.Fragments);
        w.WriteNumber("not_ip", p.NotIp);
        w.WriteNumber("truncated", p.Truncated);
        w.WriteNumber("malformed", p.Malformed);
        w.WriteNumber("unsupported_linktype", p.UnsupportedLinkType);
        w.WriteNumber("snaplen_cut", p.SnaplenCut);
        w.WriteNumber("time_backwards", p.TimeBackwards);
        w.WriteNumber("tunneled", p.Tunneled);
        w.WriteStartObject("tunnels");
        foreach (TunnelKindNames.Entry kind in TunnelKindNames.All)
        {
            w.WriteNumber(kind.Name, p.TunneledIn(kind.Kind));
        }
        w.WriteEndObject();
        w.WriteEndObject();

        w.WriteStartObject("flows");
        // Every flow, also those released from memory past --max-listed-flows.
        (long tcp, long udp, long other) = result.FlowsByProtocol();
        w.WriteNumber("tcp", tcp);
        w.WriteNumber("udp", udp);
        w.WriteNumber("other", other);
        w.WriteEndObject();

        w.WriteStartObject("flow_table");
        w.WriteNumber("created", result.FlowTable.Created);
        w.WriteNumber("peak_active", result.FlowTable.PeakActive);
        w.WriteNumber("expired", result.FlowTable.Expired);
        w.WriteNumber("closed_after_linger", result.FlowTable.ClosedAfterLinger);
        w.WriteNumber("evicted", result.FlowTable.Evicted);
        (long releasedTcp, long releasedUdp, long releasedOther) = result.FlowTable.Released;
        w.WriteNumber("released", releasedTcp + releasedUdp + releasedOther);
        // TCP flows that began while --series-flows flows held a time series: no tcp_series.csv rows, no charts.
        w.WriteNumber("series_refused", result.SeriesFlowsRefused);
        w.WriteEndObject();

        w.WriteStartObject("events");
        foreach ((EventInfo info, long count) in result.Events.Counts())
        {
            w.WriteNumber(info.Name, count);
        }
        w.WriteEndObject();

        // The kernel counters that changed around the capture (--netstat), evidence the capture cannot give.
        if (result.KernelCounterDeltas is { } counters)
        {
            w.WriteStartObject("kernel_counters");
            foreach ((string name, long delta) in counters)
            {
                w.WriteNumber(name, delta);
            }
            w.WriteEndObject();
        }

        // Each host's delayed-ACK timer, as its pure ACKs show it.
        w.WriteStartArray("delayed_ack");
        foreach (DelayedAckProfile host in result.DelayedAckProfiles)
        {
            w.WriteStartObject();
            w.WriteString("host", host.Host.ToString());
            w.WriteNumber("acks", host.Acks);
            w.WriteNumber("delayed", host.Delayed);
            w.WriteNumber("delayed_share", host.Acks == 0 ? 0 : Math.Round((double)host.Delayed / host.Acks, 4));
            w.WriteString("timer_class", host.TimerClass);
            if (host.Delayed > 0)
            {
                w.WriteNumber("timer_ms", host.TimerMs);
            }
            else
            {
                w.WriteNull("timer_ms");
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        // Hosts past --max-ack-profile-hosts: no profile above. Counted one by one up to a bound (16 per profiled
        // host); at_least when the bound was reached.
        w.WriteStartObject("delayed_ack_not_profiled");
        w.WriteNumber("hosts", result.DelayedAckHostsNotProfiled);
        w.WriteBoolean("at_least", result.DelayedAckHostsNotProfiledAtLeast);
        w.WriteEndObject();

        w.WriteStartArray("findings");
        foreach (Finding finding in Findings.Top(result, MaxFindings))
        {
            w.WriteStartObject();
            w.WriteString("event", finding.Info.Name);
            w.WriteString("severity", ReportRows.SeverityName(finding.Info.Severity));
            w.WriteNumber("count", finding.Count);
            if (finding.FlowId > 0)
            {
                w.WriteNumber("flow_id", finding.FlowId);
            }
            else
            {
                w.WriteNull("flow_id");
            }
            w.WriteString("explanation", finding.Explanation);
            w.WriteString("advice", finding.Advice);
            w.WriteString("confidence", finding.Confidence);
            w.WriteEndObject();
        }
        w.WriteEndArray();

        w.WriteString("version", version);
        w.WriteEndObject();
    }
}
