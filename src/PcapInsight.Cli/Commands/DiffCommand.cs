using System.CommandLine;
using System.Globalization;
using PcapInsight.Core.Capture;
using PcapInsight.Core.TwoPoint;
using PcapInsight.Reporting;

namespace PcapInsight.Cli.Commands;

/// <summary><c>diff SENDER RECEIVER [-o DIR]</c>: what the path between two capture points lost, duplicated and reordered.</summary>
public static class DiffCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var sender = new Argument<string>("SENDER") { Description = "Capture taken on the sending side." };
        var receiver = new Argument<string>("RECEIVER") { Description = "Capture of the same traffic taken on the receiving side." };
        var output = new Option<string>("--output", "-o")
        {
            Description = "Folder for diff.csv. Example: -o diff-report",
            DefaultValueFactory = _ => "pcapinsight-diff",
            HelpName = "DIR",
        };
        var maxPackets = new Option<long>("--max-packets")
        {
            Description = "Packets kept per capture for matching (about 100 bytes each); past it the capture's rest is not compared, and stderr says so. Example: --max-packets 50000000",
            DefaultValueFactory = _ => 20_000_000,
            HelpName = "N",
        };
        Option<string?> filter = FilterOption.Create("Compare");
        var command = new Command("diff",
            "Compare two captures of the same traffic taken at two points and list exactly which packets the path between them lost, " +
            "duplicated or reordered, with one-way delay figures. Packets are matched by what routers leave alone (TTL, checksums and " +
            "the two machines' clocks do not matter); each packet's direction comes from its TTL, or from time when no router is between the points.\n\n" +
            "Examples:\n" +
            "  pcapinsight diff client.pcap server.pcap\n" +
            "  pcapinsight diff sender.pcapng receiver.pcapng -o path-report")
        {
            sender, receiver, output, maxPackets, filter,
        };
        command.SetAction(parse => Execute(parse.GetValue(sender)!, parse.GetValue(receiver)!, parse.GetValue(output)!, parse.GetValue(maxPackets),
            parse.GetValue(filter), stdout, stderr));
        return command;
    }

    private static int Execute(string senderPath, string receiverPath, string outputDirectory, long maxPackets, string? filterExpression,
        TextWriter stdout, TextWriter stderr)
    {
        if (!FilterOption.TryCompile(filterExpression, stderr, out var bpf, out int filterError))
        {
            return filterError;
        }
        using var bpfOwner = bpf;
        if (maxPackets < 1)
        {
            stderr.WriteLine("pcapinsight: --max-packets must be at least 1");
            return ExitCodes.Usage;
        }
        IPacketSource? first = null, second = null;
        try
        {
            try
            {
                first = FilterOption.Apply(CaptureFile.Open(senderPath, 0), bpf);
                second = FilterOption.Apply(CaptureFile.Open(receiverPath, 1), bpf);
            }
            catch (Exception ex) when (ex is CaptureFormatException or IOException or UnauthorizedAccessException)
            {
                string which = first is null ? senderPath : receiverPath;
                stderr.WriteLine($"pcapinsight: {which}: {(ex is FileNotFoundException ? "no such file" : ex.Message)}");
                return ExitCodes.InputUnreadable;
            }
            TwoPointResult r = TwoPointDiff.Compare(first, second, maxPackets);
            // A damaged or truncated file was compared up to where reading stopped: say where, as analyze does.
            foreach ((IPacketSource source, string path, bool cut) in new[] { (first, senderPath, r.FirstCut), (second, receiverPath, r.SecondCut) })
            {
                foreach (CaptureWarning warning in source.Stats.Warnings)
                {
                    CaptureWarnings.Print(stderr, path, warning.Message);
                }
                if (cut)
                {
                    CaptureWarnings.Print(stderr, path, $"more than --max-packets {maxPackets} packets: only the first {maxPackets} were compared, " +
                        "so packets of the other capture after them may be listed as lost or duplicated");
                }
            }
            try
            {
                Directory.CreateDirectory(outputDirectory);
                CsvReportWriter.Write(Path.Combine(outputDirectory, "diff.csv"), Columns, Rows(r, Path.GetFileName(senderPath), Path.GetFileName(receiverPath)));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"pcapinsight: cannot write {outputDirectory}: {ex.Message}");
                return ExitCodes.InternalError;
            }
            int forward = r.Lost.Count(l => l.Forward);
            stdout.WriteLine($"Matched {r.Matched} packets at both points.");
            stdout.WriteLine($"Lost between the points: {forward} from {Path.GetFileName(senderPath)}'s side, {r.Lost.Count - forward} from {Path.GetFileName(receiverPath)}'s side");
            stdout.WriteLine($"Duplicated on the way: {r.Duplicated.Count}; arrived out of order: {r.Reordered}");
            if (r.Matched > 0)
            {
                stdout.WriteLine($"Receiver time - sender time (clock offset + one-way delay): min {Ms(r.Delay.Min)} ms, median {Ms(r.Delay.Median)} ms, max {Ms(r.Delay.Max)} ms; "
                    + $"delay above the minimum: median {Ms(r.Delay.Median - r.Delay.Min)} ms, max {Ms(r.Delay.Max - r.Delay.Min)} ms");
            }
            if (r.UnknownDirection > 0)
            {
                stdout.WriteLine($"{r.UnknownDirection} packets seen at one point only whose direction could not be told (not listed).");
            }
            stdout.WriteLine($"Report: {Path.GetFullPath(outputDirectory)} (diff.csv)");
            return ExitCodes.Success;
        }
        finally
        {
            first?.Dispose();
            second?.Dispose();
        }
    }

    private static string Ms(long ns) => (ns / 1e6).ToString("0.###", CultureInfo.InvariantCulture);

    private sealed record Row(string Event, string Direction, string File, long Frame, string Time, string Src, string Dst, string Packet);

    private static readonly IReadOnlyList<CsvColumn<Row>> Columns =
    [
        new("event", (w, r) => w.WriteField(r.Event)),
        new("direction", (w, r) => w.WriteField(r.Direction)),
        new("file", (w, r) => w.WriteField(r.File)),
        new("frame", (w, r) => w.WriteField(r.Frame, default)),
        new("time", (w, r) => w.WriteField(r.Time)),
        new("src", (w, r) => w.WriteField(r.Src)),
        new("dst", (w, r) => w.WriteField(r.Dst)),
        new("packet", (w, r) => w.WriteField(r.Packet)),
    ];

    private static IEnumerable<Row> Rows(TwoPointResult r, string senderFile, string receiverFile)
    {
        foreach ((DiffItem item, string kind) in r.Lost.Select(l => (l, "lost")).Concat(r.Duplicated.Select(d => (d, "duplicated"))))
        {
            PointPacket p = item.Packet;
            string prefix = p.Protocol switch { 17 => "udp", 6 => "tcp", _ => "ip" };
            // A lost forward packet is listed from the sender's capture; a lost reverse one and a duplicate from the receiver's.
            bool fromSenderFile = kind == "lost" && item.Forward;
            yield return new Row($"{prefix}.{kind}", item.Forward ? "forward" : "reverse", fromSenderFile ? senderFile : receiverFile, p.Frame,
                Core.Analysis.CaptureTime.ToIso(p.TimeNs, 6), p.Src.ToString(), p.Dst.ToString(), p.Describe);
        }
    }
}
