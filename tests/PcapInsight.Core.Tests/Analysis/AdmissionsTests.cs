using PcapInsight.Core.Analysis;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.TcpAnalysis;
using Xunit;

namespace PcapInsight.Core.Tests.Analysis;

/// <summary>
/// The capture-wide first-come limits (series slots, profiled hosts): what the policy decides, and that the shards'
/// logs replayed in capture order, whatever the shards' progress, decide what one analyzer's claims decide.
/// </summary>
public class AdmissionsTests
{
    /// <summary>
    /// Steps, each "C n" (flow n's first segment claims a slot), "E n" (flow n ended plain: it may give its slot
    /// away), "F n" (flow n left the report's list); then each flow's claim, in flow order.
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
        var policy = new Admissions(slots, maxProfiledHosts: 0);
        var tickets = new SortedDictionary<int, SeriesTicket>();
        foreach (string step in steps.Split(' '))
        {
            int flow = int.Parse(step[1..], System.Globalization.CultureInfo.InvariantCulture);
            bool slotFree = policy.SeriesSlotFree;
            if (step[0] == 'C')
            {
                tickets[flow] = new SeriesTicket(order: flow);
                tickets[flow].Start(16);
            }
            policy.Apply(step[0] switch { 'C' => AdmissionKind.SeriesClaim, 'E' => AdmissionKind.SeriesEndedPlain, _ => AdmissionKind.SeriesForget },
                tickets[flow]);
            if (step[0] == 'C')
            {
                Assert.Equal(slotFree, tickets[flow].Claim == SeriesClaim.Held);   // what a lone analyzer asks before it claims
            }
        }

        Assert.Equal(expected, string.Join(' ', tickets.Values.Select(t => t.Claim)));
        Assert.All(tickets.Values, t => Assert.Equal(t.Claim is SeriesClaim.Held or SeriesClaim.Evictable, t.Series is not null));
    }

    [Theory]
    [InlineData(0, "a b", "")]
    [InlineData(2, "a b a c", "a b")]
    [InlineData(3, "a a b", "a b")]
    public void ProfiledHosts_TheFirstOnes_AndClosedOnceEverySlotIsTaken(int slots, string claims, string profiled)
    {
        var policy = new Admissions(0, slots);
        var profiles = claims.Split(' ').Select(h => new DelayedAckProfile(Host(h))).ToList();
        foreach (DelayedAckProfile p in profiles)
        {
            policy.Apply(AdmissionKind.HostClaim, p);
        }

        Assert.Equal(profiled, string.Join(' ', profiles.Where(p => !p.Refused).Select(p => Name(p.Host)).Distinct()));
        bool full = profiled.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length == slots;
        Assert.Equal(full, policy.ClosedHosts is not null);
    }

    /// <summary>
    /// Random claims and releases in several shards, each shard logging its own as it gets to them (the shards run
    /// ahead of one another) and the logs replayed now and then: the decisions are those of the same steps applied in
    /// capture order by one analyzer, with an expiry check's releases applied in the reverse shard order (their order
    /// does not matter).
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
            int shards = random.Next(2, 6), slots = random.Next(0, 6), hostSlots = random.Next(0, 6);
            var single = new Admissions(slots, hostSlots);
            var pairs = new List<(SeriesTicket One, SeriesTicket Sharded)>();
            var hostPairs = new List<(DelayedAckProfile One, DelayedAckProfile Sharded)>();
            var steps = new List<(long Place, int Shard, AdmissionKind Kind, object Subject)>();   // the shards' own, in each shard's order
            var live = Enumerable.Range(0, shards).Select(_ => new List<(SeriesTicket, SeriesTicket)>()).ToArray();
            var hostsSeen = Enumerable.Range(0, shards).Select(_ => new HashSet<string>()).ToArray();
            const int Places = 400;

            for (long place = 0; place < Places; place++)
            {
                if (random.Next(3) == 0)
                {
                    // An expiry check: every shard ends or forgets some of its flows at this one place.
                    var check = new List<(int Shard, AdmissionKind Kind, (SeriesTicket One, SeriesTicket Sharded) Pair)>();
                    for (int s = 0; s < shards; s++)
                    {
                        foreach ((SeriesTicket, SeriesTicket) pair in live[s].Where(_ => random.Next(4) == 0).ToList())
                        {
                            check.Add((s, random.Next(2) == 0 ? AdmissionKind.SeriesEndedPlain : AdmissionKind.SeriesForget, pair));
                            live[s].Remove(pair);
                        }
                    }
                    steps.AddRange(check.Select(c => (place, c.Shard, c.Kind, (object)c.Pair.Sharded)));
                    foreach (var c in check.OrderByDescending(x => x.Shard))
                    {
                        single.Apply(c.Kind, c.Pair.One);
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
                        single.Apply(AdmissionKind.HostClaim, pair.Item1);
                    }
                }
                else
                {
                    var pair = (new SeriesTicket(place), new SeriesTicket(place));
                    pair.Item2.Start(16);
                    pairs.Add(pair);
                    live[shard].Add(pair);
                    steps.Add((place, shard, AdmissionKind.SeriesClaim, pair.Item2));
                    bool slotFree = single.SeriesSlotFree;
                    single.Apply(AdmissionKind.SeriesClaim, pair.Item1);
                    Assert.Equal(slotFree, pair.Item1.Claim == SeriesClaim.Held);
                }
            }

            var shared = new Admissions(slots, hostSlots);
            AdmissionLog[] logs = Enumerable.Range(0, shards).Select(_ => AdmissionLog.Queued(shared)).ToArray();
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
                    logs[s].Add(next.Kind, next.Subject);
                }
                logs[s].CompleteBelow(progress[s]);
                if (random.Next(3) == 0)
                {
                    AdmissionLog.ReplayBelow(logs, long.MaxValue);
                }
            }
            AdmissionLog.ReplayAll(logs);

            Assert.Equal(pairs.Select(p => p.One.Claim), pairs.Select(p => p.Sharded.Claim));
            Assert.All(pairs, p => Assert.Equal(p.One.Claim is SeriesClaim.Held or SeriesClaim.Evictable, p.Sharded.Series is not null));
            Assert.Equal(hostPairs.Select(p => p.One.Refused), hostPairs.Select(p => p.Sharded.Refused));
            Assert.Equal(single.SeriesRefused, shared.SeriesRefused);
        }
    }

    private static IpAddr Host(string name) => IpAddr.Parse("192.0.2." + (1 + name[^1] % 100));

    private static string Name(IpAddr host) => ((char)(int.Parse(host.ToString().Split('.')[3], System.Globalization.CultureInfo.InvariantCulture) - 1)).ToString();
}
