using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Flows;

namespace PcapInsight.Core.Analysis;

/// <summary>
/// Chooses the number of threads when the user has not (<c>--threads</c> left out): every core, unless the first
/// packets of the capture show that a second thread would not pay for itself. The report is the same either way
/// (the sharded run's guarantee); only the time and memory differ. One thread when:
/// <list type="bullet">
/// <item>one shard would get nearly all the work: flows are sharded by their addresses, so a capture of one or two
/// large flows (a bulk transfer, an iperf test) keeps one shard busy while the hand-over to it costs the reading
/// thread a copy of each packet's headers and a second busy thread (bulk.pcap: 0.63-0.83 times the speed of one
/// thread on two cores);</item>
/// <item>connections open at a high rate (<see cref="PacketsPerNewConnection"/>): the analysis is then bound by
/// making and ending flows, their allocation and the collector, which stops every thread, and a second thread only
/// adds its hand-over and its memory (flows.pcap, a SYN every 8 packets: 0.81-1.14 times the speed of one thread
/// over four runs, about the same on average, and 13 % more memory);</item>
/// <item>UDP flows come and go at that rate: UDP has no opening to count, so the sign is the sample's first half
/// bringing a new UDP flow every <see cref="PacketsPerNewConnection"/> packets or more often, most of which never come
/// back in its second half (a DNS resolver's exchanges; udp-flows.pcap, a million request/answer pairs: analysis
/// 2.7 s on one thread against 3.4 s on two, 583 against 789 MiB allocated). Many long UDP flows (RTP, a tunnel)
/// come back and keep every core; those that send less often than once in half the sample look like churn to it and
/// get one thread (the same report, in the time one thread takes);</item>
/// <item>the capture ends within the sample, or its first frames hold no IP packet: too little to share out;</item>
/// <item>the flow table is too small to be divided (<c>--max-flows</c> under 8,192: see <see cref="FlowPartitions"/>).</item>
/// </list>
/// </summary>
public static class ThreadPlan
{
    /// <summary>Packets of IP flows looked at from the capture's start.</summary>
    public const int SamplePackets = 5_000;

    /// <summary>Frames read at most for the sample, IP or not (a capture of mostly other traffic is not read to its end).</summary>
    public const int SampleFrames = 4 * SamplePackets;

    /// <summary>
    /// Least spread (all sampled packets over the busiest shard's) worth the hand-over: below it, one thread. Many
    /// flows on two threads give 1.5 (shard 0 gets half a share: it runs on the reading thread), on four 3.5; one
    /// flow gives 1. At 1.3 the busiest shard gets at most about 77 % of the packets.
    /// </summary>
    public const double MinimumSpread = 1.3;

    /// <summary>
    /// A sample with a connection opening (a SYN without ACK) in every this many packets or fewer is connection
    /// churn, which one thread analyses as fast as several (see the remarks of <see cref="ThreadPlan"/>).
    /// </summary>
    public const int PacketsPerNewConnection = 20;

    /// <summary>
    /// The thread count for <paramref name="cores"/> cores, judged from the first <see cref="SamplePackets"/> packets
    /// of the capture at <paramref name="path"/>, opened a second time (without reading ahead: only its start is
    /// read) and passed through <paramref name="wrap"/> (the analysis's frame filter), for a flow table of
    /// <paramref name="maxFlows"/> flows (null: the default).
    /// </summary>
    public static ThreadChoice Choose(string path, int cores, CaptureReaderOptions reader, Func<IPacketSource, IPacketSource>? wrap = null, int? maxFlows = null)
    {
        if (cores <= 1)
        {
            return new ThreadChoice(1, 0, 1.0, 0);
        }
        using IPacketSource opened = CaptureFile.Open(path, 0, reader with { ReadAhead = false });
        IPacketSource sample = wrap is null ? opened : wrap(opened);
        return Choose(sample, cores, maxFlows);
    }

