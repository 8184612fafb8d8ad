using PcapInsight.Core.Flows;
using Xunit;

namespace PcapInsight.Core.Tests.Flows;

/// <summary>
/// The report's list of ended flows past --max-listed-flows: plain flows go first, oldest first; the flows that end at
/// one place of the capture are taken in the order they were created (what shards and one analyzer both know), not
/// the order they came in.
/// </summary>
public class FlowListingTests
{
    /// <summary>
    /// The limit; the flows as they end, each "place:kind id" (p plain, n notable; created in id order); the flows
    /// released (in any order: which flows go is the rule, not the order they go in); the flows listed at the end.
    /// </summary>
    public static TheoryData<int, string, string, string> Cases() => new()
    {
        { 2, "1:p1 2:p2 3:p3", "1", "2 3" },
        // A flow with something to report outlives plain ones that ended after it ...
        { 2, "1:n1 2:p2 3:p3 4:p4", "2 3", "1 4" },
        // ... until every listed flow is one: then the oldest of them goes.
        { 1, "1:n1 2:n2 3:p3", "1 3", "2" },
        // One place's flows, come in any order, are listed in the order they were created.
        { 1, "5:p3 5:p1 5:p2", "1 2", "3" },
        { 2, "1:n1 2:p4 2:n3 2:p2", "2 4", "1 3" },
        { 3, "1:p9 1:p8 2:n7 2:p1", "8", "1 7 9" },
        { 5, "1:p1 2:n2", "", "1 2" },
        // A place with more flows than the limit (the end of a capture): its oldest go unlisted, and so do the
        // listed flows that its kept ones push out.
        { 3, "1:p1 1:n2 3:p7 3:p5 3:n6 3:p4 3:n3", "1 4 5 7", "2 3 6" },
        { 3, "1:n1 2:p9 2:p8 2:p7 2:p6", "6 7", "1 8 9" },
        { 2, "1:n1 2:n9 2:n8 2:n7 2:p6", "1 6 7", "8 9" },
        { 0, "1:n1 1:p2 2:p3", "1 2 3", "" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void PastTheLimit_PlainFlowsGoFirst_AndOnePlacesFlowsInCreationOrder(int max, string ends, string released, string listed)
    {
        var listing = new FlowListing(max);
        var gone = new List<int>();
        listing.Releasing = (flow, owner) =>
        {
            Assert.Equal("owner", owner);
            gone.Add(flow.Id);
        };
        foreach (string end in ends.Split(' '))
        {
            long place = long.Parse(end[..end.IndexOf(':')], System.Globalization.CultureInfo.InvariantCulture);
            int id = int.Parse(end[(end.IndexOf(':') + 2)..], System.Globalization.CultureInfo.InvariantCulture);
            listing.Add(new Flow { Id = id }, notable: end[end.IndexOf(':') + 1] == 'n', place, creationOrder: id, "owner");
        }
        listing.Flush();

        Assert.Equal(released, string.Join(' ', gone.Order()));
        Assert.Equal(listed, string.Join(' ', listing.Listed.Select(f => f.Id).Order()));
        Assert.Equal(gone.Count, listing.Released.Other);   // these flows have no protocol: "other"
        Assert.Equal(listing.Listed.Count(), listing.Count);
    }

    [Fact]
    public void APlacesFlows_AreListedWhenALaterPlaceIsReached_AndCountedMeanwhile()
    {
        var listing = new FlowListing(1);
        var gone = new List<int>();
        listing.Releasing = (flow, _) => gone.Add(flow.Id);
        listing.Add(new Flow { Id = 2 }, notable: false, place: 7, creationOrder: 2, owner: null);
        listing.Add(new Flow { Id = 1 }, notable: false, place: 7, creationOrder: 1, owner: null);

        listing.Reached(7);                                  // the same place: it may have more flows to come
        Assert.Empty(gone);
        Assert.Equal(2, listing.Count);                      // listed meanwhile (a live snapshot shows them)

        listing.Reached(8);
        Assert.Equal([1], gone);
        Assert.Equal([2], listing.Listed.Select(f => f.Id));
    }

    /// <summary>
    /// Random runs of places, kinds and creation orders against the rule applied one flow at a time (each place's
    /// flows sorted by creation order, then listed one by one, the oldest plain flow, else the oldest notable one,
    /// going past the limit): the same flows go and the same stay, listed in the same order.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void AnyRun_ListsAndReleasesAsTheRuleAppliedOneFlowAtATime(int seed)
    {
        var random = new Random(seed);
        for (int run = 0; run < 300; run++)
        {
            int max = random.Next(0, 8);
            var listing = new FlowListing(max);
            var gone = new List<int>();
            listing.Releasing = (flow, _) => gone.Add(flow.Id);
            var model = new OneAtATime(max);
            int flows = random.Next(0, 60);
            int[] creation = Enumerable.Range(1, flows).OrderBy(_ => random.Next()).ToArray();
            long place = 0;
            var placeFlows = new List<(int Id, bool Notable)>();
            for (int i = 0; i < flows; i++)
            {
                if (random.Next(4) == 0)
                {
                    place += random.Next(1, 3);
                    model.EndPlace(placeFlows);
                }
                int id = creation[i];
                bool notable = random.Next(3) == 0;
                placeFlows.Add((id, notable));
                listing.Add(new Flow { Id = id }, notable, place, creationOrder: id, owner: null);
            }
            model.EndPlace(placeFlows);
            listing.Flush();

            Assert.Equal(model.Released.Order(), gone.Order());
            Assert.Equal(model.Listed, listing.Listed.Select(f => f.Id));
        }
    }

    /// <summary>The listing rule applied one flow at a time, as plainly as it can be written.</summary>
    private sealed class OneAtATime(int max)
    {
        private readonly List<int> _notable = new(), _plain = new();

        public List<int> Released { get; } = new();

        public IEnumerable<int> Listed => _notable.Concat(_plain);

        public void EndPlace(List<(int Id, bool Notable)> flows)
        {
            foreach ((int id, bool notable) in flows.OrderBy(f => f.Id))
            {
                (notable ? _notable : _plain).Add(id);
                if (_notable.Count + _plain.Count > max)
                {
                    List<int> from = _plain.Count > 0 ? _plain : _notable;
                    Released.Add(from[0]);
                    from.RemoveAt(0);
                }
            }
            flows.Clear();
        }
    }
}
