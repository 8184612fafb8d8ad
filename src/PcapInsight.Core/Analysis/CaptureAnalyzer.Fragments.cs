using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Events;
using PcapInsight.Core.Flows;
using PcapInsight.Core.Fragments;
using PcapInsight.Core.TcpAnalysis;
using PcapInsight.Core.UdpAnalysis;

namespace PcapInsight.Core.Analysis;

/// <summary>IP fragments: reassembly, the datagram events, and the reassembled TCP segments into the TCP analysis.</summary>
public sealed partial class CaptureAnalyzer
{
    private readonly IpReassembler _fragments;
    private readonly List<DatagramRecord> _datagrams = new();
    private long _datagramsNotListed;
    private FragmentedDatagram? _lastRecorded;   // the datagram of _datagrams' last record, for its CarriedTunnel mark
    private bool _fragTableFullReported;

    /// <summary>
    /// Where a sharded analysis sends a reassembled datagram (to the shard of its flow) instead of analysing it here;
    /// null: here.
    /// </summary>
    internal ReassembledDatagramHandler? DivertReassembled { get; set; }

    /// <summary>Where a sharded analysis sends a UDP datagram lost with a fragment (to its flow's shard); null: here.</summary>
    internal Action<DatagramFacts>? DivertLost { get; set; }

    private void OnFragment(ReadOnlySpan<byte> frame, in DecodedPacket p, in CaptureInfo info)
    {
        FragmentedDatagram? done = _fragments.Add(frame, p, info);
        if (done is null || done.BytesCut)
        {
            return;   // not complete yet, or complete but cut by the snaplen: no bytes to analyse
        }
        bool tunnelCandidate = IsTunnelCandidate(p, done.SrcPort, done.DstPort);
        if (p.Protocol is not (6 or 17) && !tunnelCandidate)
        {
            return;
        }
        DecodedPacket whole = p;
        FrameDecoder.DecodeReassembled(done.Payload, ref whole, _options.TunnelDepth);
        if (!whole.HasTransport || whole.IsFragment || whole.Protocol is not (6 or 17))
        {
            // Nothing to analyse, or the tunnel's datagram is itself a fragment: one reassembly deep is what we do.
            return;
        }
        var facts = DatagramFacts.Of(done, "") with
        {
            CarriedTunnel = whole.TunnelDepth != p.TunnelDepth,
            TunnelCandidate = tunnelCandidate,
        };
        if (facts.CarriedTunnel && ReferenceEquals(_lastRecorded, done) && _datagrams[^1].FirstFrame == done.FirstFrame && _datagrams[^1].IpId == done.Key.Id)
        {
            // Its record was made as it completed, before it was opened: the findings leave a tunnel's datagrams to
            // ip.tunnel_fragmented, whose advice is the tunnel's MTU, not the application's datagram size.
            _datagrams[^1] = _datagrams[^1] with { CarriedTunnel = true };
        }
        if (DivertReassembled is { } divert)
        {
            divert(whole, facts, done.Payload, info);
            return;
        }
        OnReassembled(whole, facts, done.Payload, info);
    }

