using PcapInsight.Reporting;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Events;
using PcapInsight.Core.Flows;
using PcapInsight.Core.Fragments;
using PcapInsight.Core.TcpAnalysis;
using PcapInsight.Core.UdpAnalysis;
using ScottPlot;

namespace PcapInsight.Charts;

/// <summary>The charts of the whole capture: event timeline, ACK delays per host, IP sizes against the MTU, UDP loss over time.</summary>
internal static class CaptureCharts
{
    private const int MaxHosts = 6;
    private const int MaxUdpStreams = 8;

    /// <summary>
    /// The capture-wide charts, each decided and drawn on its own by whichever thread runs it: null where the capture
    /// has nothing for it to show. Apart, because one of them can take as long as the others together (the sizes
    /// chart reads every rebuilt datagram).
    /// </summary>
    public static Func<Chart?>[] Jobs(AnalysisResult r, ChartOptions options) =>
    [
        () => EventTimeline(r, options),
        () => AckDelayHistogram(r, options),
        () => IpSizes(r, options),
        () => UdpLossOverTime(r, options),
    ];

    private static Chart? EventTimeline(AnalysisResult r, ChartOptions options) =>
        r.Events.Timeline.Kinds().Any()
            ? new Chart("events-timeline.png", "Events over time",
                "Every event of the capture by type and time (all of them, also those events.csv leaves out by sampling): a dot's size grows with " +
                "the number of events in its interval, its colour says the severity.", 0, Timeline(r, options))
            : null;

    private static Chart? AckDelayHistogram(AnalysisResult r, ChartOptions options)
    {
        var hosts = new List<DelayedAckProfile>();
        foreach (DelayedAckProfile h in r.DelayedAckProfiles)
        {
            if (h.Delayed > 0)
            {
                hosts.Add(h);
            }
        }
        ReportOrder.KeepFirst(hosts, static (a, b) => b.Delayed.CompareTo(a.Delayed), MaxHosts);
        return hosts.Count > 0
            ? new Chart("ack-delay-histogram.png", "How long each host held its ACKs",
                "Delayed ACKs by how long the host held them, per host. Peaks at the dashed lines are delayed-ACK timers: 40 ms is Linux's " +
                "minimum, 200 ms Windows' default (and older stacks'). A write that waits on such a peak is a Nagle × delayed-ACK stall.", 0, AckDelays(hosts, options))
            : null;
    }

    private static Chart? IpSizes(AnalysisResult r, ChartOptions options) =>
        AnyCounted(r.IpSizes.Whole) || AnyCounted(r.IpSizes.Fragments)
            ? new Chart("ip-sizes.png", "IP packet and fragment sizes against the MTU",
                "How many IP packets had each size (16-byte bins), whole packets and fragments apart. Fragments pile up just under the MTU of the " +
                "link where they were split; datagrams above the MTU line were fragmented (or sent as offload super-segments).", 0, Sizes(r, options))
            : null;

    private static Chart? UdpLossOverTime(AnalysisResult r, ChartOptions options)
    {
        IReadOnlyList<LossyUdpStream> all = LossyUdpStreams.MostLostFirst(r);
        var lossy = new List<LossyUdpStream>(Math.Min(all.Count, MaxUdpStreams));
        for (int i = 0; i < all.Count && i < MaxUdpStreams; i++)
        {
            lossy.Add(all[i]);
        }
        return lossy.Count > 0
            ? new Chart("udp-loss.png", "UDP datagrams lost over time",
                "Datagrams missing from each UDP stream's sequence numbers (RTP, or the counter named with --udp-seq), summed over time, dated when the " +
                "gap showed. A steep step is a burst of loss; a steady slope is a constant loss rate.", 0, UdpLoss(r, lossy, options))
            : null;
    }

