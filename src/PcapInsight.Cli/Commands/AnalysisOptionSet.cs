using System.CommandLine;
using PcapInsight.Charts;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Flows;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Fragments;
using PcapInsight.Core.TcpAnalysis;

namespace PcapInsight.Cli.Commands;

/// <summary>
/// The options that shape an analysis and its report, shared by <c>analyze</c> and <c>live</c> so that both take the
/// same names, defaults and checks.
/// </summary>
internal sealed class AnalysisOptionSet
{
    private readonly Option<string> _output;
    private readonly Option<string> _format;
    private readonly Option<bool> _quiet;
    private readonly Option<bool> _json;
    private readonly Option<string?> _failOn;
    private readonly Option<int> _maxFlows;
    private readonly Option<double> _flowTimeout;
    private readonly Option<double> _closeLinger;
    private readonly Option<int> _maxListedFlows;
    private readonly Option<int?> _selectFlow;
    private readonly Option<string?> _selectHost;
    private readonly Option<int?> _selectPort;
    private readonly Option<string?> _selectFrom;
    private readonly Option<string?> _selectTo;
    private readonly Option<int> _maxEvents;
    private readonly Option<int> _maxFrameBytes;
    private readonly Option<double> _nagleHold;
    private readonly Option<double> _nagleRelease;
    private readonly Option<double> _nagleAnswer;
    private readonly Option<int> _ackHosts;
    private readonly Option<int> _seriesFlows;
    private readonly Option<int> _seriesPoints;
    private readonly Option<double> _fragTimeout;
    private readonly Option<int> _maxFragDatagrams;
    private readonly Option<long> _maxFragBytes;
    private readonly Option<int> _fragTiny;
    private readonly Option<string> _fragPolicy;
    private readonly Option<string?> _udpSeq;
    private readonly Option<double> _dnsTimeout;
    private readonly Option<int> _tunnelDepth;
    private readonly Option<string[]> _netstat;
    private readonly Option<long> _rcvbuf;
    private readonly Option<int> _charts;
    private readonly Option<string> _color;
    private readonly Option<bool> _progress;

