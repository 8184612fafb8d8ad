using System.Buffers.Binary;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Events;
using PcapInsight.Core.Flows;
using PcapInsight.Core.UdpAnalysis;

namespace PcapInsight.Core.Analysis;

/// <summary>UDP: datagram figures, sequence evidence (RTP, user counters) and DNS queries without answers.</summary>
public sealed partial class CaptureAnalyzer
{
    private readonly long _dnsTimeoutNs;

    private void OnUdpDatagram(Flow flow, bool fromClient, in DecodedPacket p, ReadOnlySpan<byte> payload, in CaptureInfo info)
    {
        UdpFlowStats udp = flow.TakeUdp();
        udp.OnDatagram(payload, fromClient, info.TimestampNs, _options.UdpSequence, p.SrcPort, p.DstPort);
        if ((p.DstPort == 53 || p.SrcPort == 53) && payload.Length >= 12)
        {
            OnDns(flow, udp, p, payload, info);
        }
    }

    // Pending-query tables of flows whose queries were all answered, emptied, for the next flow that asks: a resolver's
    // capture of a million exchanges kept a million empty tables (about 260 MB) on its flows.
    private readonly Stack<Dictionary<ushort, (long, long, int)>> _spareDns = new();
    private const int SpareDnsKept = 1024;

    /// <summary>The flows in the table now (for tests of what a live flow holds).</summary>
    internal IEnumerable<Flow> LiveFlows => _flows.Active;

    /// <summary>A query to port 53 waits for the response with its id; one past the timeout is unanswered.</summary>
    private void OnDns(Flow flow, UdpFlowStats udp, in DecodedPacket p, ReadOnlySpan<byte> payload, in CaptureInfo info)
    {
        ushort id = BinaryPrimitives.ReadUInt16BigEndian(payload);
        bool response = (payload[2] & 0x80) != 0;
        if (!response && p.DstPort == 53)
        {
            udp.PendingDns ??= _spareDns.Count > 0 ? _spareDns.Pop() : new Dictionary<ushort, (long, long, int)>();
            if (udp.PendingDns.Count < 1024)
            {
                udp.PendingDns.TryAdd(id, (info.TimestampNs, info.FrameNumber, info.FileIndex));
            }
        }
        else if (response && p.SrcPort == 53 && udp.PendingDns is { } pending && pending.Remove(id, out var query))
        {
            long waited = info.TimestampNs - query.TimeNs;
            if (waited > _dnsTimeoutNs)
            {
                ReportDns(flow, id, query, waited, late: true);
            }
            if (pending.Count == 0)
            {
                SpareDns(udp);
            }
        }
    }

    /// <summary>Takes the flow's empty pending-query table for another flow (cleared: its next entries go in order, as in a new one).</summary>
    private void SpareDns(UdpFlowStats udp)
    {
        Dictionary<ushort, (long, long, int)> table = udp.PendingDns!;
        udp.PendingDns = null;
        table.Clear();
        if (_spareDns.Count < SpareDnsKept)
        {
            _spareDns.Push(table);
        }
    }

    private void OnUdpFlowClosed(Flow flow)
    {
        if (flow.Udp is not { } udp)
        {
            return;
        }
        if (udp.PendingDns is { Count: > 0 } pending)
        {
            foreach ((ushort id, var query) in pending)
            {
                ReportDns(flow, id, query, flow.LastTimeNs - query.TimeNs, late: false);
            }
        }
        if (udp.PendingDns is not null)
        {
            SpareDns(udp);
        }
        if (_options.ReceiveBuffer > 0)
        {
            ReportBurstModel(flow, true, udp.C2S);
            ReportBurstModel(flow, false, udp.S2C);
        }
        // Each direction in turn rather than through udp.Streams(): its iterator was an object for every UDP flow closed.
        ReportSequenceGaps(flow, true, udp.C2S);
        ReportSequenceGaps(flow, false, udp.S2C);
    }

    private void ReportSequenceGaps(Flow flow, bool c2s, in UdpStream stream)
    {
        if (stream.Sequence is null)
        {
            return;
        }
        foreach ((long first, long last, long detectedNs) in stream.Sequence.Missing)
        {
            if (!_events.BuildRow(EventKind.UdpSeqGap, detectedNs > 0 ? detectedNs : flow.LastTimeNs))
            {
                continue;
            }
            _events.Report(new AnalysisEvent(EventKind.UdpSeqGap, detectedNs > 0 ? detectedNs : flow.LastTimeNs, 0, flow.FirstFileIndex, flow.Id,
                c2s ? flow.Client : flow.Server, c2s ? flow.ClientPort : flow.ServerPort, c2s ? flow.Server : flow.Client, c2s ? flow.ServerPort : flow.ClientPort,
                -1, $"missing={first}-{last} count={last - first + 1} kind={stream.SeqKind} evidence=sequence"));
        }
    }