    /// <summary>
    /// The thread count for <paramref name="cores"/> cores, judged from the first packets of <paramref name="sample"/>,
    /// for a flow table of <paramref name="maxFlows"/> flows (null: the default): a shard takes whole partitions of it.
    /// </summary>
    public static ThreadChoice Choose(IPacketSource sample, int cores, int? maxFlows = null)
    {
        var partitions = FlowPartitions.For(maxFlows ?? new FlowTableOptions().MaxFlows);
        cores = Math.Min(cores, partitions.Count);
        if (cores <= 1)
        {
            return new ThreadChoice(1, 0, 1.0, 0);
        }
        var shards = new ShardedAnalysis.Shards(partitions, cores);
        Span<int> perShard = stackalloc int[cores];
        var p = default(DecodedPacket);
        int packets = 0, frames = 0, opening = 0;
        bool ended = true;
        // The UDP flows of the sample's first half, and how many of them came back in its second.
        var firstHalfUdp = new HashSet<FlowKey>();
        int udpBack = 0, firstHalfPackets = 0;
        while (packets < SamplePackets)
        {
            if (frames == SampleFrames)
            {
                ended = false;
                break;
            }
            if (!sample.TryRead(out CaptureInfo info, out ReadOnlySpan<byte> frame))
            {
                break;
            }
            frames++;
            FrameDecoder.Decode(frame, info.LinkType, ref p, Math.Max(0, info.OriginalLength - info.CapturedLength));
            if (p.Status != DecodeStatus.Ok)
            {
                continue;   // not IP, or damaged: the reading thread's alone
            }
            perShard[shards.Of(p)]++;
            packets++;
            if (p.Protocol == 6 && p.HasTransport && (p.Flags & (TcpFlags.Syn | TcpFlags.Ack)) == TcpFlags.Syn)
            {
                opening++;
            }
            if (p.Protocol == 17 && p.HasPorts)
            {
                FlowKey key = FlowKey.From(p, out _);
                if (packets <= SamplePackets / 2)
                {
                    firstHalfUdp.Add(key);
                }
                else if (firstHalfUdp.Remove(key))
                {
                    udpBack++;
                }
            }
            if (packets == SamplePackets / 2)
            {
                firstHalfPackets = packets;
            }
        }
        if (packets == SamplePackets)
        {
            ended = false;
        }
        int busiest = 0;
        foreach (int n in perShard)
        {
            busiest = Math.Max(busiest, n);
        }
        double spread = busiest == 0 ? 1.0 : (double)packets / busiest;
        int udpNew = firstHalfUdp.Count + udpBack;
        bool udpChurn = firstHalfPackets > 0 && (long)udpNew * PacketsPerNewConnection >= firstHalfPackets && 2 * udpBack < udpNew;
        bool worthIt = !ended && packets > 0 && spread >= MinimumSpread && (long)opening * PacketsPerNewConnection < packets && !udpChurn;
        return new ThreadChoice(worthIt ? cores : 1, packets, spread, opening, udpNew, udpBack);
    }
}

/// <summary>
/// What <see cref="ThreadPlan"/> chose: <paramref name="Threads"/>, from <paramref name="SampledPackets"/> packets
/// whose flows spread over every core's shard by <paramref name="Spread"/> (see <see cref="ThreadPlan.MinimumSpread"/>),
/// of which <paramref name="Openings"/> opened a TCP connection; <paramref name="UdpFlows"/> UDP flows in the sample's
/// first half, <paramref name="UdpFlowsBack"/> of them seen again in its second.
/// </summary>
public readonly record struct ThreadChoice(int Threads, int SampledPackets, double Spread, int Openings, int UdpFlows = 0, int UdpFlowsBack = 0)
{
    /// <summary>One line for the timing log and tests.</summary>
    public override string ToString() =>
        FormattableString.Invariant($"threads {Threads} (first {SampledPackets} packets: spread {Spread:0.00} over every core's shard, {Openings} connections opened, {UdpFlows} UDP flows in the first half, {UdpFlowsBack} of them back in the second)");
}
