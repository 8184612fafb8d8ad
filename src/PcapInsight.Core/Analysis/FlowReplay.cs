using System.Buffers.Binary;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Flows;

namespace PcapInsight.Core.Analysis;

/// <summary>
/// Records the time series of chosen TCP flows by reading the capture again: a report narrowed to some flows
/// (<c>analyze --flow N</c>, <c>--host</c>, <c>--port</c>, a time window) draws the flows it chose, and the analysis may
/// have had no series slot for them. Slots are given as flows begin, first come, and a flow's id and rank are known
/// only at the end (shards number their flows at the merge), so a slot cannot be kept for a flow in the analysis
/// itself; a flow released past <c>--max-listed-flows</c> is no longer in memory either.
/// </summary>
/// <remarks>
/// The second read passes an analyzer only the chosen flows' own packets, each from its first frame until as many as
/// the flow had are passed and its last time is past, and the IP fragments between their hosts (a datagram of a flow
/// may arrive in them); every other frame is dropped (an IPv4 frame of a common link whose hosts, protocol or ports are
/// no chosen flow's without being decoded), and reading stops once every chosen flow is done. So it costs at most a
/// read and decode of the file (<c>info</c>), and memory for the chosen flows. A series
/// depends only on the flow's own packets, so the points are those the analysis would have recorded; the flows'
/// figures in the tables stay the analysis' (a host's delayed-ACK profile, say, is built from all its flows).
/// </remarks>
public static class FlowReplay
{
    /// <summary>
    /// The TCP flows of <paramref name="flows"/> (of an analysis of the same capture) analysed again with their time
    /// series, each with its summary's id, in the order given; a flow that is not TCP, or whose first frame the capture
    /// no longer holds, is left out. <paramref name="source"/> is read to its end or until every flow is done, and not
    /// disposed.
    /// </summary>
    public static IReadOnlyList<Flow> Record(IPacketSource source, IReadOnlyList<CaptureFileStats> files, IReadOnlyList<FlowSummary> flows,
        AnalysisOptions options, CancellationToken cancellation = default)
    {
        List<FlowSummary> tcp = flows.Where(f => f.Protocol == 6).ToList();
        if (tcp.Count == 0)
        {
            return [];
        }
        var replay = options with
        {
            SeriesFlows = Math.Min(tcp.Count, 100_000),
            SeriesOnlyFlowsStartingAt = tcp.Select(f => (f.FirstFrame, f.FirstTimeNs)).ToHashSet(),
            SpoolDirectory = null,
        };
        var frames = new ChosenFlowFrames(source, tcp, options.TunnelDepth);
        AnalysisResult result = new CaptureAnalyzer(replay).RunAll(frames, files, cancellation: cancellation);
        var found = new List<Flow>();
        foreach (FlowSummary wanted in tcp)
        {
            if (result.Flows.FirstOrDefault(f => f.FirstFrame == wanted.FirstFrame && f.FirstTimeNs == wanted.FirstTimeNs
                    && f.Protocol == 6 && f.Key.Equals(ChosenFlowFrames.KeyOf(wanted)) && f.Tcp?.Series is not null) is { } f)
            {
                f.Id = wanted.Id;
                found.Add(f);
            }
        }
        return found;
    }

    /// <summary>The frames of the chosen flows (and the fragments between their hosts), read from a whole capture.</summary>
    internal sealed class ChosenFlowFrames : IPacketSource
    {
        private readonly IPacketSource _inner;
        private readonly Target[] _targets;
        private readonly Dictionary<FlowKey, int[]> _byKey;
        private readonly Dictionary<long, int[]> _byFirstFrame;
        private readonly HashSet<(IpAddr, IpAddr, ushort)> _hostPairs = new();
        private readonly List<Target> _finishing = new();   // started, every packet passed: done at a frame stamped past its last
        private readonly HashSet<ulong> _ipv4HostPairs = new();   // the untagged IPv4 flows' hosts, lower address high
        private readonly HashSet<uint> _portPairs = new();        // every flow's ports, lower port high
        private readonly int _tunnelDepth;
        private DecodedPacket _packet;
        private int _done;

