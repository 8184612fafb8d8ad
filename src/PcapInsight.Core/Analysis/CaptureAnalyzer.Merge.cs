using PcapInsight.Core.Capture;
using PcapInsight.Core.Collections;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Events;
using PcapInsight.Core.Flows;
using PcapInsight.Core.Fragments;
using PcapInsight.Core.TcpAnalysis;

namespace PcapInsight.Core.Analysis;

/// <summary>The merge of a sharded analysis (<see cref="ShardedAnalysis"/>) into the result one analyzer would give.</summary>
public sealed partial class CaptureAnalyzer
{
    /// <summary>The time of the last frame read (the clock at the end of the capture).</summary>
    internal long LastFrameTimeNs => _previousTimeNs;

    /// <summary>Deletes the spool file (a shard's, when the analysis failed).</summary>
    internal void DisposeSpool() => _spool?.Dispose();

    /// <summary>
    /// One result from the reading thread's analyzer (frame counts, sizes, link types, reader events) and the shards'
    /// (flows and what they found), each shard finished.
    /// </summary>
    internal static AnalysisResult Merge(CaptureAnalyzer reader, IReadOnlyList<CaptureAnalyzer> shards, IReadOnlyList<CaptureFileStats> files)
    {
        AnalysisOptions options = reader._options;
        int[][] globalIds = GlobalFlowIds(shards);

        // One policy listed the flows of every shard (the shards' own tables list none).
        FlowListing listing = shards[0].Listing;
        var flows = new List<Flow>(listing.Count);
        foreach ((Flow f, object? owner) in listing.ListedWithOwners)
        {
            f.Id = globalIds[((AdmissionLog)owner!).Shard][f.Id];
            flows.Add(f);
        }
        flows.Sort((a, b) => a.Id.CompareTo(b.Id));

        PacketCounters counters = reader._counters;
        foreach (CaptureAnalyzer s in shards)
        {
            counters.Add(s._counters);
        }

        reader.ReportFileFacts(files);
        var parts = new List<EventCollector> { reader._events };
        parts.AddRange(shards.Select(s => s._events));
        // The reader's events name no flow; shard s's flow ids are shard s - 1's local ones.
        EventCollector events = EventCollector.Merge(parts, options.MaxEventRows,
            (part, id) => part == 0 ? id : globalIds[part - 1][id], RemapFlowIdsInDetail);
        events.ClockNs = reader._previousTimeNs;
        events.KeepOnce(EventKind.CaptureFlowTableFull);   // each shard whose table filled said so; one analyzer says it once
        ReportKernelCounters(options, flows, events, reader._lastTimeNs);
        ReportEventsLimited(events, options, reader._lastTimeNs);


        var profiles = new ValueMap<IpAddr, DelayedAckProfile>();
        foreach (CaptureAnalyzer s in shards)
        {
            foreach (DelayedAckProfile p in s._timing.Profiles)
            {
                if (p.Refused)
                {
                    continue;   // gathered before the reading thread knew the host came past the limit
                }
                if (profiles.TryGetValue(p.Host, out DelayedAckProfile? held))
                {
                    held.Add(p);
                }
                else
                {
                    profiles.TryAdd(p.Host, p);
                }
            }
        }

        // One policy refused the same hosts in every shard: the union is one analyzer's set.
        HostsNotProfiled notProfiled = HostsNotProfiled.Union(shards.Select(s => s._timing.NotProfiledAtEnd()),
            HostsNotProfiled.BoundFor(options.Nagle.MaxProfiledHosts));

        var spools = shards.Where(s => s._spool is not null).Select(s => s._spool!).ToList();
        return new AnalysisResult
        {
            Files = files,
            Packets = counters,
            IpSizes = reader._sizes,
            FirstTimeNs = counters.Frames == 0 ? 0 : reader._firstTimeNs,
            LastTimeNs = counters.Frames == 0 ? 0 : reader._lastTimeNs,
            LinkTypes = reader._linkTypes,
            Flows = flows,
            ReleasedFlows = MergeReleased(spools, shards, globalIds),
            ReleasedReader = reuse => MergeReleased(spools, shards, globalIds, reuse),
            // Each shard's best, renumbered: ids keep their order within a shard, so the union holds the best of all.
            ReleasedBest = shards.SelectMany((s, i) => s._spool is { } spool ? spool.Best.Select(f => f with { Id = globalIds[i][f.Id] }) : []).ToList(),
            Spools = spools,
            FlowTable = new FlowTableFigures(shards.Sum(s => s._flows.Created), MergedPeak(shards),
                shards.Sum(s => s._flows.Expired), shards.Sum(s => s._flows.Evicted))
            {
                Released = listing.Released,
                ClosedAfterLinger = shards.Sum(s => s._flows.ClosedAfterLinger),
            },
            Events = events,
            Datagrams = reader._datagrams,   // reassembly ran on the reading thread
            KernelCounterDeltas = options.KernelCounterDeltas,
            DatagramsNotListed = reader._datagramsNotListed,
            DelayedAckProfiles = profiles.Values.OrderBy(h => h.Host.ToString(), StringComparer.Ordinal).ToList(),
            DelayedAckHostsNotProfiled = notProfiled.Count,
            DelayedAckHostsNotProfiledAtLeast = notProfiled.Saturated,
            SeriesFlowsRefused = shards[0]._admissions.Policy.SeriesRefused,   // one policy decided for every shard
        };
    }

