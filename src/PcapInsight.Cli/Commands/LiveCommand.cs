using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.Live;

namespace PcapInsight.Cli.Commands;

/// <summary>
/// <c>live -i IFACE</c>: capture through libpcap, analyse frames as they arrive with the same pipeline as
/// <c>analyze</c>, show a rolling status, and write the same report when the capture ends (duration, count, Ctrl-C,
/// SIGTERM). <c>-w</c> saves what was captured as pcapng; <c>--report-every</c> rewrites the report while it runs.
/// </summary>
public static class LiveCommand
{
    private static readonly TimeSpan StatusInterval = TimeSpan.FromSeconds(1);

    /// <summary>Builds the command.</summary>
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var iface = new Option<string>("--interface", "-i")
        {
            HelpName = "IFACE",
            Description = "Interface to capture on: a name or an index from 'pcapinsight interfaces'. Example: -i eth0",
            Required = true,
        };
        var filter = new Option<string?>("--filter", "-f")
        {
            HelpName = "BPF",
            Description = "Capture filter in tcpdump's syntax, compiled by libpcap; frames it rejects are never copied. Example: -f 'tcp port 443 or udp'",
        };
        var snaplen = new Option<int>("--snaplen", "-s")
        {
            HelpName = "BYTES",
            Description = "Bytes kept of each frame (headers are what the analysis needs; follow needs whole payloads). Example: -s 256",
            DefaultValueFactory = _ => 262_144,
        };
        var noPromisc = new Option<bool>("--no-promisc") { Description = "Do not put the interface into promiscuous mode (capture only this host's traffic)." };
        var duration = new Option<double>("--duration")
        {
            HelpName = "SECONDS",
            Description = "Stop after this many seconds (wall clock). Default: until -c or Ctrl-C. Example: --duration 60",
        };
        var count = new Option<long>("--count", "-c")
        {
            HelpName = "N",
            Description = "Stop after N frames. Example: -c 100000",
        };
        var write = new Option<string?>("--write", "-w")
        {
            HelpName = "FILE",
            Description = "Also save the captured frames as pcapng (nanosecond timestamps, libpcap's drop counts at the end), readable by analyze, tshark and Wireshark. Example: -w capture.pcapng",
        };
        var reportEvery = new Option<double>("--report-every")
        {
            HelpName = "SECONDS",
            Description = "Write the report folder again every this many seconds with the state so far (flows still open included). Example: --report-every 60",
        };
        var bufferMb = new Option<int>("--buffer-mb")
        {
            HelpName = "MIB",
            Description = "libpcap's kernel buffer (tcpdump -B): frames arriving faster than they are read wait here. Example: --buffer-mb 256",
            DefaultValueFactory = _ => 32,
        };
        var queueFrames = new Option<int>("--queue-frames")
        {
            HelpName = "N",
            Description = "Frames held between the capture and the analysis; past it (or --queue-mb) frames are dropped and counted as queue_drop. Example: --queue-frames 1000000",
            DefaultValueFactory = _ => 65_536,
        };
        var queueMb = new Option<int>("--queue-mb")
        {
            HelpName = "MIB",
            Description = "Captured bytes held between the capture and the analysis. Example: --queue-mb 512",
            DefaultValueFactory = _ => 128,
        };
        var set = new AnalysisOptionSet();
        var command = new Command("live",
            "Capture from a live interface (libpcap), analyse as frames arrive, show a rolling status, and write the same report as analyze when " +
            "the capture ends (--duration, -c, Ctrl-C or SIGTERM). Needs root or CAP_NET_RAW.\n\n" +
            "Examples:\n" +
            "  sudo pcapinsight live -i eth0 --duration 30\n" +
            "  sudo pcapinsight live -i eth0 -f 'host 192.0.2.10 and tcp port 8080' -w slow.pcapng -o report\n" +
            "  sudo pcapinsight live -i any --report-every 60 -o /var/tmp/pcapinsight")
        {
            iface, filter, snaplen, noPromisc, duration, count, write, reportEvery, bufferMb, queueFrames, queueMb,
        };
        set.AddTo(command);
        command.SetAction((parse, cancellation) => Task.FromResult(Execute(set.Read(parse), new LiveSettings
        {
            Live = new LiveOptions
            {
                Interface = parse.GetValue(iface)!,
                Filter = parse.GetValue(filter),
                Snaplen = parse.GetValue(snaplen),
                Promiscuous = !parse.GetValue(noPromisc),
                BufferMb = parse.GetValue(bufferMb),
                QueueFrames = parse.GetValue(queueFrames),
                QueueMb = parse.GetValue(queueMb),
            },
            DurationSeconds = parse.GetValue(duration),
            Count = parse.GetValue(count),
            WritePath = parse.GetValue(write),
            ReportEverySeconds = parse.GetValue(reportEvery),
        }, stdout, stderr, cancellation)));
        return command;
    }

    /// <summary>Runs a live capture. Returns the exit code.</summary>
    public static int Execute(AnalyzeSettings s, LiveSettings live, TextWriter stdout, TextWriter stderr, CancellationToken cancellation = default)
    {
        if (AnalyzeCommand.Prepare(s, stderr) is not { } prepared)
        {
            return ExitCodes.Usage;
        }
        (AnalysisOptions options, HashSet<string> formats) = prepared;
        if (!AnalyzeCommand.ChartsCanBeDrawn(formats, stderr))
        {
            return ExitCodes.InternalError;
        }
        try
        {
            live.Live.Validate();
            if (live.DurationSeconds < 0 || live.Count < 0 || live.ReportEverySeconds < 0)
            {
                throw new ArgumentOutOfRangeException(live.DurationSeconds < 0 ? "--duration" : live.Count < 0 ? "--count" : "--report-every", "must not be negative");
            }
        }
        catch (ArgumentOutOfRangeException ex)
        {
            stderr.WriteLine($"pcapinsight: option {OptionName(ex.ParamName)} {ex.Message.Split(" (Parameter")[0]}");
            return ExitCodes.Usage;
        }

        LiveCaptureSource source;
        try
        {
            source = LiveCaptureSource.Open(live.Live);
        }
        catch (LiveCaptureException ex)
        {
            stderr.WriteLine("pcapinsight: " + ex.Message);
            return ex.Failure == LiveFailure.BadFilter ? ExitCodes.Usage : ExitCodes.LiveCaptureFailed;
        }

        AnalysisResult result;
        using (source)
        {
            PcapNgFileWriter? writer = null;
            try
            {
                if (live.WritePath is { } path)
                {
                    // Written in place (not renamed at the end): a capture that is killed still leaves every block
                    // flushed so far, and readers report a cut last block as a truncated file.
                    writer = new PcapNgFileWriter(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16), "pcapinsight " + CliApp.Version);
                    writer.AddInterface(source.LinkType, live.Live.Snaplen, source.InterfaceName);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"pcapinsight: cannot write {live.WritePath}: {ex.Message}");
                return ExitCodes.InternalError;
            }
            using var stopOnSignal = cancellation.Register(source.Stop);
            result = Capture(source, writer, options, s, formats, live, stdout, stderr);
        }
        using IDisposable spools = result.SpoolFiles();
        AnalyzeCommand.WarnIfSpoolFailed(result, stderr);
        if (source.CaptureError is { } error)
        {
            stderr.WriteLine($"pcapinsight: warning: the capture on {source.InterfaceName} ended early: {error}");
        }
        result = AnalyzeCommand.Select(result, s);
        int written = AnalyzeCommand.WriteReport(result, s, formats, stdout, stderr, printSummary: true);
        return written != ExitCodes.Success ? written : AnalyzeCommand.FailOnCode(result, s);
    }

    private static AnalysisResult Capture(LiveCaptureSource source, PcapNgFileWriter? writer, AnalysisOptions options, AnalyzeSettings s,
        HashSet<string> formats, LiveSettings live, TextWriter stdout, TextWriter stderr)
    {
        var analyzer = new CaptureAnalyzer(options);
        IReadOnlyList<CaptureFileStats> files = [source.Stats];
        bool status = !s.Quiet && !s.Json && !Console.IsErrorRedirected;
        var clock = Stopwatch.StartNew();
        TimeSpan nextStatus = StatusInterval;
        TimeSpan nextReport = live.ReportEverySeconds > 0 ? TimeSpan.FromSeconds(live.ReportEverySeconds) : TimeSpan.MaxValue;
        TimeSpan end = live.DurationSeconds > 0 ? TimeSpan.FromSeconds(live.DurationSeconds) : TimeSpan.MaxValue;
        long lastTimeNs = 0;
        if (!s.Quiet && !s.Json)
        {
            stderr.WriteLine($"pcapinsight: capturing on {source.InterfaceName}{(string.IsNullOrWhiteSpace(live.Live.Filter) ? "" : $" (filter: {live.Live.Filter})")}; Ctrl-C ends the capture and writes the report");
        }
        source.Start();
        try
        {
            while (true)
            {
                LiveRead read = source.Next(TimeSpan.FromMilliseconds(100), out CaptureInfo info, out ReadOnlySpan<byte> data);
                if (read == LiveRead.Ended)
                {
                    break;
                }
                if (read == LiveRead.Frame)
                {
                    writer?.Write(0, info.TimestampNs, data, info.OriginalLength);
                    analyzer.Process(info, data);
                    lastTimeNs = info.TimestampNs;
                    if (live.Count > 0 && analyzer.FramesSeen >= live.Count)
                    {
                        break;   // as tcpdump -c: exactly N frames
                    }
                }
                TimeSpan now = clock.Elapsed;
                if (now >= end)
                {
                    source.Stop();
                    end = TimeSpan.MaxValue;
                }
                if (now >= nextStatus)
                {
                    nextStatus = now + StatusInterval;
                    writer?.Flush();
                    var figures = source.RefreshStatistics();
                    if (status)
                    {
                        stderr.Write($"\r{now.TotalSeconds,6:0}s  frames {analyzer.FramesSeen,10:N0}  flows {analyzer.FlowsSeen,8:N0}  warnings {analyzer.WarningsSeen,8:N0}  drops {figures.KernelDrops + figures.InterfaceDrops + figures.QueueDrops,8:N0} ");
                    }
                }
                if (now >= nextReport)
                {
                    nextReport = now + TimeSpan.FromSeconds(live.ReportEverySeconds);
                    source.RefreshStatistics();
                    AnalyzeCommand.WriteReport(AnalyzeCommand.Select(analyzer.Snapshot(files), s), s, formats, stdout, stderr, printSummary: false);
                }
            }
        }
        finally
        {
            source.Stop();
            var (received, kernel, iface, queue) = source.RefreshStatistics();
            if (status)
            {
                stderr.WriteLine();
            }
            if (writer is not null)
            {
                writer.WriteStatistics(0, lastTimeNs, received, iface, kernel + queue,
                    $"pcapinsight: libpcap dropped {kernel}, the interface {iface}, the analysis queue {queue}");
                writer.Dispose();
            }
            if (!s.Quiet && !s.Json)
            {
                stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"pcapinsight: captured {analyzer.FramesSeen:N0} frames on {source.InterfaceName} in {clock.Elapsed.TotalSeconds:0.0} s; dropped: libpcap {kernel:N0}, interface {iface:N0}, queue {queue:N0}"));
            }
        }
        return analyzer.Finish(files);
    }

    private static string OptionName(string? parameter) => parameter switch
    {
        nameof(LiveOptions.Snaplen) => "--snaplen",
        nameof(LiveOptions.BufferMb) => "--buffer-mb",
        nameof(LiveOptions.QueueFrames) => "--queue-frames",
        nameof(LiveOptions.QueueMb) => "--queue-mb",
        _ => parameter ?? "?",
    };
}

/// <summary>The options of <c>live</c> beyond the analysis ones.</summary>
public sealed record LiveSettings
{
    public required LiveOptions Live { get; init; }
    public double DurationSeconds { get; init; }
    public long Count { get; init; }
    public string? WritePath { get; init; }
    public double ReportEverySeconds { get; init; }
}
