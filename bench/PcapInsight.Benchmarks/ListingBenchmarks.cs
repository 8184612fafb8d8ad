using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using PcapInsight.Core.Flows;

namespace PcapInsight.Benchmarks;

/// <summary>
/// The report's list of ended flows (<c>FlowListing</c>, <c>--max-listed-flows</c>): the end of a capture, where every
/// open flow ends at one place, in the order of the table's activity list, and is listed in the order it was created
/// (with a limit below the count, the flows that go are selected, not sorted); and the expiry checks of a capture of
/// short connections, a hundred flows a place. One in ten flows is notable. Figures are for 200,000 flows; the flows
/// are made once, so "allocated" is the listing's own (its entries, keys and queues).
/// Run: dotnet run -c Release --project bench/PcapInsight.Benchmarks -- --filter '*Listing*'
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, warmupCount: 3, iterationCount: 15, invocationCount: 1)]
public class ListingBenchmarks
{
    private const int FlowCount = 200_000;

    /// <summary>--max-listed-flows: most flows released (10,000), or none (200,000: all sorted and listed).</summary>
    [Params(10_000, 200_000)]
    public int Limit { get; set; }

    private Flow[] _flows = [];
    private long[] _creationOrder = [];
    private long _released;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        _flows = Enumerable.Range(1, FlowCount).Select(id => new Flow { Id = id }).ToArray();
        // The activity list's order: creation order shuffled (flows last active at any time end together).
        _creationOrder = Enumerable.Range(1, FlowCount).Select(i => (long)i).OrderBy(_ => random.Next()).ToArray();
    }

    [Benchmark]
    public long EndOfCapture()
    {
        FlowListing listing = NewListing();
        listing.Expect(FlowCount);
        for (int i = 0; i < FlowCount; i++)
        {
            listing.Add(_flows[i], notable: i % 10 == 0, place: 1, _creationOrder[i], owner: null);
        }
        listing.Flush();
        return _released;
    }

    [Benchmark]
    public long ExpiryChecks()
    {
        FlowListing listing = NewListing();
        for (int i = 0; i < FlowCount; i++)
        {
            listing.Add(_flows[i], notable: i % 10 == 0, place: i / 100, _creationOrder[i], owner: null);
        }
        listing.Flush();
        return _released;
    }

    private FlowListing NewListing()
    {
        _released = 0;
        return new FlowListing(Limit) { Releasing = (_, _) => _released++ };
    }
}
