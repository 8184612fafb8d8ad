using System.Runtime.CompilerServices;
using System.Globalization;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Collections;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Events;
using PcapInsight.Core.Flows;
using PcapInsight.Core.Fragments;
using PcapInsight.Core.TcpAnalysis;

namespace PcapInsight.Core.Analysis;

/// <summary>
/// Called for each TCP segment after it was classified, with the frame's bytes (valid only during the call).
/// </summary>
/// <param name="flow">The segment's flow.</param>
/// <param name="fromClient">Its direction.</param>
/// <param name="packet">The decoded headers; payload offsets index <paramref name="frame"/>.</param>
/// <param name="frame">The frame.</param>
public delegate void TcpSegmentObserver(Flow flow, bool fromClient, in DecodedPacket packet, ReadOnlySpan<byte> frame);

/// <summary>
/// The per-packet pipeline: decode, count, find the flow, report capture events. Feed it frames with
/// <see cref="Process"/> (from a file or a live interface alike), then call <see cref="Finish"/> once.
/// </summary>
/// <remarks>
/// Capture time is the only clock: idle flows expire when the frames' timestamps say so, so a file and a live
/// capture behave the same. <see cref="Process"/> allocates nothing for a frame of a known flow.
/// </remarks>
public sealed partial class CaptureAnalyzer
{
    // How often (capture time) idle flows, closed connections past their linger and stale fragments are looked
    // for. Each check stops at the first entry not yet due, so a short interval costs little and keeps what a
    // capture of many short connections holds close to what is alive.
    private const long ExpiryCheckIntervalNs = 100_000_000;

    private readonly AnalysisOptions _options;
    private readonly FlowTable _flows;
    private readonly EventCollector _events;
    private readonly TcpTimingAnalyzer _timing;
    private readonly TcpSeriesRecorder? _series;
    private readonly AdmissionLog _admissions;

    /// <summary>
    /// A finished flow's series is kept when it had trouble worth a chart, or carried at least 1 MiB. Window-full
    /// counts here and not in <see cref="FlowSummary.HasTrouble"/> (report.html's ranking): a receiver's full window
    /// is a common state of a healthy bulk transfer, worth a window chart but not a place above the stalls.
    /// </summary>
    private static bool WorthDrawing(Flow flow) => flow.Tcp is { } t
        && (t.HasTrouble || t.C2S.WindowFull + t.S2C.WindowFull > 0 || flow.PayloadBytesC2S + flow.PayloadBytesS2C >= 1 << 20);
    private readonly PacketCounters _counters = new();
    private readonly IpSizeHistogram _sizes = new();
    private readonly ValueList<LinkType> _linkTypes = new();
    private HashSet<(int File, LinkType Link)>? _unsupportedReported;   // made when met: most captures have none
    private SnaplenCutCount[] _snaplenCutByFile = new SnaplenCutCount[1];   // by file index
    private int _snaplenCutFile = -1;   // the file whose cut frames _snaplenCut counts now (see CountSnaplenCut)
    private SnaplenCutCount _snaplenCut;
    private DecodedPacket _packet;
    // Flows are ordered by creation as frame index × phases + phase: a frame can make a flow first by completing a
    // fragmented datagram, then by its own packet.
    private const long PhasesPerFrame = 2;
    private readonly List<int>? _activeBeforeExpiry;   // a shard's: flows held before each expiry check
    private readonly bool _reassembles;                // false in a shard: the reading thread reassembles for all of them
    private long _firstTimeNs;
    private long _lastTimeNs;      // latest timestamp so far (the capture's end)
    private long _previousTimeNs;  // timestamp of the frame before this one
    private long _nextExpiryNs;
    private bool _flowTableFullReported;
    private LinkType _lastLinkType = (LinkType)0xFFFF;
    private readonly FlowSpool? _spool;

    /// <summary>Creates an analyzer with <paramref name="options"/> (validated here).</summary>
    public CaptureAnalyzer(AnalysisOptions? options = null)
        : this(options, admissions: null)
    {
    }