    /// <summary>
    /// Each shard's flow ids (1-based, index 0 unused) mapped to the report's: all flows numbered from 1 in the order
    /// of the frame (and phase) that created them, as one analyzer numbers them.
    /// </summary>
    private static int[][] GlobalFlowIds(IReadOnlyList<CaptureAnalyzer> shards)
    {
        var ids = new int[shards.Count][];
        var next = new int[shards.Count];
        var queue = new PriorityQueue<int, long>();
        for (int s = 0; s < shards.Count; s++)
        {
            List<long> orders = shards[s]._flows.CreationOrders;
            ids[s] = new int[orders.Count + 1];
            if (orders.Count > 0)
            {
                queue.Enqueue(s, orders[0]);
            }
        }
        int id = 0;
        while (queue.TryDequeue(out int s, out _))
        {
            List<long> orders = shards[s]._flows.CreationOrders;
            ids[s][++next[s]] = ++id;
            if (next[s] < orders.Count)
            {
                queue.Enqueue(s, orders[next[s]]);
            }
        }
        return ids;
    }

    /// <summary>The most flows held at once: the shards' sizes added at each expiry check, where the peaks fall.</summary>
    private static int MergedPeak(IReadOnlyList<CaptureAnalyzer> shards)
    {
        int peak = shards.Max(s => s._flows.PeakActive);
        int checks = shards.Min(s => s._activeBeforeExpiry!.Count);
        for (int i = 0; i < checks; i++)
        {
            int sum = 0;
            foreach (CaptureAnalyzer s in shards)
            {
                sum += s._activeBeforeExpiry![i];
            }
            peak = Math.Max(peak, sum);
        }
        return peak;
    }

    /// <summary>The shards' spooled flows, each renumbered, in report id order (read lazily, as flows.csv is written).</summary>
    private static IEnumerable<FlowSummary> MergeReleased(List<FlowSpool> spools, IReadOnlyList<CaptureAnalyzer> shards, int[][] globalIds,
        FlowSummaryPool? reuse = null)
    {
        var sources = new List<IEnumerator<FlowSummary>>();
        try
        {
            var queue = new PriorityQueue<(IEnumerator<FlowSummary> Source, int Shard), int>();
            for (int s = 0; s < shards.Count; s++)
            {
                if (shards[s]._spool is not { } spool)
                {
                    continue;
                }
                IEnumerator<FlowSummary> e = spool.ReadSorted(reuse).GetEnumerator();
                sources.Add(e);
                if (e.MoveNext())
                {
                    queue.Enqueue((e, s), globalIds[s][e.Current.Id]);
                }
            }
            while (queue.TryDequeue(out var head, out int id))
            {
                // Renumbered in place: the spool decoded it for this enumeration alone (a new summary, or the pool's).
                FlowSummary summary = head.Source.Current;
                summary.Id = id;
                yield return summary;
                if (head.Source.MoveNext())
                {
                    queue.Enqueue(head, globalIds[head.Shard][head.Source.Current.Id]);
                }
            }
        }
        finally
        {
            foreach (IEnumerator<FlowSummary> e in sources)
            {
                e.Dispose();
            }
        }
    }

    /// <summary>The one detail that names another flow: a reused port's previous connection.</summary>
    private static AnalysisEvent RemapFlowIdsInDetail(AnalysisEvent e, Func<int, int> map)
    {
        const string key = "previous_flow=";
        if (e.Kind != EventKind.TcpReusedPort || !e.Detail.StartsWith(key, StringComparison.Ordinal))
        {
            return e;
        }
        int end = e.Detail.IndexOf(' ', key.Length);
        end = end < 0 ? e.Detail.Length : end;
        if (!int.TryParse(e.Detail.AsSpan(key.Length, end - key.Length), out int local))
        {
            return e;
        }
        return e with { Detail = key + map(local).ToString(System.Globalization.CultureInfo.InvariantCulture) + e.Detail[end..] };
    }
}
