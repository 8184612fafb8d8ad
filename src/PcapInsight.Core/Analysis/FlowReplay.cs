using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Flows;

namespace PcapInsight.Core.Analysis;

/// <summary>
/// Records the time series of one TCP flow by reading the capture again: <c>analyze --flow N</c> asks for flow N's
/// charts, and the analysis may have had no series slot for it. Slots are given as flows begin, first come, and
/// a flow's id is known only at the end (shards number their flows at the merge), so a slot cannot be kept for N
/// in the analysis itself; a flow released past <c>--max-listed-flows</c> is no longer in memory either.
/// </summary>
/// <remarks>
/// The second read passes an analyzer only the flow's own packets, from its first frame until as many as the flow had
/// are passed and the flow's last time is past, and the IP fragments between its two hosts (a datagram of the flow may arrive in them); every other frame is
/// decoded once and dropped. So it costs about a read and decode of the file (<c>info</c>), and memory for one flow.
/// A series depends only on the flow's own packets, so the points are those the analysis would have recorded;
/// the flow's figures in the tables stay the analysis' (a host's delayed-ACK profile, say, is built from all its
/// flows).
/// </remarks>
public static class FlowReplay
{
    /// <summary>
    /// The flow <paramref name="flow"/> (a TCP flow of an analysis of the same capture) analysed again alone, with its
    /// time series and <paramref name="flow"/>'s id; null when it is not TCP or the capture no longer holds its first
    /// frame. <paramref name="source"/> is read to its end (or to the flow's end) and not disposed.
    /// </summary>
    public static Flow? Record(IPacketSource source, IReadOnlyList<CaptureFileStats> files, FlowSummary flow, AnalysisOptions options,
        CancellationToken cancellation = default)
    {
        if (flow.Protocol != 6)
        {
            return null;
        }
        var replay = options with
        {
            SeriesFlows = 1,
            SeriesOnlyFlowStartingAt = (flow.FirstFrame, flow.FirstTimeNs),
            SpoolDirectory = null,
        };
        var frames = new OneFlowFrames(source, flow);
        AnalysisResult result = new CaptureAnalyzer(replay).RunAll(frames, files, cancellation: cancellation);
        foreach (Flow f in result.Flows)
        {
            if (f.FirstFrame == flow.FirstFrame && f.FirstTimeNs == flow.FirstTimeNs && f.Protocol == 6 && f.Tcp?.Series is not null)
            {
                f.Id = flow.Id;
                return f;
            }
        }
        return null;
    }

    /// <summary>The frames of one flow (and the fragments between its hosts), read from a whole capture.</summary>
    internal sealed class OneFlowFrames(IPacketSource inner, FlowSummary flow) : IPacketSource
    {
        private readonly FlowKey _key = KeyOf(flow);
        private DecodedPacket _packet;
        private bool _started;

        // The flow's packets with its ports not yet passed on. Once all are, and a frame is stamped after the flow's last
        // packet, the rest of the file is not read: the count first, since a capture whose clock stepped back has
        // frames stamped later between the flow's packets; the time too, since a datagram of the flow that came in
        // fragments is not among the packets counted.
        private long _toPass = flow.PacketsC2S + flow.PacketsS2C;

        public CaptureFileStats Stats => inner.Stats;

        public bool TryRead(out CaptureInfo info, out ReadOnlySpan<byte> data)
        {
            while (inner.TryRead(out info, out data))
            {
                if (_started && _toPass <= 0 && info.TimestampNs > flow.LastTimeNs)
                {
                    break;
                }
                // The flow's own packets from its first frame on (that frame may complete a datagram from fragments):
                // an earlier flow of the same ports is left out.
                _started |= info.FrameNumber == flow.FirstFrame && info.TimestampNs == flow.FirstTimeNs;
                FrameDecoder.Decode(data, info.LinkType, ref _packet, Math.Max(0, info.OriginalLength - info.CapturedLength));
                if (_packet.Status != DecodeStatus.Ok)
                {
                    continue;
                }
                if (_packet.IsFragment)
                {
                    if (BetweenTheHosts(in _packet))
                    {
                        return true;
                    }
                    continue;
                }
                if (!_packet.HasPorts || !FlowKey.From(in _packet, out _).Equals(_key))
                {
                    continue;
                }
                if (_started)
                {
                    _toPass--;
                    return true;
                }
            }
            info = default;
            data = default;
            return false;
        }

        public void Dispose() => inner.Dispose();

        private bool BetweenTheHosts(in DecodedPacket p) =>
            p.Protocol == flow.Protocol && p.VlanId == flow.Vlan
            && ((p.Src.Equals(flow.Client) && p.Dst.Equals(flow.Server)) || (p.Src.Equals(flow.Server) && p.Dst.Equals(flow.Client)));

        private static FlowKey KeyOf(FlowSummary f)
        {
            var p = new DecodedPacket { Src = f.Client, SrcPort = f.ClientPort, Dst = f.Server, DstPort = f.ServerPort, Protocol = f.Protocol, VlanId = f.Vlan };
            return FlowKey.From(in p, out _);
        }
    }
}
