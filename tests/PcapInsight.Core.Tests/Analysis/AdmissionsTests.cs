using PcapInsight.Core.Analysis;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Flows;
using PcapInsight.Core.TcpAnalysis;
using Xunit;

namespace PcapInsight.Core.Tests.Analysis;

/// <summary>
/// The capture-wide limits (series slots, profiled hosts, listed flows): what the policy decides, and that the shards'
/// logs replayed in capture order, whatever the shards' progress, decide what one analyzer's claims decide.
/// </summary>
public class AdmissionsTests
{
    /// <summary>
    /// Steps, each "C n" (flow n's first segment claims a slot), "E n" (flow n ended plain: it may give its slot
    /// away), "F n" (flow n left the report's list: it ends with no room listed, and is released once its place is
    /// over); then each flow's claim, in flow order.
    /// </summary>
    public static TheoryData<int, string, string> SeriesCases() => new()
    {
        { 2, "C1 C2 C3", "Held Held Refused" },
        // A slot given away goes to the earliest-started evictable flow, not the first to end.
        { 2, "C1 C2 E2 E1 C3", "Gone Evictable Held" },
        { 2, "C1 C2 E2 C3 C4", "Held Gone Held Refused" },
        { 1, "C1 F1 C2", "Gone Held" },
        // Forgotten while evictable: its slot is counted free once.
        { 1, "C1 E1 F1 C2 C3", "Gone Held Refused" },
        { 2, "C1 C2 E1 F1 C3 C4", "Gone Held Held Refused" },
        // A refused flow that ends or leaves frees nothing.
        { 1, "C1 C2 E2 F2 C3", "Held Refused Refused" },
        { 0, "C1", "Refused" },
    };

    [Theory]
    [MemberData(nameof(SeriesCases))]
    public void SeriesSlots_FirstCome_EvictableGiveWayEarliestStartedFirst(int slots, string steps, string expected)
    {
        var policy = new Admissions(slots, maxProfiledHosts: 0, maxListedFlows: 0);
        var log = new AdmissionLog(policy);
        var tickets = new SortedDictionary<int, SeriesTicket>();
        string[] all = steps.Split(' ');
        for (int place = 0; place < all.Length; place++)
        {
            string step = all[place];
            int flow = int.Parse(step[1..], System.Globalization.CultureInfo.InvariantCulture);
            log.Place = place;   // a lone analyzer's next place: the flows of the one before are listed (and released)
            bool slotFree = policy.SeriesSlotFree;
            if (step[0] == 'C')
            {
                tickets[flow] = new SeriesTicket(order: flow);
                tickets[flow].Start(16);
            }
            if (step[0] == 'F')
            {
                log.Add(AdmissionKind.FlowEndedNotable, TcpFlowOf(tickets[flow], id: flow), creationOrder: flow);
            }
            else
            {
                log.Add(step[0] == 'C' ? AdmissionKind.SeriesClaim : AdmissionKind.SeriesEndedPlain, tickets[flow]);
            }
            if (step[0] == 'C')
            {
                Assert.Equal(slotFree, tickets[flow].Claim == SeriesClaim.Held);   // what a lone analyzer asks before it claims
            }
        }

        policy.EndPlaces();

        Assert.Equal(expected, string.Join(' ', tickets.Values.Select(t => t.Claim)));
        Assert.All(tickets.Values, t => Assert.Equal(t.Claim is SeriesClaim.Held or SeriesClaim.Evictable, t.Series is not null));
    }

    // A flow whose id is also where it was created (the order of flows ending at one place).
    private static Flow TcpFlowOf(SeriesTicket? ticket, long id) => new()
    {
        Tcp = new TcpFlowFacts { SeriesTicket = ticket },
        Id = (int)id,
    };

