using PcapInsight.Core.Analysis;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Events;
using PcapInsight.Core.Flows;
using PcapInsight.Core.TcpAnalysis;

namespace PcapInsight.Charts;

/// <summary>A period to shade on a chart, seconds since the capture's first frame.</summary>
/// <param name="Start">Start.</param>
/// <param name="End">End.</param>
public readonly record struct ShadedPeriod(double Start, double End);

/// <summary>
/// The numbers the charts of one TCP flow draw, taken from its time series and its events, for the direction that
/// matters most (the one whose data was stalled, else the one that sent more). Times are seconds since the capture's
/// first frame; sequence numbers are bytes since the direction's first, unwrapped past 4 GiB.
/// Kept apart from the drawing so that tests can check what a chart shows.
/// </summary>
public sealed class FlowChartData
{
    /// <summary>The flow.</summary>
    public required Flow Flow { get; init; }

    /// <summary>True when the charted sender is the flow's client.</summary>
    public bool FromClient { get; init; }

    /// <summary>"sender → receiver", for titles.</summary>
    public string DirectionLabel => FromClient
        ? $"{Flow.Client.ToString(Flow.ClientPort)} → {Flow.Server.ToString(Flow.ServerPort)}"
        : $"{Flow.Server.ToString(Flow.ServerPort)} → {Flow.Client.ToString(Flow.ClientPort)}";

    /// <summary>Segments carrying new data: time and the sequence number of their end.</summary>
    public List<(double T, double Seq)> Data { get; } = new();

    /// <summary>Segments resending data (retransmissions and out-of-order): time and the end of what they carried.</summary>
    public List<(double T, double Seq)> Resent { get; } = new();

    /// <summary>The receiver's cumulative ACK.</summary>
    public List<(double T, double Seq)> Acks { get; } = new();

    /// <summary>The right edge of the receiver's window (ACK + window): the sender may not send past it.</summary>
    public List<(double T, double Seq)> WindowEdge { get; } = new();

    /// <summary>The receiver's advertised window, bytes (where its scale is known).</summary>
    public List<(double T, double Bytes)> Window { get; } = new();

    /// <summary>Bytes the sender had sent and not had acknowledged, after each new segment.</summary>
    public List<(double T, double Bytes)> InFlight { get; } = new();

    /// <summary>RTT samples, ms.</summary>
    public List<(double T, double Ms)> Rtt { get; } = new();

    /// <summary>Bytes acknowledged per interval, as bit/s, at the interval's start.</summary>
    public List<(double T, double BitsPerSecond)> Throughput { get; } = new();

    /// <summary>Zero-window episodes the sender waited through.</summary>
    public List<ShadedPeriod> ZeroWindow { get; } = new();

    /// <summary>Nagle stalls of the sender.</summary>
    public List<ShadedPeriod> NagleStalls { get; } = new();

    /// <summary>One series point was kept for every this many (1 when nothing was thinned).</summary>
    public int Stride { get; init; } = 1;

