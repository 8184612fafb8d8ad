using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Flows;

namespace PcapInsight.Core.TcpAnalysis;

/// <summary>
/// Keeps per-direction time series (segments, ACKs with their windows, bytes in flight, RTT samples) for up to
/// <c>maxFlows</c> TCP flows at a time, for the charts and for <c>tcp_series.csv</c>. A flow gets its series from its
/// first packet while a slot is free; a flow that ended without trouble and under 1 MiB (<see cref="Release"/>) keeps
/// its series only until a new flow needs the slot (the oldest such gives way first), so long captures keep the flows
/// worth drawing and short ones still have every flow drawn. Memory is fixed:
/// each series is one buffer of <c>pointsPerDirection</c> points (32 bytes each), allocated when the flow is admitted.
/// </summary>
internal sealed class TcpSeriesRecorder
{
    private readonly int _maxFlows;
    private readonly int _points;
    private int _held;
    private readonly Queue<Flow> _evictable = new();   // ended, not worth drawing: their slots go to new flows first

    public TcpSeriesRecorder(int maxFlows, int pointsPerDirection)
    {
        _maxFlows = maxFlows;
        _points = pointsPerDirection;
    }

    /// <summary>Flows that asked for a slot while all were taken.</summary>
    public long FlowsNotRecorded { get; private set; }

    /// <summary>After the analyses of a segment: its points, on the flow's series (admitting the flow if a slot is free).</summary>
    public void OnSegment(Flow flow, bool fromClient, in DecodedPacket p, in CaptureInfo info)
    {
        TcpFlowFacts facts = flow.Tcp!;
        if (facts.Series is null)
        {
            if (facts.SeriesRefused)
            {
                return;
            }
            while (_held >= _maxFlows && _evictable.TryDequeue(out Flow? given))
            {
                given.Tcp!.InSeriesQueue = false;
                Forget(given);
            }
            if (_held >= _maxFlows)
            {
                facts.SeriesRefused = true;
                FlowsNotRecorded++;
                return;
            }
            _held++;
            facts.Series = (new TcpSeries(_points), new TcpSeries(_points));
        }
        (TcpSeries c2s, TcpSeries s2c) = facts.Series.Value;
        TcpSeries own = fromClient ? c2s : s2c;
        TcpSeries other = fromClient ? s2c : c2s;
        TcpDirection sender = fromClient ? facts.C2S : facts.S2C;
        TcpDirection receiver = fromClient ? facts.S2C : facts.C2S;
        long t = info.TimestampNs;

        if (!own.HasBase)
        {
            own.HasBase = true;
            own.BaseSeq = p.Seq + ((p.Flags & TcpFlags.Syn) != 0 ? 1u : 0u);
        }
        if (p.PayloadLength > 0)
        {
            bool resent = sender.LastResent;
            own.Add(new TcpSeriesPoint(t, resent ? TcpSeriesKind.Resend : TcpSeriesKind.Data, unchecked(p.Seq - own.BaseSeq), p.PayloadLength,
                resent ? -1 : sender.LastInFlight));
        }
        if ((p.Flags & TcpFlags.Ack) != 0 && other.HasBase)
        {
            int scale = TcpWindowAnalyzer.ScaleOf(facts, fromClient);
            long window = (p.Flags & TcpFlags.Syn) != 0 ? p.Window : scale < 0 ? -1 : (long)p.Window << scale;
            other.Add(new TcpSeriesPoint(t, TcpSeriesKind.Ack, unchecked(p.Ack - other.BaseSeq), 0, window));
            if (receiver.LastRttSampleNs > 0)
            {
                other.Add(new TcpSeriesPoint(t, TcpSeriesKind.Rtt, unchecked(p.Ack - other.BaseSeq), 0, receiver.LastRttSampleNs));
                receiver.LastRttSampleNs = 0;
            }
        }
    }

    /// <summary>Frees the flow's series and its slot (the flow left the report's list, or gave its slot away).</summary>
    public void Forget(Flow flow)
    {
        if (flow.Tcp is { Series: not null } facts)
        {
            facts.Series = null;
            facts.SeriesRefused = true;
            _held--;
        }
    }

    /// <summary>The flow ended; when <paramref name="keep"/> says it is not worth drawing, its slot may go to a later flow.</summary>
    public void Release(Flow flow, bool keep)
    {
        if (flow.Tcp is { Series: not null } facts && !keep)
        {
            facts.SeriesRefused = true;
            facts.InSeriesQueue = true;
            _evictable.Enqueue(flow);
        }
    }
}