    private static byte[] Timeline(AnalysisResult r, ChartOptions options)
    {
        EventTimeline tl = r.Events.Timeline;
        // The most severe kinds on top, by name within a severity.
        var kinds = new List<EventInfo>();
        var countsOf = new long[EventCatalog.KindSlots][];
        long peak = 1;
        foreach ((EventKind kind, long[] counts) in tl.Kinds())
        {
            kinds.Add(EventCatalog.Get(kind));
            countsOf[(int)kind] = counts;
            foreach (long n in counts)
            {
                peak = Math.Max(peak, n);
            }
        }
        ReportOrder.StableSort(kinds, static (a, b) => a.Severity != b.Severity ? ReportOrder.MoreSevereFirst(a.Severity, b.Severity)
            : string.CompareOrdinal(a.Name, b.Name));
        Plot plot = ChartStyle.NewPlot("Events over time", ChartStyle.TimeAxis, "");
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        var legendDone = new bool[(int)Severity.Error + 1];
        for (int row = 0; row < kinds.Count; row++)
        {
            EventInfo info = kinds[row];
            ticks.AddMajor(row, $"{info.Name} ({r.Events.Count(info.Kind):N0})");
            Color color = info.Severity switch
            {
                Severity.Error => ChartStyle.ResentColor,
                Severity.Warning => ChartStyle.WindowColor,
                _ => ChartStyle.DataColor,
            };
            long[] counts = countsOf[(int)info.Kind];
            for (int i = 0; i < counts.Length; i++)
            {
                if (counts[i] == 0)
                {
                    continue;
                }
                double x = (tl.OriginNs - r.FirstTimeNs + (i + 0.5) * tl.WidthNs) / 1e9;
                float size = (float)(4 + 10 * Math.Log(1 + counts[i]) / Math.Log(1 + peak));
                var marker = plot.Add.Marker(x, row, MarkerShape.FilledCircle, size, color);
                if (!legendDone[(int)info.Severity])
                {
                    legendDone[(int)info.Severity] = true;
                    marker.LegendText = info.Severity.ToString().ToLowerInvariant();
                }
            }
        }
        plot.Axes.Left.TickGenerator = ticks;
        plot.Axes.SetLimitsY(kinds.Count - 0.5, -0.5);   // first kind on top
        int height = Math.Max(options.Height, 120 + 26 * kinds.Count);
        plot.ShowLegend(Alignment.UpperRight);
        return ChartStyle.Png(plot, options.Width, height);
    }

    private static byte[] AckDelays(List<DelayedAckProfile> hosts, ChartOptions options)
    {
        Plot plot = ChartStyle.NewPlot("How long each host held its ACKs", "ACK delay (ms)", "delayed ACKs");
        double maxMs = 0;
        foreach (DelayedAckProfile h in hosts)
        {
            ReadOnlySpan<int> bins = h.DelayedHistogram;
            var points = new List<(double, double)>();
            for (int i = 0; i < bins.Length; i++)
            {
                points.Add((i * DelayedAckProfile.BinMs, bins[i]));
                if (bins[i] > 0)
                {
                    maxMs = Math.Max(maxMs, (i + 1) * DelayedAckProfile.BinMs);
                }
            }
            ChartStyle.Line(plot, points, plot.Add.GetNextColor(), $"{h.Host} (timer {h.TimerClass}, {h.Delayed:N0} of {h.Acks:N0} ACKs delayed)", steps: true);
        }
        foreach ((int ms, string label) in new[] { (40, "40 ms Linux"), (200, "200 ms Windows") })
        {
            var line = plot.Add.VerticalLine(ms, 1, Colors.Gray, LinePattern.Dashed);
            line.Text = label;
        }
        plot.Axes.SetLimitsX(0, Math.Max(250, maxMs + 10));
        return ChartStyle.Png(plot, options);
    }

