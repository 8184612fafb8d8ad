using System.CommandLine;
using PcapInsight.Charts;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Events;
using PcapInsight.Core.Flows;
using PcapInsight.Core.Fragments;
using PcapInsight.Core.UdpAnalysis;
using PcapInsight.Core.TcpAnalysis;
using PcapInsight.Reporting;

namespace PcapInsight.Cli.Commands;

/// <summary><c>analyze FILE [FILE...] [-o DIR]</c>: read captures, print a summary, write the report files.</summary>
public static class AnalyzeCommand
{
    /// <summary>Report formats this build writes; "all" means these.</summary>
    public static readonly string[] AvailableFormats = ["csv", "json", "png", "html"];

    /// <summary>Builds the command; output goes to <paramref name="stdout"/> and <paramref name="stderr"/>.</summary>
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var files = new Argument<string[]>("FILE")
        {
            Description = "Capture files (pcap or pcapng, optionally gzip-compressed; '-' reads standard input). Several files are one capture, merged by time.",
            Arity = ArgumentArity.OneOrMore,
        };
        var output = new Option<string>("--output", "-o")
        {
            HelpName = "DIR",
            Description = "Folder for the report files (created if missing). Example: -o /tmp/report",
            DefaultValueFactory = _ => "pcapinsight-report",
        };
        var format = new Option<string>("--format")
        {
            HelpName = "LIST",
            Description = "Report files to write, comma-separated: csv (flows.csv, events.csv, fragments.csv, udp.csv), json (summary.json), png (charts/*.png), html (report.html, charts embedded), or all. Example: --format csv,json",
            DefaultValueFactory = _ => "all",
        };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print nothing but errors." };
        var json = new Option<bool>("--json") { Description = "Print the summary as JSON on stdout instead of tables (the same document as summary.json)." };
        var failOn = new Option<string?>("--fail-on")
        {
            Description = "Exit with code 5 when an event of this severity or worse occurred: warning or error. Example: --fail-on error",
        };
        failOn.AcceptOnlyFromAmong("warning", "error");
        var maxFlows = new Option<int>("--max-flows")
        {
            HelpName = "N",
            Description = "Flows held at once; when full, the least recently active is closed early (event capture.flow_table_full). Example: --max-flows 200000",
            DefaultValueFactory = _ => new FlowTableOptions().MaxFlows,
        };
        var flowTimeout = new Option<double>("--flow-timeout")
        {
            HelpName = "SECONDS",
            Description = "Seconds of capture time after which an idle flow is closed; a later packet starts a new flow. Example: --flow-timeout 120",
            DefaultValueFactory = _ => new FlowTableOptions().IdleTimeout.TotalSeconds,
        };
        var maxEvents = new Option<int>("--max-events")
        {
            HelpName = "N",
            Description = "Rows kept in events.csv; every event is still counted in summary.json. Example: --max-events 10000",
            DefaultValueFactory = _ => new AnalysisOptions().MaxEventRows,
        };
        var maxFrameBytes = new Option<int>("--max-frame-bytes")
        {
            HelpName = "BYTES",
            Description = "Largest captured frame accepted; a record claiming more is treated as file damage (65536 to 268435456). Example: --max-frame-bytes 1048576",
            DefaultValueFactory = _ => CaptureReaderOptions.Default.MaxFrameBytes,
        };
        var nagleHold = new Option<double>("--delayed-ack-min-ms")
        {
            HelpName = "MS",
            Description = "An ACK held at least this long (after the path's round trip) was held by a delayed-ACK timer: the threshold of tcp.delayed_ack and tcp.nagle_stall. Example: --delayed-ack-min-ms 30",
            DefaultValueFactory = _ => new NagleOptions().MinHoldMs,
        };
        var nagleRelease = new Option<double>("--nagle-release-ms")
        {
            HelpName = "MS",
            Description = "A held segment counts as released by the ACK when it leaves within this long of it (plus a quarter of the round trip to its sender). Example: --nagle-release-ms 2",
            DefaultValueFactory = _ => new NagleOptions().ReleaseMs,
        };
        var nagleAnswer = new Option<double>("--nagle-answer-ms")
        {
            HelpName = "MS",
            Description = "A peer answer within this long of the released segment makes a stall the write-write-read pattern. Example: --nagle-answer-ms 50",
            DefaultValueFactory = _ => new NagleOptions().AnswerMs,
        };
        var ackHosts = new Option<int>("--max-ack-profile-hosts")
        {
            HelpName = "N",
            Description = "Hosts whose delayed-ACK timer is profiled (summary.json delayed_ack); later hosts are not. Example: --max-ack-profile-hosts 100000",
            DefaultValueFactory = _ => new NagleOptions().MaxProfiledHosts,
        };
        var seriesFlows = new Option<int>("--series-flows")
        {
            HelpName = "N",
            Description = "Keep the time series (segments, ACKs, windows, bytes in flight, RTT) of up to N TCP flows at a time and write them to tcp_series.csv; a finished flow without trouble and under 1 MiB gives its slot back. Default 0 (none). Example: --series-flows 20",
            DefaultValueFactory = _ => 0,
        };
        var seriesPoints = new Option<int>("--series-points")
        {
            HelpName = "N",
            Description = "Points kept per flow direction; past it the series is thinned evenly. Example: --series-points 20000",
            DefaultValueFactory = _ => new AnalysisOptions().SeriesPoints,
        };
        var fragTimeout = new Option<double>("--frag-timeout")
        {
            HelpName = "SECONDS",
            Description = "Seconds of capture time after its first fragment that an IPv4 datagram may take to complete (IPv6: twice this, as Linux's 30 s and 60 s). Example: --frag-timeout 60",
            DefaultValueFactory = _ => new FragmentOptions().Ipv4Timeout.TotalSeconds,
        };
        var maxFragDatagrams = new Option<int>("--max-frag-datagrams")
        {
            HelpName = "N",
            Description = "Fragmented datagrams being reassembled at once; past it the oldest is given up (capture.frag_table_full). Example: --max-frag-datagrams 1000000",
            DefaultValueFactory = _ => new FragmentOptions().MaxDatagrams,
        };
        var maxFragBytes = new Option<long>("--max-frag-bytes")
        {
            HelpName = "BYTES",
            Description = "Bytes held for datagrams being reassembled; past it the oldest are given up. Example: --max-frag-bytes 268435456",
            DefaultValueFactory = _ => new FragmentOptions().MaxBytes,
        };
        var fragTiny = new Option<int>("--frag-tiny-bytes")
        {
            HelpName = "BYTES",
            Description = "A fragment other than the last with fewer payload bytes than this is reported as ip.frag_tiny. Example: --frag-tiny-bytes 512",
            DefaultValueFactory = _ => new FragmentOptions().TinyBytes,
        };
        var fragPolicy = new Option<string>("--frag-policy")
        {
            HelpName = "POLICY",
            Description = "Which copy of overlapping fragment bytes the analysis keeps: first, last, bsd, linux, windows or solaris (fragments.csv lists which policies would rebuild other bytes). Example: --frag-policy bsd",
            DefaultValueFactory = _ => "first",
        };
        var udpSeq = new Option<string?>("--udp-seq")
        {
            HelpName = "[PORT=]OFFSET:WIDTH[:be|le|ascii]",
            Description = "Where your protocol carries a sequence number in the UDP payload (bytes from the start; be/le binary of WIDTH bytes, or ascii of WIDTH digits), for loss, duplicates and reordering in udp.csv. Example: --udp-seq 0:4 or --udp-seq 5004=4:8:ascii",
        };
        var dnsTimeout = new Option<double>("--dns-timeout")
        {
            HelpName = "SECONDS",
            Description = "A DNS query without a response within this long is reported as dns.unanswered. Example: --dns-timeout 2",
            DefaultValueFactory = _ => new AnalysisOptions().DnsTimeout.TotalSeconds,
        };
        var netstat = new Option<string[]>("--netstat")
        {
            HelpName = "BEFORE AFTER",
            Description = "Two snapshots of the receiving host's counters taken around the capture ('cat /proc/net/snmp /proc/net/snmp6 > before.txt', or 'netstat -s'): the deltas that matter go to summary.json and receive-buffer drops become udp.rcvbuf_overflow. Example: --netstat before.txt after.txt",
            Arity = new ArgumentArity(2, 2),
            AllowMultipleArgumentsPerToken = true,
        };
        var rcvbuf = new Option<long>("--rcvbuf")
        {
            HelpName = "BYTES",
            Description = "The receiving socket's SO_RCVBUF as the application set it (Linux doubles it; getsockopt reports the doubled value): UDP bursts that would not fit are reported as udp.rcvbuf_overflow with evidence=model. Example: --rcvbuf 4096",
            DefaultValueFactory = _ => 0,
        };
        var charts = new Option<int>("--charts")
        {
            HelpName = "N",
            Description = "TCP flows that get their own charts (time-sequence, window and bytes in flight, throughput, RTT): those with warnings first, then the largest. 0 draws only the capture-wide charts. Example: --charts 3",
            DefaultValueFactory = _ => new ChartOptions().MaxChartedFlows,
        };
        var color = new Option<string>("--color")
        {
            HelpName = "WHEN",
            Description = "Colour the summary: auto (on a terminal, unless NO_COLOR is set or TERM=dumb), always or never. Example: --color never",
            DefaultValueFactory = _ => "auto",
        };
        color.AcceptOnlyFromAmong("auto", "always", "never");
        var progress = new Option<bool>("--no-progress") { Description = "Do not draw the progress bar (it is drawn only when stderr is a terminal)." };

