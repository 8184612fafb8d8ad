using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;

namespace PcapInsight.Cli.Commands;

/// <summary>
/// <c>info</c>: what a capture holds, as capinfos tells it (format, link types, packets, bytes, times, drops) plus
/// a protocol census, from one read-and-decode pass without analysis: seconds on gigabytes.
/// </summary>
public static class InfoCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var files = new Argument<string[]>("FILE") { Arity = ArgumentArity.OneOrMore, Description = "pcap or pcapng files (gzip too); - for standard input." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object per file instead of the table." };
        var command = new Command("info",
            "Say what a capture holds without analysing it: format, link types, snaplen, packets, bytes, first and last time, " +
            "interface drops, IPv4/IPv6/TCP/UDP/ICMP/fragment counts and damage. One read-and-decode pass: the fastest " +
            "look at a big file, and the floor the full analysis is measured against.\n\nExamples:\n" +
            "  pcapinsight info trace.pcap\n  pcapinsight info --json a.pcapng b.pcap.gz")
        { files, json };
        command.SetAction((parse, cancellation) =>
            Task.FromResult(Execute(parse.GetValue(files)!, parse.GetValue(json), stdout, stderr, cancellation)));
        return command;
    }

    internal static int Execute(string[] paths, bool json, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        int exit = ExitCodes.Success;
        foreach (string path in paths)
        {
            IPacketSource source;
            try
            {
                source = CaptureFile.Open(path);
            }
            catch (Exception ex) when (ex is CaptureFormatException or IOException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"pcapinsight: {path}: {AnalyzeCommand.Describe(ex)}");
                exit = ExitCodes.InputUnreadable;
                continue;
            }
            using (source)
            {
                CaptureCensus census = CaptureCensus.Of(source, cancellation);
                if (json)
                {
                    stdout.WriteLine(Json(path, source.Stats, census));
                }
                else
                {
                    Table(path, source.Stats, census, stdout);
                }
            }
        }
        return exit;
    }

    private static string Time(long ns, CaptureFileStats stats) => CaptureTime.ToIso(ns, stats.TimestampDigits);

    private static void Table(string path, CaptureFileStats stats, CaptureCensus c, TextWriter o)
    {
        var inv = CultureInfo.InvariantCulture;
        double seconds = (c.LastTimeNs - c.FirstTimeNs) / 1e9;
        o.WriteLine(path);
        o.WriteLine($"  format          {stats.Format}");
        o.WriteLine($"  link types      {string.Join(", ", stats.Interfaces.Select(i => LinkTypeNames.Name(i.LinkType)).Distinct())}");
        o.WriteLine($"  snaplen         {string.Join(", ", stats.Interfaces.Select(i => i.Snaplen).Distinct())}");
        o.WriteLine(string.Create(inv, $"  packets         {c.Frames:N0}"));
        o.WriteLine(string.Create(inv, $"  bytes           {c.CapturedBytes:N0} captured, {c.WireBytes:N0} on the wire"));
        if (c.Frames > 0)
        {
            o.WriteLine($"  first / last    {Time(c.FirstTimeNs, stats)} / {Time(c.LastTimeNs, stats)}");
            o.WriteLine(string.Create(inv, $"  duration        {seconds:0.######} s{(seconds > 0 ? $", {c.Frames / seconds:0.#} packets/s, {c.WireBytes * 8 / seconds / 1e6:0.###} Mbit/s" : "")}"));
        }
        o.WriteLine(string.Create(inv, $"  IPv4 / IPv6     {c.Ipv4:N0} / {c.Ipv6:N0}"));
        o.WriteLine(string.Create(inv, $"  TCP / UDP / ICMP / other   {c.Tcp:N0} / {c.Udp:N0} / {c.Icmp:N0} / {c.OtherIp:N0}"));
        o.WriteLine(string.Create(inv, $"  IP fragments    {c.Fragments:N0}"));
        if (c.Tunneled > 0)
        {
            o.WriteLine(string.Create(inv, $"  tunneled        {c.Tunneled:N0} (counted above by the datagram inside)"));
        }
        o.WriteLine(string.Create(inv, $"  not IP          {c.NotIp:N0}"));
        o.WriteLine(string.Create(inv, $"  damaged frames  {c.Truncated:N0} cut inside a header, {c.Malformed:N0} malformed, {c.UnsupportedLinkType:N0} of an unsupported link type"));
        if (c.OutOfOrderTimestamps > 0)
        {
            o.WriteLine(string.Create(inv, $"  out of order    {c.OutOfOrderTimestamps:N0} frames earlier than the frame before"));
        }
        long drops = stats.Interfaces.Sum(i => i.TotalDrops);
        if (stats.Interfaces.Any(i => i.InterfaceDrops >= 0 || i.OsDrops >= 0))
        {
            o.WriteLine(string.Create(inv, $"  drops           {drops:N0} (interface statistics)"));
        }
        foreach (CaptureWarning w in stats.Warnings)
        {
            o.WriteLine($"  warning         {w.Message}");
        }
    }

    private static string Json(string path, CaptureFileStats stats, CaptureCensus c) => JsonSerializer.Serialize(new InfoJson(
        File: path,
        Format: stats.Format,
        LinkTypes: [.. stats.Interfaces.Select(i => LinkTypeNames.Name(i.LinkType)).Distinct()],
        Snaplen: [.. stats.Interfaces.Select(i => i.Snaplen).Distinct()],
        Packets: c.Frames,
        CapturedBytes: c.CapturedBytes,
        WireBytes: c.WireBytes,
        FirstTime: c.Frames > 0 ? Time(c.FirstTimeNs, stats) : null,
        LastTime: c.Frames > 0 ? Time(c.LastTimeNs, stats) : null,
        DurationS: (c.LastTimeNs - c.FirstTimeNs) / 1e9,
        Ipv4: c.Ipv4, Ipv6: c.Ipv6, Tcp: c.Tcp, Udp: c.Udp, Icmp: c.Icmp, OtherIp: c.OtherIp,
        Fragments: c.Fragments, NotIp: c.NotIp, Truncated: c.Truncated, Malformed: c.Malformed,
        UnsupportedLinkType: c.UnsupportedLinkType, Tunneled: c.Tunneled, OutOfOrder: c.OutOfOrderTimestamps,
        Drops: stats.Interfaces.Any(i => i.InterfaceDrops >= 0 || i.OsDrops >= 0) ? stats.Interfaces.Sum(i => i.TotalDrops) : null,
        Warnings: [.. stats.Warnings.Select(w => w.Message)]), CliJson.Default.InfoJson);
}