    /// <summary>
    /// An analyzer that is one shard of a <see cref="ShardedAnalysis"/> (it records what the merge needs) when
    /// <paramref name="admissions"/> is its log of claims on the run's shared <see cref="Admissions"/>.
    /// </summary>
    internal CaptureAnalyzer(AnalysisOptions? options, AdmissionLog? admissions)
    {
        _options = options ?? AnalysisOptions.Default;
        _options.Validate();
        bool shard = admissions is not null;
        _admissions = admissions ?? new AdmissionLog(new Admissions(_options.SeriesFlows, _options.Nagle.MaxProfiledHosts, _options.Flows.MaxListedFlows))
        {
            Releasing = ReleaseFlow,
        };
        _flows = new FlowTable(_options.Flows) { RecordCreationOrder = shard, RecycleReleased = true };
        _activeBeforeExpiry = shard ? new List<int>() : null;
        _reassembles = !shard;
        _events = new EventCollector(_options.MaxEventRows) { LeavesOnceKindsOutOfTimeline = shard };
        _timing = new TcpTimingAnalyzer(_options.Nagle, _admissions);
        _fragments = new IpReassembler(_options.Fragments) { Finished = OnDatagramFinished };
        _dnsTimeoutNs = (long)(_options.DnsTimeout.TotalMilliseconds * 1_000_000);
        _series = _options.SeriesFlows > 0 ? new TcpSeriesRecorder(_options.SeriesPoints, _admissions, _options.SeriesOnlyFlowsStartingAt) : null;
        _flows.Closing = flow =>
        {
            TcpWindowAnalyzer.OnFlowClosed(flow, _events);
            _timing.OnFlowClosed(flow, _events);
            _series?.Release(flow, WorthDrawing(flow));
            OnUdpFlowClosed(flow);
            flow.Tcp?.ReleaseRarePathState();
        };
        _spool = _options.SpoolDirectory is { } spoolDirectory ? new FlowSpool(spoolDirectory) : null;
        // Which ended flows the report lists is the run's policy's to decide (a shard's flows with every shard's).
        _flows.Ended = flow => _admissions.Add(flow.IsNotable ? AdmissionKind.FlowEndedNotable : AdmissionKind.FlowEndedPlain, flow,
            _flows.CreationOrderOf(flow));
    }

    /// <summary>A flow the policy released from the report's list: to the spool for flows.csv, its objects to reuse.</summary>
    private void ReleaseFlow(Flow flow)
    {
        _spool?.Add(flow);
        _flows.Recycle(flow);
    }

    /// <summary>The ended flows the report lists (the run's: every shard's, in a sharded run).</summary>
    private FlowListing Listing => _admissions.Policy.Listing;

    /// <summary>Where the analyzer's claims on the series slots and profiled hosts, and its ended flows, go.</summary>
    internal AdmissionLog AdmissionLog => _admissions;

    /// <summary>
    /// A shard's part of the answers the reading thread gave: the flows it released from the report's list leave
    /// (spool, objects reused); series points that waited for their flows' answers are recorded or dropped.
    /// </summary>
    internal void Settle()
    {
        _admissions.TakeReleased(ReleaseFlow);
        _series?.Settle();
    }

    /// <summary>Series points still waiting for an answer (a shard's; none at the end).</summary>
    internal int SeriesPointsWaiting => _series?.Waiting ?? 0;

    /// <summary>The Nagle and delayed-ACK analysis, for tests of its own state.</summary>
    internal TcpTimingAnalyzer Timing => _timing;

    /// <summary>Flows in the table now.</summary>
    internal int ActiveFlows => _flows.ActiveCount;

    /// <summary>The latest capture time so far (the flow table's clock).</summary>
    internal long LatestTimeNs => _lastTimeNs;

    /// <summary>Flows seen so far (for a live status line).</summary>
    public int FlowsSeen => _flows.Created;

    /// <summary>Frames analysed so far.</summary>
    public long FramesSeen => _counters.Frames;

    /// <summary>Events counted so far, of warning severity or worse.</summary>
    public long WarningsSeen => _events.Counts().Where(c => c.Info.Severity >= Severity.Warning).Sum(c => c.Count);

    /// <summary>Optional hook for each TCP segment (the follow command rebuilds a stream with it).</summary>
    public TcpSegmentObserver? OnTcpSegment
    {
        get => _onTcpSegment;
        init
        {
            _onTcpSegment = value;
            // The observer may keep a flow past its release: its objects must not become another flow's.
            _flows.RecycleReleased = value is null;
        }
    }