    /// <summary>The data of <paramref name="flow"/>'s charts; null when it has no time series (not TCP, or not recorded).</summary>
    public static FlowChartData? From(AnalysisResult result, Flow flow, IReadOnlyList<AnalysisEvent> flowEvents)
    {
        if (flow.Tcp?.Series is not { } series)
        {
            return null;
        }
        bool fromClient = ChooseDirection(flow, flowEvents);
        TcpSeries s = fromClient ? series.C2S : series.S2C;
        var data = new FlowChartData { Flow = flow, FromClient = fromClient, Stride = s.Stride };
        long origin = result.FirstTimeNs;
        double Seconds(long ns) => (ns - origin) / 1e9;

        var dataSeq = new Unwrapper();
        var ackSeq = new Unwrapper();
        foreach (TcpSeriesPoint p in s.Points)
        {
            double t = Seconds(p.TimeNs);
            switch (p.Kind)
            {
                case TcpSeriesKind.Data:
                    data.Data.Add((t, dataSeq.Extend(p.Seq) + p.Length));
                    if (p.Value >= 0)
                    {
                        data.InFlight.Add((t, p.Value));
                    }
                    break;
                case TcpSeriesKind.Resend:
                    data.Resent.Add((t, dataSeq.Extend(p.Seq) + p.Length));
                    break;
                case TcpSeriesKind.Ack:
                    double ack = ackSeq.Extend(p.Seq);
                    data.Acks.Add((t, ack));
                    if (p.Value >= 0)
                    {
                        data.Window.Add((t, p.Value));
                        data.WindowEdge.Add((t, ack + p.Value));
                    }
                    break;
                case TcpSeriesKind.Rtt:
                    data.Rtt.Add((t, p.Value / 1e6));
                    break;
            }
        }
        data.Throughput.AddRange(Rate(data.Acks, Seconds(flow.FirstTimeNs), Seconds(flow.LastTimeNs)));

        foreach (AnalysisEvent e in flowEvents)
        {
            double start = Seconds(e.TimestampNs);
            double end = e.DurationNs >= 0 ? Seconds(e.TimestampNs + e.DurationNs) : Seconds(flow.LastTimeNs);
            if (e.Kind == EventKind.TcpZeroWindow && IsSender(flow, fromClient, e.Dst, e.DstPort))
            {
                data.ZeroWindow.Add(new ShadedPeriod(start, end));
            }
            else if (e.Kind == EventKind.TcpNagleStall && IsSender(flow, fromClient, e.Src, e.SrcPort))
            {
                data.NagleStalls.Add(new ShadedPeriod(start, end));
            }
        }
        return data;
    }

    /// <summary>
    /// The direction to draw: the one whose sender was stalled (a zero-window row names the advertiser as its source;
    /// a Nagle stall row names the writer), else the one that sent more payload.
    /// </summary>
    private static bool ChooseDirection(Flow flow, IReadOnlyList<AnalysisEvent> events)
    {
        int client = 0, server = 0;
        foreach (AnalysisEvent e in events)
        {
            (IpAddr addr, ushort port) = e.Kind switch
            {
                EventKind.TcpZeroWindow => (e.Dst, e.DstPort),
                EventKind.TcpNagleStall => (e.Src, e.SrcPort),
                _ => (default, (ushort)0),
            };
            if (port == 0)
            {
                continue;
            }
            if (IsSender(flow, true, addr, port))
            {
                client++;
            }
            else
            {
                server++;
            }
        }
        return client != server ? client > server : flow.PayloadBytesC2S >= flow.PayloadBytesS2C;
    }

    private static bool IsSender(Flow flow, bool fromClient, IpAddr addr, ushort port) => fromClient
        ? addr.Equals(flow.Client) && port == flow.ClientPort
        : addr.Equals(flow.Server) && port == flow.ServerPort;

    /// <summary>Acknowledged bytes per interval, about 100 intervals across the flow, as bit/s.</summary>
    internal static IEnumerable<(double T, double BitsPerSecond)> Rate(List<(double T, double Seq)> acks, double start, double end)
    {
        if (acks.Count < 2 || end <= start)
        {
            yield break;
        }
        const int Intervals = 100;
        double width = (end - start) / Intervals;
        double before = acks[0].Seq;
        int i = 0;
        for (int bin = 0; bin < Intervals; bin++)
        {
            double binEnd = start + (bin + 1) * width;
            double highest = before;
            while (i < acks.Count && acks[i].T <= binEnd)
            {
                highest = Math.Max(highest, acks[i].Seq);
                i++;
            }
            yield return (start + bin * width, (highest - before) * 8 / width);
            before = highest;
        }
    }

    /// <summary>Turns 32-bit relative sequence numbers into a running 64-bit count (a flow may carry more than 4 GiB).</summary>
    private sealed class Unwrapper
    {
        private long _last;

        public double Extend(uint seq)
        {
            _last += unchecked((int)(seq - (uint)_last));
            return _last;
        }
    }
}