        var command = new Command("analyze",
            "Analyse pcap/pcapng files: print a summary and write the report into the output folder: summary.json, flows.csv, events.csv, fragments.csv, udp.csv, charts/*.png and report.html.\n\n" +
            "Examples:\n" +
            "  pcapinsight analyze capture.pcapng\n" +
            "  pcapinsight analyze part1.pcap part2.pcap -o report --fail-on error\n" +
            "  tcpdump -w - -c 1000 | pcapinsight analyze - --json")
        {
            files, output, format, quiet, json, failOn, maxFlows, flowTimeout, maxEvents, maxFrameBytes, nagleHold, nagleRelease, nagleAnswer,
            ackHosts, seriesFlows, seriesPoints, fragTimeout, maxFragDatagrams, maxFragBytes, fragTiny, fragPolicy, udpSeq, dnsTimeout, netstat, rcvbuf, charts, color, progress,
        };
        command.SetAction((parse, cancellation) => Task.FromResult(Execute(new AnalyzeSettings
        {
            Files = parse.GetValue(files) ?? [],
            OutputDirectory = parse.GetValue(output)!,
            Formats = parse.GetValue(format)!,
            Quiet = parse.GetValue(quiet),
            Json = parse.GetValue(json),
            FailOn = parse.GetValue(failOn),
            MaxFlows = parse.GetValue(maxFlows),
            FlowTimeoutSeconds = parse.GetValue(flowTimeout),
            MaxEvents = parse.GetValue(maxEvents),
            MaxFrameBytes = parse.GetValue(maxFrameBytes),
            NoProgress = parse.GetValue(progress),
            Fragments = new FragmentOptions
            {
                Ipv4Timeout = TimeSpan.FromSeconds(Math.Clamp(parse.GetValue(fragTimeout), 0, 1e9)),
                Ipv6Timeout = TimeSpan.FromSeconds(Math.Clamp(parse.GetValue(fragTimeout) * 2, 0, 2e9)),
                MaxDatagrams = parse.GetValue(maxFragDatagrams),
                MaxBytes = parse.GetValue(maxFragBytes),
                TinyBytes = parse.GetValue(fragTiny),
                Policy = FragmentPolicies.TryParse(parse.GetValue(fragPolicy) ?? "", out FragmentPolicy policy) ? policy : (FragmentPolicy)255,
            },
            UdpSequence = parse.GetValue(udpSeq),
            Netstat = parse.GetValue(netstat),
            ReceiveBuffer = parse.GetValue(rcvbuf),
            DnsTimeoutSeconds = parse.GetValue(dnsTimeout),
            SeriesFlows = parse.GetValue(seriesFlows),
            SeriesPoints = parse.GetValue(seriesPoints),
            Charts = new ChartOptions { MaxChartedFlows = parse.GetValue(charts) },
            Color = parse.GetValue(color) switch
            {
                "always" => true,
                "never" => false,
                _ => !Console.IsOutputRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"))
                    && Environment.GetEnvironmentVariable("TERM") != "dumb",
            },
            Nagle = new NagleOptions
            {
                MinHoldMs = parse.GetValue(nagleHold),
                ReleaseMs = parse.GetValue(nagleRelease),
                AnswerMs = parse.GetValue(nagleAnswer),
                MaxProfiledHosts = parse.GetValue(ackHosts),
            },
        }, stdout, stderr, cancellation)));
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
        if (!TryParseFormats(s.Formats, out HashSet<string> formats, out string? formatError))
        {
            stderr.WriteLine("pcapinsight: " + formatError);
            return ExitCodes.Usage;
        }
        UdpSequenceSpec? udpSequence = null;
        if (s.UdpSequence is { } udpSeqText)
        {
            udpSequence = UdpSequenceSpec.Parse(udpSeqText, out string? udpSeqError);
            if (udpSequence is null)
            {
                stderr.WriteLine("pcapinsight: option --udp-seq " + udpSeqError);
                return ExitCodes.Usage;
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
                return ExitCodes.Usage;
            }
        }
        AnalysisOptions options;
        try
        {
            options = new AnalysisOptions
            {
                Reader = new CaptureReaderOptions { MaxFrameBytes = s.MaxFrameBytes },
                Flows = new FlowTableOptions { MaxFlows = s.MaxFlows, IdleTimeout = TimeSpan.FromSeconds(s.FlowTimeoutSeconds) },
                MaxEventRows = s.MaxEvents,
                Nagle = s.Nagle,
                Fragments = s.Fragments,
                UdpSequence = udpSequence,
                KernelCounterDeltas = counterDeltas,
                ReceiveBuffer = s.ReceiveBuffer,
                DnsTimeout = TimeSpan.FromSeconds(Math.Clamp(s.DnsTimeoutSeconds, 0, 1e9)),
                // Charts draw from the time series: keep a few more flows than are charted, so that the ones chosen at
                // the end (those with findings) are still among them.
                SeriesFlows = formats.Contains("png") || formats.Contains("html")
                    ? Math.Max(s.SeriesFlows, s.Charts.MaxChartedFlows * ChartOptions.SeriesFlowsPerChartedFlow)
                    : s.SeriesFlows,
                SeriesPoints = s.SeriesPoints,
            };
            options.Validate();
            s.Charts.Validate();
        }
        catch (Exception ex) when (ex is ArgumentException or OverflowException)
        {
            stderr.WriteLine($"pcapinsight: option {OptionName((ex as ArgumentException)?.ParamName)} {ex.Message.Split(" (Parameter")[0]}");
            return ExitCodes.Usage;
        }

        var sources = new List<IPacketSource>();
        bool anyUnreadable = false;
        for (int i = 0; i < s.Files.Length; i++)
        {
            string path = s.Files[i];
            try
            {
                sources.Add(CaptureFile.Open(path, sources.Count, options.Reader));
            }
            catch (Exception ex) when (ex is CaptureFormatException or IOException or UnauthorizedAccessException)
            {
                anyUnreadable = true;
                stderr.WriteLine($"pcapinsight: {path}: {Describe(ex)}");
            }
        }
        if (sources.Count == 0)
        {
            return ExitCodes.InputUnreadable;
        }

        PhaseLog.Mark("inputs opened");
        AnalysisResult result;
        using (IPacketSource source = sources.Count == 1 ? sources[0] : new MergedPacketSource(sources))
        {
            var files = sources.Select(x => x.Stats).ToList();
            using var bar = new ProgressBar(files, stderr, enabled: !s.Quiet && !s.NoProgress && !Console.IsErrorRedirected);
            result = CaptureAnalyzer.Run(source, files, options, bar.Update, cancellation);
        }

        PhaseLog.Mark("analysis done");
        foreach (CaptureWarning warning in result.Warnings)
        {
            if (!s.Quiet)
            {
                stderr.WriteLine($"pcapinsight: warning: {result.Files[warning.FileIndex].Path}: {warning.Message}");
            }
        }

        try
        {
            Directory.CreateDirectory(s.OutputDirectory);
            if (formats.Contains("csv"))
            {
                CsvReportWriter.WriteFlows(result, s.OutputDirectory);
                CsvReportWriter.WriteEvents(result, s.OutputDirectory);
                CsvReportWriter.WriteFragments(result, s.OutputDirectory);
                CsvReportWriter.WriteUdp(result, s.OutputDirectory);
                if (s.SeriesFlows > 0)
                {
                    CsvReportWriter.WriteSeries(result, s.OutputDirectory);
                }
            }
            IReadOnlyList<Chart> drawn = formats.Contains("png") || formats.Contains("html") ? ChartSet.Draw(result, s.Charts) : [];
            PhaseLog.Mark("charts drawn");
            if (formats.Contains("png"))
            {
                ChartFiles.Write(drawn, s.OutputDirectory);
            }
            if (formats.Contains("html"))
            {
                HtmlReportWriter.Write(result, drawn, s.OutputDirectory, CliApp.Version);
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

        if (anyUnreadable)
        {
            return ExitCodes.InputUnreadable;
        }
        if (s.FailOn is not null)
        {
            Severity threshold = s.FailOn == "error" ? Severity.Error : Severity.Warning;
            if (result.Events.Counts().Any(c => c.Info.Severity >= threshold))
            {
                return ExitCodes.FailOnThreshold;
            }
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
            else if (AvailableFormats.Contains(f))
            {
                formats.Add(f);
            }
            else
            {
                error = $"--format: unknown format '{raw}'; available: {string.Join(", ", AvailableFormats)}, all";
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

    private static string Describe(Exception ex) => ex switch
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
    public bool Quiet { get; init; }
    public bool Json { get; init; }
    public string? FailOn { get; init; }
    public int MaxFlows { get; init; } = new FlowTableOptions().MaxFlows;
    public double FlowTimeoutSeconds { get; init; } = new FlowTableOptions().IdleTimeout.TotalSeconds;
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
    public int SeriesPoints { get; init; } = new AnalysisOptions().SeriesPoints;
    public ChartOptions Charts { get; init; } = new();
    public bool Color { get; init; }
}