    /// <summary>
    /// A datagram rebuilt from its fragments continues as if it had arrived in one piece: its payload joins the flow
    /// (the frames were counted as they came), and a TCP segment is analysed whole.
    /// </summary>
    internal void OnReassembled(in DecodedPacket whole, in DatagramFacts done, ReadOnlySpan<byte> payload, in CaptureInfo info)
    {
        // Its frames were counted as they came, in the flow the first fragment named; but a tunnel's datagram (whose
        // fragments named no flow) is its flow's packet, counted with the frame that completed it, as tshark's
        // conversations count it.
        Flow flow = _flows.Update(whole, info, out bool fromClient, out _, countPacket: done.TunnelCandidate);
        if (done.CarriedTunnel && Keeps(EventKind.IpTunnelFragmented, done))
        {
            Row(EventKind.IpTunnelFragmented, done, flow.Id, $"tunnel={TunnelKindNames.Of(whole.Tunnels)} fragments={done.Fragments} "
                + $"inner_bytes={whole.IpTotalLength} outer_payload_bytes={done.Bytes} largest_fragment={done.LargestFragment}");
        }
        if (whole.Protocol == 17)
        {
            // A datagram inside a tunnel whose outer datagram was fragmented was not fragmented itself: the outer one
            // is in fragments.csv, the inner one's figures (udp.csv's fragmented datagrams, ip.tcp_fragmented) stay its own.
            if (!done.CarriedTunnel)
            {
                CountFragmentedDatagram(flow, done);
            }
            int start = Math.Min(whole.PayloadOffset, payload.Length);
            OnUdpDatagram(flow, fromClient, whole, payload[start..Math.Min(payload.Length, start + whole.PayloadLength)], info);
            return;
        }
        if (whole.Protocol != 6)
        {
            return;
        }
        TcpSegmentAnalyzer.OnSegment(flow, fromClient, whole, info, _events);
        _timing.OnSegment(flow, fromClient, whole, info, _events);
        _series?.OnSegment(flow, fromClient, whole, info, _flows.CreationOrder);
        OnTcpSegment?.Invoke(flow, fromClient, whole, payload);
        if (!done.CarriedTunnel && Keeps(EventKind.IpTcpFragmented, done))
        {
            Row(EventKind.IpTcpFragmented, done, flow.Id, $"fragments={done.Fragments} segment_bytes={whole.PayloadLength} largest_fragment={done.LargestFragment}");
        }
    }

    /// <summary>A UDP datagram whose first fragment named the flow and that never completed: the flow lost it with a fragment.</summary>
    internal void OnDatagramLost(in DatagramFacts d)
    {
        if (_flows.Find(d.FlowPacket(), out _) is not { } flow)
        {
            return;
        }
        CountFragmentedDatagram(flow, d);
        flow.Udp!.LostWithFragment++;
        if (_events.BuildRow(EventKind.UdpFragmentLoss, d.FirstTimeNs))
        {
            _events.Report(new AnalysisEvent(EventKind.UdpFragmentLoss, d.FirstTimeNs, d.FirstFrame, d.FirstFile, flow.Id,
                d.Src, d.SrcPort, d.Dst, d.DstPort, d.LastTimeNs - d.FirstTimeNs,
                $"ip_id={d.IpId} fragments_seen={d.Fragments} missing={d.Missing.Replace(' ', ';')} evidence=fragments"));
        }
    }

    private void OnDatagramFinished(FragmentedDatagram d, string ended)
    {
        FragmentStatus status = d.Status;
        string missing = status == FragmentStatus.Incomplete ? d.Missing() : "";
        var facts = DatagramFacts.Of(d, missing);
        if (status == FragmentStatus.Incomplete && d.HasPorts && d.Protocol == 17)
        {
            if (DivertLost is { } divert)
            {
                divert(facts);
            }
            else
            {
                OnDatagramLost(facts);
            }
        }
        if (_datagrams.Count < _options.MaxEventRows)
        {
            _datagrams.Add(new DatagramRecord(d.FirstTimeNs, d.LastTimeNs, d.Key.IpVersion, d.Key.Src, d.Key.Dst, d.Key.Id,
                d.Protocol, d.Fragments, d.TotalLength >= 0 ? d.TotalLength : d.ReceivedBytes,
                status, missing, d.OverlapBytes, d.ConflictBytes, d.LargestFragment, d.FirstFrame, d.FirstFile, ended, d.PolicyGroups, d.TinyFragments));
            _lastRecorded = d;
        }
        else
        {
            _lastRecorded = null;
            _datagramsNotListed++;
        }
        // Each row's detail is made only when the row is kept: ip.fragmented is sampled, and a capture of a million
        // fragmented datagrams made a million details for a few hundred rows.
        if (Keeps(EventKind.IpFragmented, facts))
        {
            Row(EventKind.IpFragmented, facts, 0, $"fragments={d.Fragments} bytes={(d.TotalLength >= 0 ? d.TotalLength : d.ReceivedBytes)} largest_fragment={d.LargestFragment} status={FragmentStatuses.Name(status)}");
        }
        if (status == FragmentStatus.Incomplete && Keeps(EventKind.IpFragIncomplete, facts))
        {
            Row(EventKind.IpFragIncomplete, facts, 0,
                $"missing={missing.Replace(' ', ';')} fragments_held={d.Fragments} age_ms={CaptureTime.Milliseconds(d.LastTimeNs - d.FirstTimeNs)} reason={ended}");
        }
        if (d.ConflictBytes > 0)
        {
            if (Keeps(EventKind.IpFragOverlapConflict, facts))
            {
                Row(EventKind.IpFragOverlapConflict, facts, 0, $"conflict_bytes={d.ConflictBytes} overlap_bytes={d.OverlapBytes} kept={FragmentPolicies.Name(_options.Fragments.Policy)}"
                    + (d.PolicyGroups.Length > 0 ? $" policies={d.PolicyGroups}" : ""));
            }
        }
        else if (d.OverlapBytes > 0 && Keeps(EventKind.IpFragOverlap, facts))
        {
            Row(EventKind.IpFragOverlap, facts, 0, $"overlap_bytes={d.OverlapBytes}");
        }
        if (d.TinySeen && Keeps(EventKind.IpFragTiny, facts))
        {
            Row(EventKind.IpFragTiny, facts, 0, $"tiny_fragments={d.TinyFragments} tiny_below={_options.Fragments.TinyBytes}");
        }
        if (d.Oversize && Keeps(EventKind.IpFragOversize, facts))
        {
            Row(EventKind.IpFragOversize, facts, 0, "past=65535");
        }
        if (d.DontFragmentSeen && Keeps(EventKind.IpFragDf, facts))
        {
            Row(EventKind.IpFragDf, facts, 0, "df=1");
        }
        if (ended == "evicted" && !_fragTableFullReported)
        {
            _fragTableFullReported = true;
            _events.Report(new AnalysisEvent(EventKind.CaptureFragTableFull, d.LastTimeNs, 0, d.FirstFile, 0, default, 0, default, 0, -1,
                $"max_datagrams={_options.Fragments.MaxDatagrams} max_bytes={_options.Fragments.MaxBytes}"));
        }
    }