    private void ReportDns(Flow flow, ushort id, (long TimeNs, long Frame, int File) query, long waitedNs, bool late)
    {
        if (!_events.BuildRow(EventKind.DnsUnanswered, query.TimeNs))
        {
            return;
        }
        _events.Report(new AnalysisEvent(EventKind.DnsUnanswered, query.TimeNs, query.Frame, query.File, flow.Id, flow.Client, flow.ClientPort,
            flow.Server, flow.ServerPort, -1, $"id={id} {(late ? "answered_after_ms=" + CaptureTime.Milliseconds(waitedNs) : "no_answer_within_ms=" + CaptureTime.Milliseconds(waitedNs))}"));
    }

    /// <summary>
    /// Receive-buffer drops the kernel counted (<c>--netstat</c>): the datagrams reached the host and the socket
    /// dropped them. Attributed to the UDP flow that brought the most datagrams in one direction; the attribution
    /// is certain ("high") when that flow alone carried at least as many datagrams as were dropped.
    /// </summary>
    internal static void ReportKernelCounters(AnalysisOptions options, IEnumerable<Flow> finished, EventCollector events, long lastTimeNs)
    {
        if (options.KernelCounterDeltas is not { } deltas)
        {
            return;
        }
        long drops = deltas.Where(d => d.Name is "Udp.RcvbufErrors" or "Udp6.RcvbufErrors").Sum(d => d.Delta);
        if (drops <= 0)
        {
            return;
        }
        var candidates = finished.Where(f => f.Protocol == 17)
            .Select(f => (Flow: f, Datagrams: Math.Max(f.PacketsC2S, f.PacketsS2C), ToServer: f.PacketsC2S >= f.PacketsS2C))
            .OrderByDescending(c => c.Datagrams).ToList();
        var top = candidates.FirstOrDefault();
        bool certain = top.Flow is not null && top.Datagrams >= drops && (candidates.Count == 1 || candidates[1].Datagrams < drops);
        string flows = string.Join(';', candidates.Take(3).Select(c => $"{c.Flow.Id}:{c.Datagrams}"));
        IpAddr receiver = top.Flow is null ? default : top.ToServer ? top.Flow.Server : top.Flow.Client;
        ushort port = top.Flow is null ? (ushort)0 : top.ToServer ? top.Flow.ServerPort : top.Flow.ClientPort;
        events.Report(new AnalysisEvent(EventKind.UdpRcvbufOverflow, lastTimeNs, 0, 0, top.Flow?.Id ?? 0,
            top.Flow is null ? default : top.ToServer ? top.Flow.Client : top.Flow.Server, top.Flow is null ? (ushort)0 : top.ToServer ? top.Flow.ClientPort : top.Flow.ServerPort,
            receiver, port, -1,
            $"rcvbuf_errors={drops} evidence=counter confidence={(certain ? "high" : "low")} flows_by_datagrams={(flows.Length == 0 ? "none" : flows)}"));
    }

    /// <summary>
    /// The receive-buffer model: the worst burst of one direction (datagrams less than 1 ms apart) against the buffer
    /// the user gave (doubled, as Linux does), each datagram costing its payload plus the socket buffer's overhead.
    /// A reader that is busy for the whole burst loses what does not fit; one that keeps up loses nothing, so the
    /// confidence is low unless the burst is many times the buffer.
    /// </summary>
    private void ReportBurstModel(Flow flow, bool toServer, in UdpStream stream)
    {
        long capacity = 2 * _options.ReceiveBuffer;
        var burst = stream.WorstBurst;
        if (burst.Truesize <= capacity)
        {
            return;
        }
        long fits = capacity / Math.Max(1, burst.Truesize / Math.Max(1, burst.Datagrams));
        string confidence = burst.Truesize > 4 * capacity ? "medium" : "low";
        _events.Report(new AnalysisEvent(EventKind.UdpRcvbufOverflow, burst.StartNs, 0, flow.FirstFileIndex, flow.Id,
            toServer ? flow.Client : flow.Server, toServer ? flow.ClientPort : flow.ServerPort,
            toServer ? flow.Server : flow.Client, toServer ? flow.ServerPort : flow.ClientPort, burst.EndNs - burst.StartNs,
            $"burst_datagrams={burst.Datagrams} burst_bytes={burst.Bytes} buffer_cost={burst.Truesize} rcvbuf={capacity} fits={fits} evidence=model confidence={confidence}"));
    }
}