    private readonly TcpSegmentObserver? _onTcpSegment;

    /// <summary>The decoded form of the frame last passed to <see cref="Process"/>.</summary>
    public ref readonly DecodedPacket LastPacket => ref _packet;

    /// <summary>Analyses one frame. <paramref name="frame"/> is only read during the call.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Process(in CaptureInfo info, ReadOnlySpan<byte> frame)
    {
        FrameStage stage = Classify(info, frame);
        if (stage == FrameStage.Counted)
        {
            return;
        }
        bool expiryDue = stage == FrameStage.Flow && ExpiryDue(info.TimestampNs);
        AnalyzeFrame(info, frame, _packet, stage, _counters.Frames, _lastTimeNs, main: true, pathMtu: true, expiryDue);
    }

    /// <summary>
    /// The frame's own part of the analysis, which needs no flow: time, counters, link type, decoding, the IP
    /// version and protocol counts. Leaves the decoded headers in <see cref="LastPacket"/> and tells what is left.
    /// A sharded analysis runs it once per frame on the reading thread.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal FrameStage Classify(in CaptureInfo info, ReadOnlySpan<byte> frame)
    {
        PacketCounters c = _counters;
        long t = info.TimestampNs;
        if (c.Frames == 0)
        {
            StartClock(t);
        }
        else if (t < _previousTimeNs)
        {
            // Compared with the frame before, as tshark's frame.time_delta: one clock step counts once.
            c.TimeBackwards++;
            ReportTimeBackwards(info);
        }
        _previousTimeNs = t;
        _events.ClockNs = t;
        c.Frames++;
        c.WireBytes += info.OriginalLength;
        c.CapturedBytes += info.CapturedLength;
        if (t > _lastTimeNs)
        {
            _lastTimeNs = t;
        }
        if (info.CapturedLength < info.OriginalLength)
        {
            c.SnaplenCut++;
            CountSnaplenCut(info);
        }
        if (info.LinkType != _lastLinkType)
        {
            NoteLinkType(info);
        }

        FrameDecoder.Decode(frame, info.LinkType, ref _packet, Math.Max(0, info.OriginalLength - info.CapturedLength), _options.TunnelDepth);
        ref DecodedPacket p = ref _packet;
        if (p.TunnelDepth != 0)
        {
            c.CountTunneled(p.Tunnels);
        }
        switch (p.Status)
        {
            case DecodeStatus.Ok:
                break;
            case DecodeStatus.NotIp:
                c.NotIp++;
                return FrameStage.Counted;
            case DecodeStatus.UnsupportedLinkType:
                c.UnsupportedLinkType++;
                return FrameStage.Counted;
            default:
                if (p.Status == DecodeStatus.Truncated)
                {
                    c.Truncated++;
                }
                else
                {
                    c.Malformed++;
                }
                ReportMalformed(info, p);
                return FrameStage.Counted;
        }

        if (p.IpVersion == 4)
        {
            c.Ipv4++;
        }
        else
        {
            c.Ipv6++;
        }
        _sizes.Add(p.IpTotalLength, p.IsFragment);
        if (p.IsFragment)
        {
            c.Fragments++;
            if (!p.HasPorts && p.Protocol is 6 or 17)
            {
                // Later fragments carry no ports (and a tiny first fragment may not either): their bytes join
                // the datagram's flow only through reassembly. A first fragment with its ports counts in its
                // flow, so the flow exists even when later fragments are lost.
                c.NonFirstFragments++;
                return FrameStage.FragmentOnly;
            }
            if (IsTunnelCandidate(p, p.SrcPort, p.DstPort))
            {
                // A tunnel's datagram in fragments: the flow it belongs to is the one inside, known once it is
                // reassembled and opened (then counted as that flow's packet), not the tunnel's own.
                return FrameStage.FragmentOnly;
            }
        }
        switch (p.Protocol)
        {
            case 6:
                c.Tcp++;
                break;
            case 17:
                c.Udp++;
                break;
            case 1:
            case 58:
                c.Icmp++;
                break;
            default:
                c.OtherIp++;
                break;
        }
        return FrameStage.Flow;
    }