    private static byte[] Sizes(AnalysisResult r, ChartOptions options)
    {
        IpSizeHistogram h = r.IpSizes;
        // The datagrams the fragments rebuilt (IP payload plus a 20- or 40-byte header): what the sender wrote,
        // set against the MTU it did not fit.
        // One pass over them (hundreds of thousands in a capture of fragment floods, each a record of its own).
        var rebuilt = new long[h.Whole.Length];
        int mtu = 0;
        foreach (DatagramRecord d in r.Datagrams)
        {
            rebuilt[Math.Min(rebuilt.Length - 1, (d.Bytes + (d.IpVersion == 6 ? 40 : 20)) / IpSizeHistogram.BinBytes)]++;
            mtu = Math.Max(mtu, d.LargestFragment);
        }
        int pmtu = 0;
        foreach (Flow f in r.Flows)
        {
            if (f.LowestPmtu > 0)
            {
                pmtu = pmtu == 0 ? f.LowestPmtu : Math.Min(pmtu, f.LowestPmtu);
            }
        }
        int top = Math.Max(Math.Max(LastNonZero(h.Whole), LastNonZero(h.Fragments)), LastNonZero(rebuilt)) + 2;
        Plot plot = ChartStyle.NewPlot("IP packet and fragment sizes against the MTU", "IP packet size (bytes, header included)", "packets");
        ChartStyle.Line(plot, Bins(h.Whole, top), ChartStyle.DataColor, "whole packets", steps: true);
        ChartStyle.Line(plot, Bins(h.Fragments, top), ChartStyle.ResentColor, "fragments", steps: true);
        if (r.Datagrams.Count > 0)
        {
            ChartStyle.Line(plot, Bins(rebuilt, top), ChartStyle.AckColor, $"datagrams rebuilt from fragments{(r.DatagramsNotListed > 0 ? " (first " + r.Datagrams.Count + ")" : "")}", steps: true);
        }
        var line = plot.Add.VerticalLine(mtu > 0 ? mtu : 1500, 1.5f, Colors.Black, LinePattern.Dashed);
        line.Text = mtu > 0 ? $"MTU {mtu} (largest fragment)" : "1500 (Ethernet MTU)";
        if (pmtu > 0 && pmtu != mtu)
        {
            var p = plot.Add.VerticalLine(pmtu, 1.5f, Colors.Purple, LinePattern.Dotted);
            p.Text = $"path MTU {pmtu} (ICMP)";
        }
        plot.Axes.SetLimitsX(0, Math.Max(top * IpSizeHistogram.BinBytes, Math.Max(mtu, Math.Max(pmtu, 1500))) * 1.12);
        return ChartStyle.Png(plot, options);
    }

    private static byte[] UdpLoss(AnalysisResult r, List<LossyUdpStream> streams, ChartOptions options)
    {
        Plot plot = ChartStyle.NewPlot("UDP datagrams lost over time", ChartStyle.TimeAxis, "datagrams lost (cumulative)");
        foreach ((Flow flow, bool fromClient, UdpStream stream) in streams)
        {
            var points = new List<(double, double)> { ((flow.FirstTimeNs - r.FirstTimeNs) / 1e9, 0) };
            long lost = 0;
            foreach (SequenceGap gap in ReportOrder.InDetectionOrder(stream.Sequence!.Missing))
            {
                lost += gap.Last - gap.First + 1;
                points.Add(((gap.DetectedNs - r.FirstTimeNs) / 1e9, lost));
            }
            points.Add(((flow.LastTimeNs - r.FirstTimeNs) / 1e9, lost));
            string dir = fromClient ? $"{flow.Client.ToString(flow.ClientPort)} → {flow.Server.ToString(flow.ServerPort)}" : $"{flow.Server.ToString(flow.ServerPort)} → {flow.Client.ToString(flow.ClientPort)}";
            ChartStyle.Line(plot, points, plot.Add.GetNextColor(), $"flow {flow.Id} {dir} ({stream.SeqKind}, {stream.Sequence.Lost:N0} lost)", steps: true);
        }
        return ChartStyle.Png(plot, options);
    }

    private static bool AnyCounted(long[] bins)
    {
        foreach (long n in bins)
        {
            if (n > 0)
            {
                return true;
            }
        }
        return false;
    }

    private static int LastNonZero(long[] bins)
    {
        for (int i = bins.Length - 1; i >= 0; i--)
        {
            if (bins[i] > 0)
            {
                return i;
            }
        }
        return 0;
    }

    private static List<(double, double)> Bins(long[] bins, int count)
    {
        var points = new List<(double, double)>(Math.Min(count, bins.Length));
        for (int i = 0; i < Math.Min(count, bins.Length); i++)
        {
            points.Add(((double)i * IpSizeHistogram.BinBytes, bins[i]));
        }
        return points;
    }
}