    [Theory]
    [InlineData(0, "a b", "")]
    [InlineData(2, "a b a c", "a b")]
    [InlineData(3, "a a b", "a b")]
    public void ProfiledHosts_TheFirstOnes_AndClosedOnceEverySlotIsTaken(int slots, string claims, string profiled)
    {
        var policy = new Admissions(0, slots, maxListedFlows: 1);
        var log = new AdmissionLog(policy);
        var profiles = claims.Split(' ').Select(h => new DelayedAckProfile(Host(h))).ToList();
        foreach (DelayedAckProfile p in profiles)
        {
            log.Add(AdmissionKind.HostClaim, p);
        }

        Assert.Equal(profiled, string.Join(' ', profiles.Where(p => !p.Refused).Select(p => Name(p.Host)).Distinct()));
        bool full = profiled.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length == slots;
        Assert.Equal(full, policy.ClosedHosts is not null);
    }

    /// <summary>
    /// Random claims and ended flows in several shards, each shard logging its own as it gets to them (the shards run
    /// ahead of one another) and the logs replayed now and then: the decisions (series slots, profiled hosts, which
    /// flows are listed and which released, and to which shard each released flow goes back) are those of the same
    /// steps applied in capture order by one analyzer, with an expiry check's ended flows applied in the reverse
    /// shard order (the flows of one place are listed in the order they were created, whatever order they came in).
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void ShardLogs_ReplayedInCaptureOrder_DecideAsOneAnalyzer(int seed)
    {
        var random = new Random(seed);
        for (int round = 0; round < 50; round++)
        {
            int shards = random.Next(2, 6), slots = random.Next(0, 6), hostSlots = random.Next(0, 6), listed = random.Next(0, 8);
            var single = new Admissions(slots, hostSlots, listed);
            var singleLog = new AdmissionLog(single);
            var releasedByOne = new List<Flow>();
            singleLog.Releasing = releasedByOne.Add;
            var pairs = new List<(SeriesTicket One, SeriesTicket Sharded)>();
            var flowPairs = new Dictionary<Flow, Flow>();   // the sharded run's flow -> the single run's
            var hostPairs = new List<(DelayedAckProfile One, DelayedAckProfile Sharded)>();
            var steps = new List<(long Place, int Shard, AdmissionKind Kind, object Subject)>();   // the shards' own, in each shard's order
            var live = Enumerable.Range(0, shards).Select(_ => new List<(Flow One, Flow Sharded)>()).ToArray();
            var hostsSeen = Enumerable.Range(0, shards).Select(_ => new HashSet<string>()).ToArray();
            const int Places = 400;

            for (long place = 0; place < Places; place++)
            {
                singleLog.Place = place;
                if (random.Next(3) == 0)
                {
                    // An expiry check: every shard ends some of its flows at this one place, plain or notable, some
                    // giving their series slot away first.
                    var check = new List<(int Shard, AdmissionKind Kind, Flow One, Flow Sharded)>();
                    for (int s = 0; s < shards; s++)
                    {
                        foreach ((Flow One, Flow Sharded) pair in live[s].Where(_ => random.Next(4) == 0).ToList())
                        {
                            if (random.Next(2) == 0)
                            {
                                check.Add((s, AdmissionKind.SeriesEndedPlain, pair.One, pair.Sharded));
                            }
                            check.Add((s, random.Next(3) == 0 ? AdmissionKind.FlowEndedNotable : AdmissionKind.FlowEndedPlain, pair.One, pair.Sharded));
                            live[s].Remove(pair);
                        }
                    }
                    steps.AddRange(check.Select(c => (place, c.Shard, c.Kind, c.Kind == AdmissionKind.SeriesEndedPlain ? (object)c.Sharded.Tcp!.SeriesTicket! : c.Sharded)));
                    foreach (var c in check.OrderByDescending(x => x.Shard))
                    {
                        singleLog.Add(c.Kind, c.Kind == AdmissionKind.SeriesEndedPlain ? c.One.Tcp!.SeriesTicket! : c.One, creationOrder: c.One.Id);
                    }
                    continue;
                }
                // A packet in one shard: a new flow's claim, or a host's first timed ACK there.
                int shard = random.Next(shards);
                if (random.Next(3) == 0)
                {
                    string host = "h" + random.Next(8);
                    if (hostsSeen[shard].Add(host))
                    {
                        var pair = (new DelayedAckProfile(Host(host)), new DelayedAckProfile(Host(host)));
                        hostPairs.Add(pair);
                        steps.Add((place, shard, AdmissionKind.HostClaim, pair.Item2));
                        singleLog.Add(AdmissionKind.HostClaim, pair.Item1);
                    }
                }
                else
                {
                    var pair = (new SeriesTicket(place), new SeriesTicket(place));
                    pair.Item2.Start(16);
                    pairs.Add(pair);
                    (Flow one, Flow sharded) = (TcpFlowOf(pair.Item1, place), TcpFlowOf(pair.Item2, place));
                    flowPairs.Add(sharded, one);
                    live[shard].Add((one, sharded));
                    steps.Add((place, shard, AdmissionKind.SeriesClaim, pair.Item2));
                    bool slotFree = single.SeriesSlotFree;
                    singleLog.Add(AdmissionKind.SeriesClaim, pair.Item1);
                    Assert.Equal(slotFree, pair.Item1.Claim == SeriesClaim.Held);
                }
            }
            single.EndPlaces();

            var shared = new Admissions(slots, hostSlots, listed);
            AdmissionLog[] logs = Enumerable.Range(0, shards).Select(s => AdmissionLog.Queued(shared, s)).ToArray();
            var releasedTo = new List<(int Shard, Flow Flow)>();
            var own = Enumerable.Range(0, shards).Select(s => new Queue<(long Place, int Shard, AdmissionKind Kind, object Subject)>(steps.Where(x => x.Shard == s))).ToArray();
            var progress = new long[shards];
            while (progress.Any(p => p < Places))
            {
                // One shard gets further (the others lag), logging what it meets and saying how far it got.
                int s = random.Next(shards);
                progress[s] = Math.Min(Places, progress[s] + random.Next(1, 30));
                while (own[s].TryPeek(out var next) && next.Place < progress[s])
                {
                    own[s].Dequeue();
                    logs[s].Place = next.Place;
                    logs[s].Add(next.Kind, next.Subject, next.Subject is Flow f ? f.Id : 0);
                }
                logs[s].CompleteBelow(progress[s]);
                if (random.Next(3) == 0)
                {
                    AdmissionLog.ReplayBelow(logs, long.MaxValue);
                }
                logs[s].TakeReleased(f => releasedTo.Add((s, f)));
            }
            AdmissionLog.ReplayAll(logs);
            for (int s = 0; s < shards; s++)
            {
                logs[s].TakeReleased(f => releasedTo.Add((s, f)));
            }

            Assert.Equal(pairs.Select(p => p.One.Claim), pairs.Select(p => p.Sharded.Claim));
            Assert.All(pairs, p => Assert.Equal(p.One.Claim is SeriesClaim.Held or SeriesClaim.Evictable, p.Sharded.Series is not null));
            Assert.Equal(hostPairs.Select(p => p.One.Refused), hostPairs.Select(p => p.Sharded.Refused));
            Assert.Equal(single.SeriesRefused, shared.SeriesRefused);
            // The same flows listed and released; each released flow back to the shard that ended it.
            Assert.Equal(single.Listing.Listed.Select(f => f.Id).Order(), shared.Listing.Listed.Select(f => flowPairs[f].Id).Order());
            Assert.Equal(releasedByOne.Select(f => f.Id).Order(), releasedTo.Select(r => flowPairs[r.Flow].Id).Order());
            Assert.All(releasedTo, r => Assert.Equal(r.Shard, steps.Single(x => ReferenceEquals(x.Subject, r.Flow)).Shard));
            Assert.Equal(single.Listing.Released, shared.Listing.Released);
            Assert.True(single.Listing.Count <= listed);
        }
    }

    private static IpAddr Host(string name) => IpAddr.Parse("192.0.2." + (1 + name[^1] % 100));

    private static string Name(IpAddr host) => ((char)(int.Parse(host.ToString().Split('.')[3], System.Globalization.CultureInfo.InvariantCulture) - 1)).ToString();
}