    /// <summary>Sets the capture's first time: the origin of the event timeline and of the expiry checks.</summary>
    internal void StartClock(long firstTimeNs)
    {
        _firstTimeNs = firstTimeNs;
        _lastTimeNs = firstTimeNs;
        _previousTimeNs = firstTimeNs;
        _nextExpiryNs = firstTimeNs + ExpiryCheckIntervalNs;
        _events.Timeline.Start(firstTimeNs);
    }

    /// <summary>True when a frame at <paramref name="timeNs"/> that reaches the flow table is to look for expired state first.</summary>
    internal bool ExpiryDue(long timeNs)
    {
        if (timeNs < _nextExpiryNs)
        {
            return false;
        }
        _nextExpiryNs = timeNs + ExpiryCheckIntervalNs;
        return true;
    }

    /// <summary>
    /// The flow part of a classified frame: fragments, path MTU messages, expiry, the flow and its analyses.
    /// <paramref name="frameIndex"/> is the frame's 1-based place in the whole input (it orders flows by creation),
    /// <paramref name="clockNs"/> the latest capture time so far (the flow table's clock); <paramref name="main"/>
    /// false leaves the frame's own flow to another shard and <paramref name="pathMtu"/> false the flow an ICMP error
    /// quotes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void AnalyzeFrame(in CaptureInfo info, ReadOnlySpan<byte> frame, in DecodedPacket p, FrameStage stage, long frameIndex,
        long clockNs, bool main, bool pathMtu, bool expiryDue)
    {
        long t = info.TimestampNs;
        _events.ClockNs = t;
        _flows.ClockNs = clockNs;
        if (main && p.IsFragment && _reassembles)
        {
            PlaceLone(frameIndex, AdmissionLog.ReassembledStep);
            _flows.CreationOrder = frameIndex * PhasesPerFrame + 0;
            OnFragment(frame, p, info);
        }
        if (stage == FrameStage.FragmentOnly)
        {
            return;
        }
        if (pathMtu && p.IcmpMtu > 0 && p.Protocol is 1 or 58)
        {
            OnPathMtuMessage(frame, p, info);
        }
        if (expiryDue)
        {
            PlaceLone(frameIndex, AdmissionLog.ClockStep);
            ExpireAt(t, clockNs);
        }
        if (!main)
        {
            return;
        }
        PlaceLone(frameIndex, AdmissionLog.PacketStep);
        _flows.CreationOrder = frameIndex * PhasesPerFrame + 1;
        Flow flow = _flows.Update(p, info, out bool fromClient, out bool evicted);
        if (_flows.ReplacedFlow is { } replaced)
        {
            ReportReusedPort(info, p, flow, replaced);
        }
        if (p.Protocol == 6 && p.HasTransport && !p.IsFragment)
        {
            // A first fragment carries only part of its segment: the TCP analysis sees the reassembled one.
            TcpSegmentAnalyzer.OnSegment(flow, fromClient, p, info, _events);
            _timing.OnSegment(flow, fromClient, p, info, _events);
            _series?.OnSegment(flow, fromClient, p, info, _flows.CreationOrder);
            OnTcpSegment?.Invoke(flow, fromClient, p, frame);
        }
        else if (p.Protocol == 17 && p.HasPorts && !p.IsFragment)
        {
            OnUdpDatagram(flow, fromClient, p, frame.Slice(p.PayloadOffset, Math.Max(0, Math.Min(p.CapturedPayloadLength, frame.Length - p.PayloadOffset))), info);
        }
        if (evicted && !_flowTableFullReported)
        {
            _flowTableFullReported = true;
            _events.Report(new AnalysisEvent(EventKind.CaptureFlowTableFull, t, info.FrameNumber, info.FileIndex, 0,
                default, 0, default, 0, -1, FlowPartitions.For(_options.Flows.MaxFlows).Describe()));
        }
    }

    /// <summary>
    /// A lone analyzer's place in the capture, as a sharded run places its shards' entries: flows that ended at an
    /// earlier place are listed before anything happens here. (A shard's place is set by its batch loop.)
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void PlaceLone(long frameIndex, long step)
    {
        if (!_admissions.Deferred)
        {
            _admissions.Place = frameIndex * AdmissionLog.StepsPerFrame + step;
        }
    }

    /// <summary>A reassembled datagram handed over by the reading thread of a sharded analysis (its frame's first phase).</summary>
    internal void AnalyzeReassembled(in DecodedPacket whole, in DatagramFacts facts, ReadOnlySpan<byte> payload, in CaptureInfo info, long frameIndex,
        long clockNs)
    {
        _events.ClockNs = info.TimestampNs;
        _flows.ClockNs = clockNs;
        _flows.CreationOrder = frameIndex * PhasesPerFrame + 0;
        OnReassembled(whole, facts, payload, info);
    }

    /// <summary>An ICMP error handed over by the reading thread to the shard of the flow it quotes.</summary>
    internal void AnalyzePathMtu(ReadOnlySpan<byte> frame, in DecodedPacket p, in CaptureInfo info)
    {
        _events.ClockNs = info.TimestampNs;
        OnPathMtuMessage(frame, p, info);
    }

    /// <summary>A UDP datagram lost with a fragment, handed over by the reading thread (at <paramref name="clockNs"/>).</summary>
    internal void AnalyzeLostDatagram(in DatagramFacts facts, long clockNs)
    {
        _events.ClockNs = clockNs;
        OnDatagramLost(facts);
    }

    /// <summary>The reading thread's part of a sharded analysis for a fragment: reassembly (complete datagrams go to the shards).</summary>
    internal void ReassembleForShards(ReadOnlySpan<byte> frame, in DecodedPacket p, in CaptureInfo info) => OnFragment(frame, p, info);

    /// <summary>The reading thread's expiry of datagrams still in reassembly (lost UDP datagrams go to the shards).</summary>
    internal void ExpireFragments(long timeNs) => _fragments.Expire(timeNs);

    /// <summary>The reading thread's end of reassembly: what never completed is given up.</summary>
    internal void FinishFragments() => _fragments.FinishAll();

    /// <summary>Makes this analyzer's event collector part <paramref name="part"/> of a sharded run's row limit.</summary>
    internal void ShareRowLimit(SharedRowLimit limit, int part) => _events.ShareLimit(limit, part);

    /// <summary>
    /// The expiry check of a frame that belongs to another shard: this shard closes what is due at the same point of
    /// the capture as a single analyzer would.
    /// </summary>
    internal void ExpiryTick(long timeNs, long clockNs)
    {
        _events.ClockNs = timeNs;
        ExpireAt(timeNs, clockNs);
    }

    /// <summary>Expiry at a frame of time <paramref name="t"/>: flows by the table's clock (the latest time so far), fragments by the frame's.</summary>
    private void ExpireAt(long t, long clockNs)
    {
        // Between two checks the table only grows (a reused or evicted flow is replaced at once): its peak is
        // reached just before a check, which is where a shard notes its size for the merged peak.
        _activeBeforeExpiry?.Add(_flows.ActiveCount);
        _flows.Expire(clockNs);
        _flows.ExpireClosed(clockNs);
        _fragments.Expire(t);
    }

    /// <summary>
    /// Ends the analysis: closes the remaining flows and turns what the readers noticed (truncation, damage,
    /// interface drops, snaplen cuts) into events. Call once, after the last <see cref="Process"/>.
    /// </summary>
    public AnalysisResult Finish(IReadOnlyList<CaptureFileStats> files)
    {
        FinishFlows(_previousTimeNs);
        _admissions.Policy.EndPlaces();   // the end of the capture is over: its flows are listed
        ReportKernelCounters(_options, Listing.Listed, _events, _lastTimeNs);
        ReportFileFacts(files);
        ReportEventsLimited(_events, _options, _lastTimeNs);
        return Result(files, Listing.Listed);
    }

    /// <summary>Closes what is still open at the end (a shard's part of <see cref="Finish"/>), the clock at the last frame's time.</summary>
    internal void FinishFlows(long lastFrameTimeNs)
    {
        _admissions.Place = AdmissionLog.EndPlace;
        _events.ClockNs = lastFrameTimeNs;
        _activeBeforeExpiry?.Add(_flows.ActiveCount);
        _fragments.FinishAll();
        if (!_admissions.Deferred)
        {
            Listing.Expect(_flows.ActiveCount);   // a shard's are the reading thread's to expect (ShardedAnalysis)
        }
        else
        {
            _admissions.Expect(_flows.ActiveCount);   // each open flow's end is logged for the reading thread
        }
        _flows.FinishAll();
    }

    /// <summary>
    /// The state so far, for a periodic report of a long live capture: the flows that ended and those still open
    /// (their running figures; what they hold back until they end, such as an open zero-window episode, is not in it
    /// yet) and the events so far. Nothing is closed: <see cref="Process"/> goes on after it. The result shares the
    /// analyzer's objects, so write it before processing more frames.
    /// </summary>
    public AnalysisResult Snapshot(IReadOnlyList<CaptureFileStats> files) => Result(files, Listing.Listed.Concat(_flows.Active));

    private AnalysisResult Result(IReadOnlyList<CaptureFileStats> files, IEnumerable<Flow> flows)
    {
        HostsNotProfiled notProfiled = _timing.NotProfiledAtEnd();
        return new AnalysisResult
        {
            Files = files,
            Packets = _counters,
            IpSizes = _sizes,
            FirstTimeNs = _counters.Frames == 0 ? 0 : _firstTimeNs,
            LastTimeNs = _counters.Frames == 0 ? 0 : _lastTimeNs,
            LinkTypes = _linkTypes,
            Flows = flows.OrderBy(f => f.Id).ToList(),
            ReleasedFlows = _spool?.ReadSorted() ?? [],
            ReleasedReader = _spool is { } spool ? reuse => spool.ReadSorted(reuse) : null,
            ReleasedBest = _spool?.Best ?? [],
            Spools = _spool is null ? [] : [_spool],
            FlowTable = new FlowTableFigures(_flows.Created, _flows.PeakActive, _flows.Expired, _flows.Evicted) { Released = Listing.Released, ClosedAfterLinger = _flows.ClosedAfterLinger },
            Events = _events,
            Datagrams = _datagrams,
            KernelCounterDeltas = _options.KernelCounterDeltas,
            DatagramsNotListed = _datagramsNotListed,
            DelayedAckProfiles = _timing.Profiles.OrderBy(h => h.Host.ToString(), StringComparer.Ordinal).ToList(),
            DelayedAckHostsNotProfiled = notProfiled.Count,
            DelayedAckHostsNotProfiledAtLeast = notProfiled.Saturated,
            SeriesFlowsRefused = _admissions.Policy.SeriesRefused,
        };
    }

    /// <summary>Reads every frame of <paramref name="source"/> through the analyzer and finishes.</summary>
    /// <param name="source">The frames.</param>
    /// <param name="files">Stats of the files behind the source, for the report.</param>
    /// <param name="options">Limits.</param>
    /// <param name="progress">Called about every 65,536 frames (e.g. for a progress bar); may be null.</param>
    /// <param name="cancellation">Stops reading early (Ctrl-C); what was read is still reported.</param>
    public static AnalysisResult Run(IPacketSource source, IReadOnlyList<CaptureFileStats> files, AnalysisOptions? options = null,
        Action? progress = null, CancellationToken cancellation = default) =>
        new CaptureAnalyzer(options).RunAll(source, files, progress, cancellation);

    /// <summary>Reads every frame of <paramref name="source"/> through this analyzer and finishes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public AnalysisResult RunAll(IPacketSource source, IReadOnlyList<CaptureFileStats> files, Action? progress = null,
        CancellationToken cancellation = default)
    {
        long n = 0;
        while (source.TryRead(out CaptureInfo info, out ReadOnlySpan<byte> data))
        {
            Process(info, data);
            if ((++n & 0xFFFF) == 0)
            {
                progress?.Invoke();
                if (cancellation.IsCancellationRequested)
                {
                    break;
                }
            }
        }
        return Finish(files);
    }

    private void NoteLinkType(in CaptureInfo info)
    {
        _lastLinkType = info.LinkType;
        if (!IsListed(info.LinkType))
        {
            _linkTypes.Add(info.LinkType);
        }
        if (!FrameDecoder.Supports(info.LinkType) && (_unsupportedReported ??= new()).Add((info.FileIndex, info.LinkType)))
        {
            _events.Report(new AnalysisEvent(EventKind.CaptureUnsupportedLinkType, info.TimestampNs, info.FrameNumber, info.FileIndex, 0,
                default, 0, default, 0, -1, "linktype=" + LinkTypeNames.NumberAndName(info.LinkType)));
        }
    }

    private bool IsListed(LinkType linkType)
    {
        for (int i = 0; i < _linkTypes.Count; i++)
        {
            if (_linkTypes[i] == linkType)
            {
                return true;
            }
        }
        return false;
    }

    // A file's frames cut short by the snapshot length: how many, and the first (Kept: a count was kept for the file).
    // Kept by file index in an array: a Dictionary over a tuple or a struct of ours is compiled at run time (ValueList).
    private struct SnaplenCutCount
    {
        public bool Kept;
        public long Frames, FirstFrame, FirstTimeNs;
    }

    private bool TryGetSnaplenCut(int fileIndex, out SnaplenCutCount count)
    {
        count = fileIndex < _snaplenCutByFile.Length ? _snaplenCutByFile[fileIndex] : default;
        return count.Kept;
    }

    private void CountSnaplenCut(in CaptureInfo info)
    {
        // Every frame of a header-only capture (tcpdump -s 96) comes here: the file being read is counted in a field,
        // and the dictionary is touched only when another file's frame comes (merged captures).
        if (info.FileIndex != _snaplenCutFile)
        {
            CountSnaplenCutsOf(info);
        }
        _snaplenCut.Frames++;
    }

    private void CountSnaplenCutsOf(in CaptureInfo info)
    {
        KeepSnaplenCutCount();
        _snaplenCutFile = info.FileIndex;
        _snaplenCut = TryGetSnaplenCut(info.FileIndex, out SnaplenCutCount counted)
            ? counted
            : new SnaplenCutCount { Kept = true, FirstFrame = info.FrameNumber, FirstTimeNs = info.TimestampNs };
    }

    private void KeepSnaplenCutCount()
    {
        if (_snaplenCutFile >= 0)
        {
            if (_snaplenCutFile >= _snaplenCutByFile.Length)
            {
                var grown = new SnaplenCutCount[Math.Max(_snaplenCutFile + 1, 2 * _snaplenCutByFile.Length)];
                Array.Copy(_snaplenCutByFile, grown, _snaplenCutByFile.Length);
                _snaplenCutByFile = grown;
            }
            _snaplenCutByFile[_snaplenCutFile] = _snaplenCut;
        }
    }

    private void ReportReusedPort(in CaptureInfo info, in DecodedPacket p, Flow flow, Flow replaced)
    {
        _events.Report(new AnalysisEvent(EventKind.TcpReusedPort, info.TimestampNs, info.FrameNumber, info.FileIndex, flow.Id,
            p.Src, p.SrcPort, p.Dst, p.DstPort, -1,
            $"previous_flow={replaced.Id} idle_ms={CaptureTime.Milliseconds(info.TimestampNs - replaced.LastTimeNs)}"));
    }

    private void ReportTimeBackwards(in CaptureInfo info)
    {
        if (!_events.BuildRow(EventKind.CaptureTimeBackwards, info.TimestampNs))
        {
            return;
        }
        double backMs = (_previousTimeNs - info.TimestampNs) / 1e6;
        _events.Report(new AnalysisEvent(EventKind.CaptureTimeBackwards, info.TimestampNs, info.FrameNumber, info.FileIndex, 0,
            default, 0, default, 0, -1, "back_ms=" + backMs.ToString("0.###", CultureInfo.InvariantCulture)));
    }

    private void ReportMalformed(in CaptureInfo info, in DecodedPacket p)
    {
        if (!_events.BuildRow(EventKind.CaptureMalformedPacket, info.TimestampNs))
        {
            return;
        }
        string status = p.Status == DecodeStatus.Truncated ? "truncated" : "malformed";
        _events.Report(new AnalysisEvent(EventKind.CaptureMalformedPacket, info.TimestampNs, info.FrameNumber, info.FileIndex, 0,
            p.Src, p.SrcPort, p.Dst, p.DstPort, -1, $"status={status} issue={IssueName(p.Issue)} caplen={info.CapturedLength} len={info.OriginalLength}"));
    }

    /// <summary>Turns what the readers noticed (truncation, damage, interface drops) and the snaplen cuts into events.</summary>
    internal void ReportFileFacts(IReadOnlyList<CaptureFileStats> files)
    {
        for (int i = 0; i < files.Count; i++)
        {
            ReportFileFacts(i, files[i]);
        }
    }

    /// <summary>Says how many rows the row limit left out, once the rows are final.</summary>
    internal static void ReportEventsLimited(EventCollector events, AnalysisOptions options, long lastTimeNs)
    {
        if (events.RowsOverLimit > 0)
        {
            events.Report(new AnalysisEvent(EventKind.CaptureEventsLimited, lastTimeNs, 0, 0, 0, default, 0, default, 0, -1,
                $"rows_not_listed={events.RowsOverLimit} max_events={options.MaxEventRows}"));
        }
    }

    private void ReportFileFacts(int fileIndex, CaptureFileStats file)
    {
        foreach (CaptureWarning w in file.Warnings)
        {
            EventKind kind = w.Kind switch
            {
                CaptureWarningKind.Truncated => EventKind.CaptureTruncated,
                CaptureWarningKind.CapturedLengthOverSnaplen => EventKind.None,
                _ => EventKind.CaptureDamaged,
            };
            if (kind == EventKind.None)
            {
                continue;
            }
            _events.Report(new AnalysisEvent(kind, _lastTimeNs, w.AfterFrame, fileIndex, 0, default, 0, default, 0, -1,
                $"file={Path.GetFileName(file.Path)} offset={w.ByteOffset} frames_read={w.AfterFrame} reason=\"{w.Message}\""));
        }
        for (int i = 0; i < file.Interfaces.Count; i++)
        {
            CaptureInterface iface = file.Interfaces[i];
            if (iface.TotalDrops > 0)
            {
                string name = iface.Name is null ? "" : $" name={iface.Name}";
                string queue = iface.QueueDrops >= 0 ? $" queue_drop={iface.QueueDrops}" : "";
                _events.Report(new AnalysisEvent(EventKind.CaptureInterfaceDrops, _lastTimeNs, 0, fileIndex, 0, default, 0, default, 0, -1,
                    $"file={Path.GetFileName(file.Path)} interface={i}{name} ifdrop={Math.Max(0, iface.InterfaceDrops)} osdrop={Math.Max(0, iface.OsDrops)}{queue}"));
            }
        }
        KeepSnaplenCutCount();
        if (TryGetSnaplenCut(fileIndex, out SnaplenCutCount cut))
        {
            int snaplen = file.Interfaces.Count > 0 ? file.Interfaces[0].Snaplen : 0;
            _events.Report(new AnalysisEvent(EventKind.CaptureSnaplenCut, cut.FirstTimeNs, cut.FirstFrame, fileIndex, 0, default, 0, default, 0, -1,
                $"file={Path.GetFileName(file.Path)} frames={cut.Frames} snaplen={snaplen}"));
        }
    }

    private static string IssueName(DecodeIssue issue) => issue switch
    {
        DecodeIssue.LinkTruncated => "link_truncated",
        DecodeIssue.Ipv4Truncated => "ipv4_truncated",
        DecodeIssue.IpBadVersion => "ip_bad_version",
        DecodeIssue.Ipv4HeaderLengthTooSmall => "ipv4_hlen_too_small",
        DecodeIssue.Ipv4TotalLengthTooSmall => "ipv4_total_length_too_small",
        DecodeIssue.Ipv6Truncated => "ipv6_truncated",
        DecodeIssue.Ipv6BadExtensionHeader => "ipv6_bad_extension_header",
        DecodeIssue.TcpTruncated => "tcp_truncated",
        DecodeIssue.TcpBadDataOffset => "tcp_bad_data_offset",
        DecodeIssue.UdpTruncated => "udp_truncated",
        DecodeIssue.IcmpTruncated => "icmp_truncated",
        _ => "none",
    };
}
