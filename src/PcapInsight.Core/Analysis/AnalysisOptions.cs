using PcapInsight.Core.Capture;
using PcapInsight.Core.Flows;

namespace PcapInsight.Core.Analysis;

/// <summary>Every limit of an analysis, each with a default (CLI options map onto these one to one).</summary>
public sealed record AnalysisOptions
{
    /// <summary>Reader limits.</summary>
    public CaptureReaderOptions Reader { get; init; } = CaptureReaderOptions.Default;

    /// <summary>Flow table limits.</summary>
    public FlowTableOptions Flows { get; init; } = new();

    /// <summary>Rows kept in events.csv; every event is still counted. Default 1,000,000; at least 1.</summary>
    public int MaxEventRows { get; init; } = 1_000_000;

    /// <summary>IP reassembly limits.</summary>
    public Fragments.FragmentOptions Fragments { get; init; } = new();

    /// <summary>Where user protocols carry a sequence number (<c>--udp-seq</c>); null: RTP only.</summary>
    public UdpAnalysis.UdpSequenceSpec? UdpSequence { get; init; }

    /// <summary>A DNS query without a response within this long is unanswered. Default 5 s (the resolver timeout of glibc).</summary>
    public TimeSpan DnsTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The kernel counters that changed around the capture (<c>--netstat BEFORE AFTER</c>, see
    /// <see cref="UdpAnalysis.KernelCounters"/>); null when not given.
    /// </summary>
    public IReadOnlyList<(string Name, long Delta)>? KernelCounterDeltas { get; init; }

    /// <summary>
    /// The receiving socket's SO_RCVBUF as the application set it (<c>--rcvbuf</c>; Linux doubles it, which is what
    /// getsockopt then reports); 0 when not given. Bursts that would not fit are reported as a model's evidence.
    /// </summary>
    public long ReceiveBuffer { get; init; }

    /// <summary>Nagle and delayed-ACK thresholds.</summary>
    public TcpAnalysis.NagleOptions Nagle { get; init; } = new();

    /// <summary>
    /// TCP flows whose time series are kept at a time (tcp_series.csv, charts), first come first served; 0 (the
    /// default) keeps none. A finished flow with no trouble and under 1 MiB of payload gives its slot to the next
    /// new flow (the earliest-started such flow first).
    /// </summary>
    public int SeriesFlows { get; init; }

    /// <summary>
    /// When set, only the TCP flows whose first packet is one of these frames at its time may claim a series slot: a
    /// <see cref="FlowReplay"/> records the series of chosen flows, and other flows of the same endpoints (fragments'
    /// datagrams, the same ports reused) must not take their slots.
    /// </summary>
    internal IReadOnlySet<(long Frame, long TimeNs)>? SeriesOnlyFlowsStartingAt { get; init; }

    /// <summary>Points kept per flow direction (thinned evenly past it). Default 4,096 (128 KiB).</summary>
    public int SeriesPoints { get; init; } = 4096;

    /// <summary>
    /// Where the summaries of flows released past <see cref="FlowTableOptions.MaxListedFlows"/> are spooled (a hidden
    /// file, deleted when the result's <see cref="AnalysisResult.Spools"/> are disposed), so that flows.csv still lists
    /// them; null (the default): released flows are counted, not listed. The CLI uses the report folder.
    /// </summary>
    public string? SpoolDirectory { get; init; }

    /// <summary>
    /// Tunnels (GRE, ERSPAN, VXLAN, Geneve, GTP-U, IP in IP, Teredo) opened one inside the other to analyse the
    /// datagrams they carry. Default <see cref="Decoding.FrameDecoder.DefaultTunnelDepth"/>; 0 analyses the outer
    /// datagrams (the tunnel endpoints' flows) instead; at most <see cref="Decoding.FrameDecoder.MaxTunnelDepth"/>.
    /// </summary>
    public int TunnelDepth { get; init; } = Decoding.FrameDecoder.DefaultTunnelDepth;

    /// <summary>The defaults.</summary>
    public static AnalysisOptions Default { get; } = new();

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> when a limit is out of range.</summary>
    public void Validate()
    {
        Reader.Validate();
        Flows.Validate();
        Nagle.Validate();
        Fragments.Validate();
        if (ReceiveBuffer < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(ReceiveBuffer), ReceiveBuffer, "must not be negative");
        }
        if (DnsTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(DnsTimeout), "must be positive");
        }
        if (SeriesFlows < 0 || SeriesFlows > 100_000)
        {
            throw new ArgumentOutOfRangeException(nameof(SeriesFlows), SeriesFlows, "must be 0 to 100000");
        }
        if (SeriesPoints < 16 || SeriesPoints > 10_000_000)
        {
            throw new ArgumentOutOfRangeException(nameof(SeriesPoints), SeriesPoints, "must be 16 to 10000000");
        }
        if (TunnelDepth < 0 || TunnelDepth > Decoding.FrameDecoder.MaxTunnelDepth)
        {
            throw new ArgumentOutOfRangeException(nameof(TunnelDepth), TunnelDepth, $"must be 0 to {Decoding.FrameDecoder.MaxTunnelDepth}");
        }
        if (MaxEventRows < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxEventRows), MaxEventRows, "must be at least 1");
        }
    }
}