    public AnalysisOptionSet()
    {
        var output = new Option<string>("--output", "-o")
        {
            HelpName = "DIR",
            Description = "Folder for the report files (created if missing). Example: -o /tmp/report",
            DefaultValueFactory = _ => "pcapinsight-report",
        };
        var format = new Option<string>("--format")
        {
            HelpName = "LIST",
            Description = "Report files to write, comma-separated: csv (flows.csv, events.csv, fragments.csv, udp.csv), json (summary.json), png (charts/*.png), html (report.html, charts embedded), or all (these four); parquet (flows.parquet, events.parquet, fragments.parquet, udp.parquet: the CSV tables typed, for DuckDB, Spark or Trino) only when named. Example: --format all,parquet",
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
            Description = "Flows held at once, divided by flow hash into up to 64 partitions of at least 4,096 (so any --threads evicts the same flows); when a new flow's partition is full, its least recently active flow is closed early (event capture.flow_table_full). Example: --max-flows 200000",
            DefaultValueFactory = _ => new FlowTableOptions().MaxFlows,
        };
        var maxListedFlows = new Option<int>("--max-listed-flows")
        {
            HelpName = "N",
            Description = "Ended flows kept in memory for the findings and charts; past it plain flows are released first (still in flows.csv, udp.csv and report.html's table of flows, through a spool file beside the report, and counted in summary.json). Bounds memory on huge or endless captures. Example: --max-listed-flows 20000",
            DefaultValueFactory = _ => new FlowTableOptions().MaxListedFlows,
        };
        var selectFlow = new Option<int?>("--flow")
        {
            HelpName = "ID",
            Description = "Report only this flow (its id from flows.csv): its rows, events and charts. The analysis still reads everything; the flows a selection draws that had no time-series slot (--series-flows) are recorded by a second read of the file. Example: --flow 12",
        };
        var selectHost = new Option<string?>("--host")
        {
            HelpName = "ADDR",
            Description = "Report only flows with this address at either end (and events from or to it). Example: --host 192.0.2.1",
        };
        var selectPort = new Option<int?>("--port")
        {
            HelpName = "N",
            Description = "Report only flows with this port at either end (and events from or to it). Example: --port 443",
        };
        var selectFrom = new Option<string?>("--from")
        {
            HelpName = "TIME",
            Description = "Report only what happened from this time: ISO 8601 (UTC unless a zone is given) or seconds after the first frame. Example: --from 12.5",
        };
        var selectTo = new Option<string?>("--to")
        {
            HelpName = "TIME",
            Description = "Report only what happened until this time: ISO 8601 or seconds after the first frame. Example: --to 2026-11-25T20:56:00Z",
        };
        var flowTimeout = new Option<double>("--flow-timeout")
        {
            HelpName = "SECONDS",
            Description = "Seconds of capture time after which an idle flow is closed; a later packet starts a new flow. Example: --flow-timeout 120",
            DefaultValueFactory = _ => new FlowTableOptions().IdleTimeout.TotalSeconds,
        };
        var closeLinger = new Option<double>("--close-linger")
        {
            HelpName = "SECONDS",
            Description = "Seconds of capture time a TCP connection stays in the table after FIN both ways or a reset (then its memory is released; a later packet without SYN starts a new flow). Example: --close-linger 1",
            DefaultValueFactory = _ => new FlowTableOptions().CloseLinger.TotalSeconds,
        };
        var maxEvents = new Option<int>("--max-events")
        {
            HelpName = "N",
            Description = "Rows kept in events.csv, the earliest by time; every event is still counted in summary.json. Example: --max-events 10000",
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
            Description = "Hosts whose delayed-ACK timer is profiled (summary.json delayed_ack), the first in the capture; later hosts are not (their tcp.delayed_ack events and counts are kept; summary.json delayed_ack_not_profiled counts them). Example: --max-ack-profile-hosts 100000",
            DefaultValueFactory = _ => new NagleOptions().MaxProfiledHosts,
        };
        var seriesFlows = new Option<int>("--series-flows")
        {
            HelpName = "N",
            Description = "Keep the time series (segments, ACKs, windows, bytes in flight, RTT) of up to N TCP flows at a time and write them to tcp_series.csv; a finished flow without trouble and under 1 MiB gives its slot to the next new flow; flows that begin while every slot is taken have none (summary.json flow_table.series_refused), but for the flows a report draws with warnings, or under --flow/--host/--port/--from/--to, which a second read of the file records. Default 0 (none). Example: --series-flows 20",
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
            Description = "Bytes held for datagrams being reassembled; past it the oldest are given up, and so is a datagram holding more than it and 1 MiB by itself (copies of its fragments sent over and over). Example: --max-frag-bytes 268435456",
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
        var tunnelDepth = new Option<int>("--tunnel-depth")
        {
            HelpName = "N",
            Description = $"Tunnels (GRE, ERSPAN, VXLAN, Geneve, GTP-U, IP in IP, Teredo) opened one inside the other to analyse the flows they carry; 0 analyses the tunnels' outer datagrams instead (the tunnel endpoints' flows). 0 to {FrameDecoder.MaxTunnelDepth}. Example: --tunnel-depth 0",
            DefaultValueFactory = _ => FrameDecoder.DefaultTunnelDepth,
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
            Description = "TCP flows that get their own charts (time-sequence, window and bytes in flight, throughput, RTT): those with warnings first, then the largest (among those with a time series, but for flows with warnings or under a selection, recorded by a second read of the file when they had none). 0 draws only the capture-wide charts. Example: --charts 3",
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
        _output = output;
        _format = format;
        _quiet = quiet;
        _json = json;
        _failOn = failOn;
        _maxFlows = maxFlows;
        _flowTimeout = flowTimeout;
        _closeLinger = closeLinger;
        _maxListedFlows = maxListedFlows;
        _selectFlow = selectFlow;
        _selectHost = selectHost;
        _selectPort = selectPort;
        _selectFrom = selectFrom;
        _selectTo = selectTo;
        _maxEvents = maxEvents;
        _maxFrameBytes = maxFrameBytes;
        _nagleHold = nagleHold;
        _nagleRelease = nagleRelease;
        _nagleAnswer = nagleAnswer;
        _ackHosts = ackHosts;
        _seriesFlows = seriesFlows;
        _seriesPoints = seriesPoints;
        _fragTimeout = fragTimeout;
        _maxFragDatagrams = maxFragDatagrams;
        _maxFragBytes = maxFragBytes;
        _fragTiny = fragTiny;
        _fragPolicy = fragPolicy;
        _udpSeq = udpSeq;
        _dnsTimeout = dnsTimeout;
        _tunnelDepth = tunnelDepth;
        _netstat = netstat;
        _rcvbuf = rcvbuf;
        _charts = charts;
        _color = color;
        _progress = progress;
    }

    /// <summary>Adds every option to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(_output);
        command.Options.Add(_format);
        command.Options.Add(_quiet);
        command.Options.Add(_json);
        command.Options.Add(_failOn);
        command.Options.Add(_maxFlows);
        command.Options.Add(_flowTimeout);
        command.Options.Add(_closeLinger);
        command.Options.Add(_maxListedFlows);
        command.Options.Add(_selectFlow);
        command.Options.Add(_selectHost);
        command.Options.Add(_selectPort);
        command.Options.Add(_selectFrom);
        command.Options.Add(_selectTo);
        command.Options.Add(_maxEvents);
        command.Options.Add(_maxFrameBytes);
        command.Options.Add(_nagleHold);
        command.Options.Add(_nagleRelease);
        command.Options.Add(_nagleAnswer);
        command.Options.Add(_ackHosts);
        command.Options.Add(_seriesFlows);
        command.Options.Add(_seriesPoints);
        command.Options.Add(_fragTimeout);
        command.Options.Add(_maxFragDatagrams);
        command.Options.Add(_maxFragBytes);
        command.Options.Add(_fragTiny);
        command.Options.Add(_fragPolicy);
        command.Options.Add(_udpSeq);
        command.Options.Add(_dnsTimeout);
        command.Options.Add(_tunnelDepth);
        command.Options.Add(_netstat);
        command.Options.Add(_rcvbuf);
        command.Options.Add(_charts);
        command.Options.Add(_color);
        command.Options.Add(_progress);
    }

    /// <summary>The settings the user gave (Files empty: the command adds its inputs).</summary>
    public AnalyzeSettings Read(ParseResult parse) => new()
    {
            OutputDirectory = parse.GetValue(_output)!,
            Formats = parse.GetValue(_format)!,
            Quiet = parse.GetValue(_quiet),
            Json = parse.GetValue(_json),
            FailOn = parse.GetValue(_failOn),
            MaxFlows = parse.GetValue(_maxFlows),
            FlowTimeoutSeconds = parse.GetValue(_flowTimeout),
            CloseLingerSeconds = parse.GetValue(_closeLinger),
            MaxListedFlows = parse.GetValue(_maxListedFlows),
            SelectFlow = parse.GetValue(_selectFlow),
            SelectHost = parse.GetValue(_selectHost),
            SelectPort = parse.GetValue(_selectPort),
            SelectFrom = parse.GetValue(_selectFrom),
            SelectTo = parse.GetValue(_selectTo),
            MaxEvents = parse.GetValue(_maxEvents),
            MaxFrameBytes = parse.GetValue(_maxFrameBytes),
            NoProgress = parse.GetValue(_progress),
            Fragments = new FragmentOptions
            {
                Ipv4Timeout = TimeSpan.FromSeconds(Math.Clamp(parse.GetValue(_fragTimeout), 0, 1e9)),
                Ipv6Timeout = TimeSpan.FromSeconds(Math.Clamp(parse.GetValue(_fragTimeout) * 2, 0, 2e9)),
                MaxDatagrams = parse.GetValue(_maxFragDatagrams),
                MaxBytes = parse.GetValue(_maxFragBytes),
                TinyBytes = parse.GetValue(_fragTiny),
                Policy = FragmentPolicies.TryParse(parse.GetValue(_fragPolicy) ?? "", out FragmentPolicy policy) ? policy : (FragmentPolicy)255,
            },
            UdpSequence = parse.GetValue(_udpSeq),
            Netstat = parse.GetValue(_netstat),
            ReceiveBuffer = parse.GetValue(_rcvbuf),
            DnsTimeoutSeconds = parse.GetValue(_dnsTimeout),
            TunnelDepth = parse.GetValue(_tunnelDepth),
            SeriesFlows = parse.GetValue(_seriesFlows),
            SeriesPoints = parse.GetValue(_seriesPoints),
            Charts = new ChartOptions { MaxChartedFlows = parse.GetValue(_charts) },
            Color = parse.GetValue(_color) switch
            {
                "always" => true,
                "never" => false,
                _ => !Console.IsOutputRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"))
                    && Environment.GetEnvironmentVariable("TERM") != "dumb",
            },
            Nagle = new NagleOptions
            {
                MinHoldMs = parse.GetValue(_nagleHold),
                ReleaseMs = parse.GetValue(_nagleRelease),
                AnswerMs = parse.GetValue(_nagleAnswer),
                MaxProfiledHosts = parse.GetValue(_ackHosts),
            },
    };
}
