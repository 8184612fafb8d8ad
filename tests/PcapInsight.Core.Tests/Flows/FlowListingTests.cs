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
    /// released, in the order they went; the flows listed at the end.
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

        Assert.Equal(released, string.Join(' ', gone));
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
}
