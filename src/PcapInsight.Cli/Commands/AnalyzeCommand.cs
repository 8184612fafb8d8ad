using System.CommandLine;
using System.Runtime.CompilerServices;
using PcapInsight.Charts;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Events;
using PcapInsight.Core.Flows;
using PcapInsight.Core.Fragments;
using PcapInsight.Core.UdpAnalysis;
using PcapInsight.Core.TcpAnalysis;
using PcapInsight.Live;
using PcapInsight.Reporting;

namespace PcapInsight.Cli.Commands;

/// <summary><c>analyze FILE [FILE...] [-o DIR]</c>: read captures, print a summary, write the report files.</summary>
public static class AnalyzeCommand
{
    /// <summary>Report formats this build writes; "all" means these.</summary>
    public static readonly string[] AvailableFormats = ["csv", "json", "png", "html"];

    /// <summary>Formats written only when named (not part of "all").</summary>
    public static readonly string[] OnRequestFormats = ["parquet"];

    /// <summary>Builds the command; output goes to <paramref name="stdout"/> and <paramref name="stderr"/>.</summary>
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var files = new Argument<string[]>("FILE")
        {
            Description = "Capture files (pcap or pcapng, optionally gzip-compressed; '-' reads standard input), or folders of them (rotated captures: tcpdump -G/-C). Several files are one capture, merged by time.",
            Arity = ArgumentArity.OneOrMore,
        };
        var set = new AnalysisOptionSet();
        Option<string?> filter = FilterOption.Create("Analyse");
        var threads = new Option<int?>("--threads")
        {
            HelpName = "N",
            Description = $"Analyse on N threads: flows are divided among them by their addresses (whole partitions of the flow table, so one thread when --max-flows is under 8,192) and the results merged into the report one thread gives, byte for byte (1 to 64; default: the core count, {AnalyzeSettings.DefaultThreads} here, or 1 when the capture's first {ThreadPlan.SamplePackets:N0} packets are nearly all one flow, or open a connection (or a UDP flow not seen again) every {ThreadPlan.PacketsPerNewConnection} packets or more often, which one thread analyses as fast). Example: --threads 1",
        };

