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
    private bool _fragTableFullReported;

    private void OnFragment(ReadOnlySpan<byte> frame, in DecodedPacket p, in CaptureInfo info)
    {
        FragmentedDatagram? done = _fragments.Add(frame, p, info);
        if (done is null || done.BytesCut)
        {
            return;   // not complete yet, or complete but cut by the snaplen: no bytes to analyse
        }
        if (p.Protocol is not (6 or 17))
        {
            return;
        }
        DecodedPacket whole = p;
        FrameDecoder.DecodeReassembled(done.Payload, ref whole);
        if (!whole.HasTransport)
        {
            return;
        }
        // The whole datagram continues as if it had arrived in one piece: its payload joins the flow (the frames
        // were counted as they came), and a TCP segment is analysed whole.
        Flow flow = _flows.Update(whole, info, out bool fromClient, out _, countPacket: false);
        if (whole.Protocol == 17)
        {
            CountFragmentedDatagram(flow, done);
            int start = Math.Min(whole.PayloadOffset, done.Payload.Length);
            OnUdpDatagram(flow, fromClient, whole, done.Payload[start..Math.Min(done.Payload.Length, start + whole.PayloadLength)], info);
            return;
        }
        if (whole.Protocol != 6)
        {
            return;
        }
        TcpSegmentAnalyzer.OnSegment(flow, fromClient, whole, info, _events);
        _timing.OnSegment(flow, fromClient, whole, info, _events);
        _series?.OnSegment(flow, fromClient, whole, info);
        OnTcpSegment?.Invoke(flow, fromClient, whole, done.Payload);
        Report(EventKind.IpTcpFragmented, done, flow.Id, "fragments=" + done.Fragments + " segment_bytes=" + whole.PayloadLength
            + " largest_fragment=" + done.LargestFragment);
    }

    private void OnDatagramFinished(FragmentedDatagram d, string ended)
    {
        FragmentStatus status = d.Status;
        if (status == FragmentStatus.Incomplete && d.HasPorts && d.Protocol == 17)
        {
            // The first fragment named the flow: the flow lost this datagram with a fragment.
            var key = new DecodedPacket { IpVersion = d.Key.IpVersion, Src = d.Key.Src, Dst = d.Key.Dst, Protocol = 17, SrcPort = d.SrcPort,
                DstPort = d.DstPort, HasPorts = true, VlanId = d.VlanId };
            if (_flows.Find(key, out _) is { } flow)
            {
                CountFragmentedDatagram(flow, d);
                flow.Udp!.LostWithFragment++;
                if (_events.BuildRow(EventKind.UdpFragmentLoss))
                {
                    _events.Report(new AnalysisEvent(EventKind.UdpFragmentLoss, d.FirstTimeNs, d.FirstFrame, d.FirstFile, flow.Id,
                        d.Key.Src, d.SrcPort, d.Key.Dst, d.DstPort, d.LastTimeNs - d.FirstTimeNs,
                        $"ip_id={d.Key.Id} fragments_seen={d.Fragments} missing={d.Missing().Replace(' ', ';')} evidence=fragments"));
                }
            }
        }
        string missing = status == FragmentStatus.Incomplete ? d.Missing() : "";
        if (_datagrams.Count < _options.MaxEventRows)
        {
            _datagrams.Add(new DatagramRecord(d.FirstTimeNs, d.LastTimeNs, d.Key.IpVersion, d.Key.Src, d.Key.Dst, d.Key.Id,
                d.Protocol, d.Fragments, d.TotalLength >= 0 ? d.TotalLength : d.ReceivedBytes,
                status, missing, d.OverlapBytes, d.ConflictBytes, d.LargestFragment, d.FirstFrame, d.FirstFile, ended, d.PolicyGroups));
        }
        else
        {
            _datagramsNotListed++;
        }
        string name = status switch
        {
            FragmentStatus.Complete => "complete",
            FragmentStatus.Overlap => "overlap",
            FragmentStatus.Conflict => "conflict",
            _ => "incomplete",
        };
        Report(EventKind.IpFragmented, d, 0, $"fragments={d.Fragments} bytes={(d.TotalLength >= 0 ? d.TotalLength : d.ReceivedBytes)} largest_fragment={d.LargestFragment} status={name}");
        if (status == FragmentStatus.Incomplete)
        {
            Report(EventKind.IpFragIncomplete, d, 0,
                $"missing={missing.Replace(' ', ';')} fragments_held={d.Fragments} age_ms={CaptureTime.Milliseconds(d.LastTimeNs - d.FirstTimeNs)} reason={ended}");
        }
        if (d.ConflictBytes > 0)
        {
            Report(EventKind.IpFragOverlapConflict, d, 0, $"conflict_bytes={d.ConflictBytes} overlap_bytes={d.OverlapBytes} kept={FragmentPolicies.Name(_options.Fragments.Policy)}"
                + (d.PolicyGroups.Length > 0 ? $" policies={d.PolicyGroups}" : ""));
        }
        else if (d.OverlapBytes > 0)
        {
            Report(EventKind.IpFragOverlap, d, 0, $"overlap_bytes={d.OverlapBytes}");
        }
        if (d.TinySeen)
        {
            Report(EventKind.IpFragTiny, d, 0, $"tiny_below={_options.Fragments.TinyBytes}");
        }
        if (d.Oversize)
        {
            Report(EventKind.IpFragOversize, d, 0, "past=65535");
        }
        if (d.DontFragmentSeen)
        {
            Report(EventKind.IpFragDf, d, 0, "df=1");
        }
        if (ended == "evicted" && !_fragTableFullReported)
        {
            _fragTableFullReported = true;
            _events.Report(new AnalysisEvent(EventKind.CaptureFragTableFull, d.LastTimeNs, 0, d.FirstFile, 0, default, 0, default, 0, -1,
                $"max_datagrams={_options.Fragments.MaxDatagrams} max_bytes={_options.Fragments.MaxBytes}"));
        }
    }

    private void Report(EventKind kind, FragmentedDatagram d, int flowId, string detail)
    {
        if (!_events.BuildRow(kind))
        {
            return;
        }
        _events.Report(new AnalysisEvent(kind, d.FirstTimeNs, d.FirstFrame, d.FirstFile, flowId, d.Key.Src, 0, d.Key.Dst, 0,
            d.LastTimeNs - d.FirstTimeNs, $"ip_id={d.Key.Id} " + detail));
    }

    /// <summary>A UDP datagram of <paramref name="flow"/> that arrived in fragments; the first one is reported as oversized.</summary>
    private void CountFragmentedDatagram(Flow flow, FragmentedDatagram d)
    {
        UdpFlowStats udp = flow.Udp ??= new UdpFlowStats();
        if (udp.FragmentedDatagrams++ > 0)
        {
            return;
        }
        if (!_events.BuildRow(EventKind.UdpOversized))
        {
            return;
        }
        bool fromClient = d.Key.Src.Equals(flow.Client) && d.SrcPort == flow.ClientPort;
        _events.Report(new AnalysisEvent(EventKind.UdpOversized, d.FirstTimeNs, d.FirstFrame, d.FirstFile, flow.Id,
            fromClient ? flow.Client : flow.Server, fromClient ? flow.ClientPort : flow.ServerPort,
            fromClient ? flow.Server : flow.Client, fromClient ? flow.ServerPort : flow.ClientPort, -1,
            $"datagram_bytes={(d.TotalLength >= 0 ? d.TotalLength : d.ReceivedBytes)} largest_fragment={d.LargestFragment} evidence=fragments"));
    }
}