        public ChosenFlowFrames(IPacketSource inner, IReadOnlyList<FlowSummary> flows, int tunnelDepth = FrameDecoder.DefaultTunnelDepth)
        {
            _inner = inner;
            // Tunnels are opened only when a chosen flow was found in one: a flow's packets found in a tunnel mark it
            // (Flow.Tunnels), so no tunnel's datagram holds a packet of the others. Without it every UDP fragment is
            // passed on and reassembled (it might be a tunnel's datagram, and only the first has ports): on
            // mixed.pcapng's fragment floods that was most of the second read.
            _tunnelDepth = flows.Any(f => f.Tunnels != TunnelKinds.None) ? tunnelDepth : 0;
            _targets = flows.Select(f => new Target(f)).ToArray();
            _byKey = Enumerable.Range(0, _targets.Length).GroupBy(i => _targets[i].Key).ToDictionary(g => g.Key, g => g.ToArray());
            _byFirstFrame = Enumerable.Range(0, _targets.Length).GroupBy(i => flows[i].FirstFrame).ToDictionary(g => g.Key, g => g.ToArray());
            foreach (FlowSummary f in flows)
            {
                _hostPairs.Add(HostPair(f.Client, f.Server, f.Vlan));
                if (f.Client.Version == 4 && f.Server.Version == 4 && f.Vlan == 0)
                {
                    _ipv4HostPairs.Add(Pair((uint)f.Client.Lo, (uint)f.Server.Lo));
                }
                _portPairs.Add(Pair(f.ClientPort, f.ServerPort));
            }
        }

        public CaptureFileStats Stats => _inner.Stats;

        public bool TryRead(out CaptureInfo info, out ReadOnlySpan<byte> data)
        {
            while (_done < _targets.Length && _inner.TryRead(out info, out data))
            {
                for (int i = _finishing.Count - 1; i >= 0; i--)
                {
                    if (info.TimestampNs > _finishing[i].LastTimeNs)
                    {
                        _finishing[i].Done = true;
                        _finishing.RemoveAt(i);
                        _done++;
                    }
                }
                if (_byFirstFrame.TryGetValue(info.FrameNumber, out int[]? starting))
                {
                    // A flow starts at its first frame, whatever that frame decodes to (it may complete a datagram
                    // from fragments): an earlier flow of the same ports is left out.
                    foreach (int i in starting)
                    {
                        _targets[i].StartAt(in info, _finishing);
                    }
                }
                if (SurelyNotChosen(data, info.LinkType))
                {
                    Undecoded++;
                    continue;
                }
                FrameDecoder.Decode(data, info.LinkType, ref _packet, Math.Max(0, info.OriginalLength - info.CapturedLength), _tunnelDepth);
                if (_packet.Status != DecodeStatus.Ok)
                {
                    continue;
                }
                if (_packet.IsFragment)
                {
                    // A chosen flow's segment in fragments, or perhaps inside a tunnel's datagram in fragments (opened
                    // once reassembled): the analysis below reassembles them as the first read did.
                    if (_packet.Protocol == 6 && _hostPairs.Contains(HostPair(_packet.Src, _packet.Dst, _packet.VlanId))
                        || _tunnelDepth > _packet.TunnelDepth && (FrameDecoder.IsTunnelProtocol(_packet.Protocol) || _packet.Protocol == 17))
                    {
                        return true;
                    }
                    continue;
                }
                if (_packet.HasPorts && _byKey.TryGetValue(FlowKey.From(in _packet, out _), out int[]? chosen))
                {
                    foreach (int i in chosen)
                    {
                        if (_targets[i].TakePacket(_finishing))
                        {
                            return true;
                        }
                    }
                }
            }
            info = default;
            data = default;
            return false;
        }

        public void Dispose() => _inner.Dispose();