        var command = new Command("analyze",
            "Analyse pcap/pcapng files: print a summary and write the report into the output folder: summary.json, flows.csv, events.csv, fragments.csv, udp.csv, charts/*.png and report.html.\n\n" +
            "Examples:\n" +
            "  pcapinsight analyze capture.pcapng\n" +
            "  pcapinsight analyze part1.pcap part2.pcap -o report --fail-on error\n" +
            "  tcpdump -w - -c 1000 | pcapinsight analyze - --json")
        {
            files, filter, threads,
        };
        set.AddTo(command);
        command.SetAction((parse, cancellation) => Task.FromResult(Execute(set.Read(parse) with { Files = parse.GetValue(files) ?? [], Filter = parse.GetValue(filter), Threads = parse.GetValue(threads) }, stdout, stderr, cancellation)));
        return command;
    }

    /// <summary>Runs an analysis with already-parsed settings. Returns the exit code.</summary>
    public static int Execute(AnalyzeSettings s, TextWriter stdout, TextWriter stderr, CancellationToken cancellation = default)
    {
        string? unknownOption = s.Files.FirstOrDefault(f => f.Length > 1 && f[0] == '-');
        if (unknownOption is not null)
        {
            // The FILE argument would swallow a mistyped option; a capture named like an option is read as ./-x.
            stderr.WriteLine($"pcapinsight: unknown option '{unknownOption}' (to read a file of that name, write ./{unknownOption})");
            stderr.WriteLine("Run 'pcapinsight analyze --help' for usage.");
            return ExitCodes.Usage;
        }
        if (Prepare(s, stderr) is not { } prepared)
        {
            return ExitCodes.Usage;
        }
        (AnalysisOptions options, HashSet<string> formats) = prepared;
        if (!ChartsCanBeDrawn(formats, stderr))
        {
            return ExitCodes.InternalError;
        }
        if (!FilterOption.TryCompile(s.Filter, stderr, out BpfFrameFilter? bpf, out int filterError))
        {
            return filterError;
        }
        using var bpfOwner = bpf;

        var sources = new List<IPacketSource>();
        var opened = new List<string>();
        bool anyUnreadable = false;
        foreach ((string path, bool fromFolder) in ExpandFolders(s.Files))
        {
            try
            {
                IPacketSource file = CaptureFile.Open(path, sources.Count, options.Reader);
                sources.Add(FilterOption.Apply(file, bpf));
                opened.Add(path);
            }
            catch (CaptureFormatException ex) when (fromFolder)
            {
                // A folder of rotated captures may hold other files too (a README, a checksum list): say so, go on.
                stderr.WriteLine($"pcapinsight: {path}: skipped, not a capture ({ex.Message})");
            }
            catch (Exception ex) when (ex is CaptureFormatException or IOException or UnauthorizedAccessException)
            {
                anyUnreadable = true;
                stderr.WriteLine($"pcapinsight: {path}: {Describe(ex)}");
            }
        }
        if (sources.Count == 0)
        {
            if (!anyUnreadable)
            {
                // Only folders, and no capture in them.
                stderr.WriteLine($"pcapinsight: {string.Join(", ", s.Files)}: a folder with no capture in it");
            }
            return ExitCodes.InputUnreadable;
        }

        PhaseLog.Mark("inputs opened");
        // The JIT build compiles the chart library's code (about 0.2 s) and Parquet.Net's (about 0.1 s) at their first
        // use: that runs on another core while the capture is analysed, instead of after it. The native build has them
        // compiled already; there a warm-up saved nothing on a sample capture and took the other core from the
        // analysis and the read-ahead thread on a large one (bulk.pcap, bench/RESULTS.md), so it is skipped.
        if (RuntimeFeature.IsDynamicCodeCompiled)
        {
            if (formats.Contains("png") || formats.Contains("html"))
            {
                _ = Task.Run(ChartSet.Warm);
            }
            if (formats.Contains("parquet"))
            {
                _ = Task.Run(ParquetReportWriter.Warm);
            }
        }
        int threads = s.Threads ?? ChooseThreads(opened, sources, options, bpf);
        AnalysisResult result;
        using (IPacketSource source = sources.Count == 1 ? sources[0] : new MergedPacketSource(sources))
        {
            var files = sources.Select(x => x.Stats).ToList();
            using var bar = new ProgressBar(files, stderr, enabled: !s.Quiet && !s.NoProgress && !Console.IsErrorRedirected);
            result = ShardedAnalysis.Run(source, files, options, threads, bar.Update, cancellation);
        }

        // No collection is forced here: the garbage the analysis leaves (on a million connections, the 900,000 released
        // at the end) is left to the collector, since writing the report allocates little: the flow tables decode
        // into summaries they give back (FlowSummaryPool). A forced full collection marked the whole heap of live
        // flows (0.4-0.5 s on flows.pcap) to save about 70 MB of peak RSS (bench/RESULTS.md).
        PhaseLog.Mark("analysis done");
        using IDisposable spools = result.SpoolFiles();
        WarnIfSpoolFailed(result, stderr);
        if (bpf is not null)
        {
            foreach ((Core.Capture.LinkType link, string why) in bpf.Refused)
            {
                stderr.WriteLine($"pcapinsight: warning: the filter does not apply to link type {LinkTypeNames.NumberAndName(link)} ({why}): its frames were left out");
            }
        }
        if (!s.Quiet)
        {
            CaptureWarnings.Print(stderr, result.Files, result.Warnings);
        }

        result = Select(result, s);
        result = SelectedFlowSeries.AddIfMissing(result, s, formats, options, opened, bpf, stderr, cancellation);
        int written = WriteReport(result, s, formats, stdout, stderr, printSummary: true);
        if (written != ExitCodes.Success)
        {
            return written;
        }
        return anyUnreadable ? ExitCodes.InputUnreadable : FailOnCode(result, s);
    }

    /// <summary>
    /// The inputs with each folder replaced by the files in it (not recursively, hidden files left out), in name order:
    /// the files tcpdump -G / -C rotation writes sort by time that way. They are merged by time anyway.
    /// </summary>
    internal static IEnumerable<(string Path, bool FromFolder)> ExpandFolders(IEnumerable<string> inputs)
    {
        foreach (string input in inputs)
        {
            if (input != "-" && Directory.Exists(input))
            {
                foreach (string file in Directory.EnumerateFiles(input).Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal))
                {
                    yield return (file, true);
                }
            }
            else
            {
                yield return (input, false);
            }
        }
    }

    /// <summary>Says so when released flows could not be spooled: flows.csv then lacks them (they are still counted).</summary>
    internal static void WarnIfSpoolFailed(AnalysisResult result, TextWriter stderr)
    {
        if (result.SpoolFailure is ({ } failure, long lost))
        {
            stderr.WriteLine($"pcapinsight: warning: cannot keep flows released past --max-listed-flows on disk ({failure}): {lost:N0} flows are counted but not listed in flows.csv");
        }
    }

    /// <summary>Exit code 5 when --fail-on's severity or worse occurred, else 0.</summary>
    internal static int FailOnCode(AnalysisResult result, AnalyzeSettings s)
    {
        if (s.FailOn is null)
        {
            return ExitCodes.Success;
        }
        Severity threshold = s.FailOn == "error" ? Severity.Error : Severity.Warning;
        return result.Events.Counts().Any(c => c.Info.Severity >= threshold) ? ExitCodes.FailOnThreshold : ExitCodes.Success;
    }

    /// <summary>
    /// The thread count when <c>--threads</c> is left out (<see cref="ThreadPlan"/>): judged from the first capture
    /// opened a second time, through the same filter. Only a regular file can be read twice (its length is known):
    /// a pipe (standard input, <c>&lt;(tcpdump -w -)</c>, a FIFO) would lose to the sample the bytes the analysis
    /// needs, and a compressed file has no length to tell; those run on every core.
    /// </summary>
    private static int ChooseThreads(IReadOnlyList<string> paths, IReadOnlyList<IPacketSource> sources, AnalysisOptions options, BpfFrameFilter? bpf)
    {
        int cores = AnalyzeSettings.DefaultThreads;
        if (cores == 1 || paths.Count == 0 || sources[0].Stats.FileBytes <= 0)
        {
            return cores;
        }
        try
        {
            ThreadChoice choice = ThreadPlan.Choose(paths[0], cores, options.Reader, source => FilterOption.Apply(source, bpf), options.Flows.MaxFlows);
            PhaseLog.Mark("threads chosen: " + choice);
            return choice.Threads;
        }
        catch (Exception ex) when (ex is CaptureFormatException or IOException or UnauthorizedAccessException)
        {
            return cores;   // the analysis itself meets the same trouble and reports it
        }
    }

    /// <summary>
    /// Checks the settings and turns them into analysis options and the set of formats; null (after saying why on
    /// <paramref name="stderr"/>) when they are not usable.
    /// </summary>
    internal static (AnalysisOptions Options, HashSet<string> Formats)? Prepare(AnalyzeSettings s, TextWriter stderr)
    {
        if (!TryParseFormats(s.Formats, out HashSet<string> formats, out string? formatError))
        {
            stderr.WriteLine("pcapinsight: " + formatError);
            return null;
        }
        if (s.Threads is < 1 or > 64)
        {
            stderr.WriteLine($"pcapinsight: option --threads must be 1 to 64 (got {s.Threads})");
            return null;
        }
        UdpSequenceSpec? udpSequence = null;
        if (s.UdpSequence is { } udpSeqText)
        {
            udpSequence = UdpSequenceSpec.Parse(udpSeqText, out string? udpSeqError);
            if (udpSequence is null)
            {
                stderr.WriteLine("pcapinsight: option --udp-seq " + udpSeqError);
                return null;
            }
        }
        List<(string Name, long Delta)>? counterDeltas = null;
        if (s.Netstat is { Length: 2 } snapshots)
        {
            try
            {
                counterDeltas = KernelCounters.Deltas(KernelCounters.Parse(File.ReadAllText(snapshots[0])), KernelCounters.Parse(File.ReadAllText(snapshots[1])));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
            {
                stderr.WriteLine($"pcapinsight: --netstat: {ex.Message}");
                return null;
            }
        }
        AnalysisOptions options;
        try
        {
            options = new AnalysisOptions
            {
                Reader = new CaptureReaderOptions { MaxFrameBytes = s.MaxFrameBytes },
                Flows = new FlowTableOptions { MaxFlows = s.MaxFlows, MaxListedFlows = s.MaxListedFlows, IdleTimeout = TimeSpan.FromSeconds(s.FlowTimeoutSeconds),
                    CloseLinger = TimeSpan.FromSeconds(s.CloseLingerSeconds) },
                MaxEventRows = s.MaxEvents,
                Nagle = s.Nagle,
                Fragments = s.Fragments,
                UdpSequence = udpSequence,
                KernelCounterDeltas = counterDeltas,
                ReceiveBuffer = s.ReceiveBuffer,
                DnsTimeout = TimeSpan.FromSeconds(Math.Clamp(s.DnsTimeoutSeconds, 0, 1e9)),
                TunnelDepth = s.TunnelDepth,
                // Charts draw from the time series: keep a few more flows than are charted, so that the ones chosen at
                // the end (those with findings) are still among them.
                SeriesFlows = formats.Contains("png") || formats.Contains("html")
                    ? Math.Max(s.SeriesFlows, s.Charts.MaxChartedFlows * ChartOptions.SeriesFlowsPerChartedFlow)
                    : s.SeriesFlows,
                SeriesPoints = s.SeriesPoints,
                // Flows released past --max-listed-flows wait beside the report for flows.csv (a hidden file, deleted after).
                SpoolDirectory = s.OutputDirectory,
            };
            options.Validate();
            s.Charts.Validate();
        }
        catch (Exception ex) when (ex is ArgumentException or OverflowException)
        {
            stderr.WriteLine($"pcapinsight: option {OptionName((ex as ArgumentException)?.ParamName)} {ex.Message.Split(" (Parameter")[0]}");
            return null;
        }

        if (s.SelectHost is { } host && !System.Net.IPAddress.TryParse(host, out _))
        {
            stderr.WriteLine($"pcapinsight: option --host: '{host}' is not an IPv4 or IPv6 address");
            return null;
        }
        if (s.SelectPort is { } port && port is < 0 or > 65535)
        {
            stderr.WriteLine($"pcapinsight: option --port: {port} is not a port (0 to 65535)");
            return null;
        }
        foreach ((string name, string? time) in (ReadOnlySpan<(string, string?)>)[("--from", s.SelectFrom), ("--to", s.SelectTo)])
        {
            if (time is not null && ResultSelection.ParseTime(time, 0) is null)
            {
                stderr.WriteLine($"pcapinsight: option {name}: '{time}' is neither an ISO 8601 time nor seconds after the first frame");
                return null;
            }
        }
        return (options, formats);
    }

    /// <summary>The report's selection (--flow, --host, --port, --from, --to), times resolved against the capture's first frame.</summary>
    internal static AnalysisResult Select(AnalysisResult result, AnalyzeSettings s) => new ResultSelection
    {
        FlowId = s.SelectFlow,
        Host = s.SelectHost is { } h ? Core.Decoding.IpAddr.Parse(h) : null,
        Port = s.SelectPort is { } p ? (ushort)p : null,
        FromNs = s.SelectFrom is { } from ? ResultSelection.ParseTime(from, result.FirstTimeNs) : null,
        ToNs = s.SelectTo is { } to ? ResultSelection.ParseTime(to, result.FirstTimeNs) : null,
    }.Apply(result);

    /// <summary>
    /// False, after saying why and what to do, when the formats need charts (png, html) and the chart library cannot
    /// load: said before the capture is read, not after its analysis.
    /// </summary>
    internal static bool ChartsCanBeDrawn(HashSet<string> formats, TextWriter stderr)
    {
        if ((formats.Contains("png") || formats.Contains("html")) && ChartSet.WhyChartsCannotBeDrawn() is { } why)
        {
            stderr.WriteLine($"pcapinsight: cannot draw the report's charts (--format png, html): {why}.");
            stderr.WriteLine("Copy libSkiaSharp.so from the folder pcapinsight was built or installed in to the program's folder, or write the tables alone: --format csv,json");
            return false;
        }
        return true;
    }

    /// <summary>
    /// Writes the report files the formats name into the output folder and, when <paramref name="printSummary"/>,
    /// the summary (or --json) on stdout. Returns 0, or 1 when the folder cannot be written.
    /// </summary>
    internal static int WriteReport(AnalysisResult result, AnalyzeSettings s, HashSet<string> formats, TextWriter stdout, TextWriter stderr, bool printSummary)
    {
        try
        {
            Directory.CreateDirectory(s.OutputDirectory);
            // summary.json is written last and marks a complete report: the one of an earlier run goes first, so a
            // run that fails half-way (disk full) never leaves new files beside an old summary that looks complete.
            if (formats.Contains("json"))
            {
                File.Delete(Path.Combine(s.OutputDirectory, "summary.json"));
            }
            if (formats.Contains("csv"))
            {
                CsvReportWriter.WriteTables(result, s.OutputDirectory, series: s.SeriesFlows > 0);
                PhaseLog.Mark("csv written");
            }
            IReadOnlyList<Chart> drawn = formats.Contains("png") || formats.Contains("html") ? ChartSet.Draw(result, s.Charts) : [];
            PhaseLog.Mark("charts drawn");
            if (formats.Contains("png"))
            {
                ChartFiles.Write(drawn, s.OutputDirectory);
                PhaseLog.Mark("charts written");
            }
            if (formats.Contains("html"))
            {
                HtmlReportWriter.Write(result, drawn, s.OutputDirectory, CliApp.Version);
                PhaseLog.Mark("report.html written");
            }
            if (formats.Contains("parquet"))
            {
                ParquetReportWriter.WriteTables(result, s.OutputDirectory);
            }
            if (formats.Contains("json"))
            {
                JsonSummaryWriter.Write(result, s.OutputDirectory, CliApp.Version);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"pcapinsight: cannot write the report into {s.OutputDirectory}: {ex.Message}");
            return ExitCodes.InternalError;
        }

        PhaseLog.Mark("report written");
        if (!printSummary)
        {
            return ExitCodes.Success;
        }
        if (s.Json)
        {
            using Stream stdoutStream = new MemoryStream();
            JsonSummaryWriter.Write(result, stdoutStream, CliApp.Version, indented: true);
            stdout.WriteLine(System.Text.Encoding.UTF8.GetString(((MemoryStream)stdoutStream).ToArray()));
        }
        else if (!s.Quiet)
        {
            ConsoleSummary.Write(result, stdout, s.OutputDirectory, formats, s.SeriesFlows > 0, s.Color);
        }

        return ExitCodes.Success;
    }

    private static bool TryParseFormats(string text, out HashSet<string> formats, out string? error)
    {
        formats = new HashSet<string>(StringComparer.Ordinal);
        error = null;
        foreach (string raw in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string f = raw.ToLowerInvariant();
            if (f == "all")
            {
                formats.UnionWith(AvailableFormats);
            }
            else if (AvailableFormats.Contains(f) || OnRequestFormats.Contains(f))
            {
                formats.Add(f);
            }
            else
            {
                error = $"--format: unknown format '{raw}'; available: {string.Join(", ", AvailableFormats.Concat(OnRequestFormats))}, all";
                return false;
            }
        }
        if (formats.Count == 0)
        {
            error = "--format: name at least one format";
            return false;
        }
        return true;
    }

    internal static string Describe(Exception ex) => ex switch
    {
        FileNotFoundException => "no such file",
        DirectoryNotFoundException => "no such file or directory",
        UnauthorizedAccessException => "permission denied",
        CaptureFormatException => ex.Message,
        _ => ex.Message,
    };

    private static string OptionName(string? parameter) => parameter switch
    {
        nameof(FlowTableOptions.MaxFlows) => "--max-flows",
        nameof(FlowTableOptions.IdleTimeout) => "--flow-timeout",
        nameof(FlowTableOptions.CloseLinger) => "--close-linger",
        nameof(FlowTableOptions.MaxListedFlows) => "--max-listed-flows",
        nameof(AnalysisOptions.MaxEventRows) => "--max-events",
        nameof(CaptureReaderOptions.MaxFrameBytes) => "--max-frame-bytes",
        nameof(NagleOptions) => "--delayed-ack-min-ms/--nagle-release-ms/--nagle-answer-ms",
        nameof(NagleOptions.MaxProfiledHosts) => "--max-ack-profile-hosts",
        nameof(AnalysisOptions.SeriesFlows) => "--series-flows",
        nameof(FragmentOptions.Ipv4Timeout) => "--frag-timeout",
        nameof(FragmentOptions.MaxDatagrams) => "--max-frag-datagrams",
        nameof(FragmentOptions.MaxBytes) => "--max-frag-bytes",
        nameof(FragmentOptions.TinyBytes) => "--frag-tiny-bytes",
        nameof(FragmentOptions.Policy) => "--frag-policy",
        nameof(AnalysisOptions.DnsTimeout) => "--dns-timeout",
        nameof(AnalysisOptions.TunnelDepth) => "--tunnel-depth",
        nameof(AnalysisOptions.ReceiveBuffer) => "--rcvbuf",
        nameof(AnalysisOptions.SeriesPoints) => "--series-points",
        nameof(ChartOptions.MaxChartedFlows) => "--charts",
        _ => parameter ?? "?",
    };
}

/// <summary>The options of <c>analyze</c>, parsed.</summary>
public sealed record AnalyzeSettings
{
    public string[] Files { get; init; } = [];
    public string OutputDirectory { get; init; } = "pcapinsight-report";
    public string Formats { get; init; } = "all";
    public string? Filter { get; init; }
    public bool Quiet { get; init; }
    public bool Json { get; init; }
    public string? FailOn { get; init; }
    public int MaxFlows { get; init; } = new FlowTableOptions().MaxFlows;
    public double FlowTimeoutSeconds { get; init; } = new FlowTableOptions().IdleTimeout.TotalSeconds;
    public double CloseLingerSeconds { get; init; } = new FlowTableOptions().CloseLinger.TotalSeconds;
    public int MaxListedFlows { get; init; } = new FlowTableOptions().MaxListedFlows;
    public int? SelectFlow { get; init; }
    public string? SelectHost { get; init; }
    public int? SelectPort { get; init; }
    public string? SelectFrom { get; init; }
    public string? SelectTo { get; init; }
    public int MaxEvents { get; init; } = new AnalysisOptions().MaxEventRows;
    public int MaxFrameBytes { get; init; } = CaptureReaderOptions.Default.MaxFrameBytes;
    public bool NoProgress { get; init; }
    public NagleOptions Nagle { get; init; } = new();
    public int SeriesFlows { get; init; }
    public FragmentOptions Fragments { get; init; } = new();
    public string? UdpSequence { get; init; }
    public string[]? Netstat { get; init; }
    public long ReceiveBuffer { get; init; }
    public double DnsTimeoutSeconds { get; init; } = new AnalysisOptions().DnsTimeout.TotalSeconds;
    public int TunnelDepth { get; init; } = new AnalysisOptions().TunnelDepth;
    public int SeriesPoints { get; init; } = new AnalysisOptions().SeriesPoints;
    public ChartOptions Charts { get; init; } = new();
    public bool Color { get; init; }

    /// <summary>Analysis threads (<c>--threads</c>), at most 64; null: chosen from the core count and the capture (<see cref="ThreadPlan"/>).</summary>
    public int? Threads { get; init; }

    /// <summary>The machine's core count, capped at 64.</summary>
    public static int DefaultThreads => Math.Clamp(Environment.ProcessorCount, 1, 64);
}