    /// <summary>
    /// A fragment of a datagram that may be a tunnel's, to be opened once reassembled: IP in IP or GRE, or UDP to or
    /// from a tunnel's port (the first fragment's), while tunnels are opened and this one would be within the depth.
    /// </summary>
    private bool IsTunnelCandidate(in DecodedPacket p, ushort srcPort, ushort dstPort) =>
        _options.TunnelDepth > p.TunnelDepth
        && (FrameDecoder.IsTunnelProtocol(p.Protocol) || p.Protocol == 17 && FrameDecoder.IsTunnelPort(srcPort, dstPort));

    /// <summary>True when the row of <paramref name="kind"/> for datagram <paramref name="d"/> is to be made (<see cref="Row"/>); otherwise it has been counted.</summary>
    private bool Keeps(EventKind kind, in DatagramFacts d) => _events.BuildRow(kind, d.FirstTimeNs);

    private void Row(EventKind kind, in DatagramFacts d, int flowId, string detail) =>
        _events.Report(new AnalysisEvent(kind, d.FirstTimeNs, d.FirstFrame, d.FirstFile, flowId, d.Src, 0, d.Dst, 0,
            d.LastTimeNs - d.FirstTimeNs, $"ip_id={d.IpId} " + detail));

    /// <summary>
    /// A UDP datagram of <paramref name="flow"/> that arrived in fragments; the first one too large for the path is
    /// reported as oversized.
    /// </summary>
    private void CountFragmentedDatagram(Flow flow, in DatagramFacts d)
    {
        UdpFlowStats udp = flow.TakeUdp();
        udp.FragmentedDatagrams++;
        if (udp.OversizedReported || d.FitsWhole)
        {
            return;
        }
        udp.OversizedReported = true;
        if (!_events.BuildRow(EventKind.UdpOversized, d.FirstTimeNs))
        {
            return;
        }
        bool fromClient = d.Src.Equals(flow.Client) && d.SrcPort == flow.ClientPort;
        _events.Report(new AnalysisEvent(EventKind.UdpOversized, d.FirstTimeNs, d.FirstFrame, d.FirstFile, flow.Id,
            fromClient ? flow.Client : flow.Server, fromClient ? flow.ClientPort : flow.ServerPort,
            fromClient ? flow.Server : flow.Client, fromClient ? flow.ServerPort : flow.ClientPort, -1,
            $"datagram_bytes={d.Bytes} largest_fragment={d.LargestFragment} evidence=fragments"));
    }
}