        /// <summary>
        /// Whether an IPv4 frame of a common link (untagged Ethernet, Linux cooked SLL and SLL2 as <c>tcpdump -i any</c>
        /// writes, raw IP), read at fixed offsets, cannot be one the decode below passes on: its hosts are no chosen
        /// flow's (every frame passed has a chosen flow's hosts), it is not TCP (the chosen flows are), or it is whole and
        /// its ports are no chosen flow's. Anything else (another link, a VLAN tag, IPv6, a header cut short or odd) is
        /// decoded, and so is a tunnel's datagram (IP in IP, GRE, a tunnel's UDP port), whose chosen hosts are inside.
        /// On a capture of many flows the replay skipped most frames' decode: small.pcap, one flow, 0.94-1.08 s
        /// -> 0.41-0.62 s (bench/RESULTS.md); a test holds the frames passed equal with and without it.
        /// </summary>
        private bool SurelyNotChosen(ReadOnlySpan<byte> frame, LinkType link)
        {
            int ip = link switch
            {
                LinkType.Ethernet when frame.Length >= 14 && frame[12] == 0x08 && frame[13] == 0x00 => 14,
                LinkType.LinuxSll when frame.Length >= 16 && frame[14] == 0x08 && frame[15] == 0x00 => 16,
                LinkType.LinuxSll2 when frame.Length >= 20 && frame[0] == 0x08 && frame[1] == 0x00 => 20,
                LinkType.Raw or LinkType.RawBsd12 or LinkType.Ipv4 or LinkType.Ipv6 => 0,   // the version nibble decides, as in the decoder
                _ => -1,
            };
            if (!Precheck || ip < 0 || frame.Length < ip + 20 || (frame[ip] >> 4) != 4)
            {
                return false;
            }
            int headerLength = (frame[ip] & 0x0F) * 4;
            if (headerLength < 20)
            {
                return false;
            }
            bool fragment = (BinaryPrimitives.ReadUInt16BigEndian(frame[(ip + 6)..]) & 0x3FFF) != 0;   // more fragments, or an offset
            int ports = ip + headerLength;
            byte protocol = frame[ip + 9];
            if (_tunnelDepth != 0 && (FrameDecoder.IsTunnelProtocol(protocol) || protocol == 17 && (fragment || frame.Length >= ports + 4
                    && FrameDecoder.IsTunnelPort(BinaryPrimitives.ReadUInt16BigEndian(frame[ports..]), BinaryPrimitives.ReadUInt16BigEndian(frame[(ports + 2)..])))))
            {
                return false;   // a tunnel's datagram, or a fragment of one (a UDP fragment after the first has no ports to tell)
            }
            if (!_ipv4HostPairs.Contains(Pair(BinaryPrimitives.ReadUInt32BigEndian(frame[(ip + 12)..]), BinaryPrimitives.ReadUInt32BigEndian(frame[(ip + 16)..]))))
            {
                return true;
            }
            if (frame[ip + 9] != 6)
            {
                return true;
            }
            return !fragment && frame.Length >= ports + 4
                && !_portPairs.Contains(Pair(BinaryPrimitives.ReadUInt16BigEndian(frame[ports..]), BinaryPrimitives.ReadUInt16BigEndian(frame[(ports + 2)..])));
        }

        /// <summary>Frames dropped by the check at fixed offsets, undecoded.</summary>
        internal long Undecoded { get; private set; }

        /// <summary>False: every frame is decoded (the reference the check is tested against).</summary>
        internal bool Precheck { get; init; } = true;

        private static ulong Pair(uint a, uint b) => a <= b ? (ulong)a << 32 | b : (ulong)b << 32 | a;

        private static uint Pair(ushort a, ushort b) => a <= b ? (uint)a << 16 | b : (uint)b << 16 | a;

        internal static FlowKey KeyOf(FlowSummary f)
        {
            var p = new DecodedPacket { Src = f.Client, SrcPort = f.ClientPort, Dst = f.Server, DstPort = f.ServerPort, Protocol = f.Protocol, VlanId = f.Vlan };
            return FlowKey.From(in p, out _);
        }

        private static (IpAddr, IpAddr, ushort) HostPair(IpAddr a, IpAddr b, ushort vlan) => a.CompareTo(b) <= 0 ? (a, b, vlan) : (b, a, vlan);

        /// <summary>One chosen flow: where it starts, how many of its packets are still to come, whether it is done.</summary>
        private sealed class Target(FlowSummary flow)
        {
            public readonly FlowKey Key = KeyOf(flow);
            public readonly long LastTimeNs = flow.LastTimeNs;
            public bool Done;
            private bool _started;

            // Its packets with its ports not yet passed on. Once all are, and a frame is stamped after its last packet,
            // it is done: the count first, since a capture whose clock stepped back has frames stamped later between the
            // flow's packets; the time too, since a datagram of the flow that came in fragments is not among the packets.
            private long _toPass = flow.PacketsC2S + flow.PacketsS2C;

            public void StartAt(in CaptureInfo info, List<Target> finishing)
            {
                if (_started || info.TimestampNs != flow.FirstTimeNs)
                {
                    return;
                }
                _started = true;
                if (_toPass <= 0)
                {
                    finishing.Add(this);   // every packet of it came in fragments
                }
            }

            /// <summary>A frame with the flow's ports: true when it is one of the flow's own.</summary>
            public bool TakePacket(List<Target> finishing)
            {
                if (!_started || Done)
                {
                    return false;
                }
                if (--_toPass == 0)
                {
                    finishing.Add(this);
                }
                return true;
            }
        }
    }
}
