namespace PcapInsight.Core.Events;

/// <summary>
/// Every event counted by kind and time, in memory that does not grow with the capture: a fixed number of bins per
/// kind that start 1 ms wide and double in width (folding pairs together) whenever an event falls past the last,
/// so the bins always span the capture so far. The event timeline chart draws it; unlike events.csv it drops nothing.
/// </summary>
public sealed class EventTimeline
{
    /// <summary>Bins per kind.</summary>
    public const int Bins = 256;

    private readonly long[]?[] _byKind = new long[Enum.GetValues<EventKind>().Length][];
    private bool _started;

    /// <summary>Capture time of the left edge of the first bin.</summary>
    public long OriginNs { get; private set; }

    /// <summary>Width of one bin, ns.</summary>
    public long WidthNs { get; private set; } = 1_000_000;

    /// <summary>Sets the origin (the capture's first frame); events before it fall in the first bin.</summary>
    internal void Start(long originNs)
    {
        if (!_started)
        {
            _started = true;
            OriginNs = originNs;
        }
    }

    /// <summary>Counts one event of <paramref name="kind"/> at <paramref name="timeNs"/>.</summary>
    internal void Add(EventKind kind, long timeNs)
    {
        Start(timeNs);
        long offset = Math.Max(0, timeNs - OriginNs);
        while (offset / WidthNs >= Bins)
        {
            Widen();
        }
        long[] bins = _byKind[(int)kind] ??= new long[Bins];   // once per kind that occurs
        bins[offset / WidthNs]++;
    }

    /// <summary>The kinds that occurred, with their bins (index i covers [origin + i·width, origin + (i+1)·width)).</summary>
    public IEnumerable<(EventKind Kind, long[] Counts)> Kinds()
    {
        for (int k = 0; k < _byKind.Length; k++)
        {
            if (_byKind[k] is { } bins)
            {
                yield return ((EventKind)k, bins);
            }
        }
    }

    /// <summary>
    /// Adds <paramref name="other"/>'s counts (a shard's timeline with the same origin): both are brought to the wider
    /// of the two widths, which is the width one timeline counting every event would have reached.
    /// </summary>
    internal void MergeFrom(EventTimeline other)
    {
        if (!other._started)
        {
            return;
        }
        Start(other.OriginNs);
        while (WidthNs < other.WidthNs)
        {
            Widen();
        }
        int shift = System.Numerics.BitOperations.Log2((ulong)(WidthNs / other.WidthNs));
        for (int k = 0; k < _byKind.Length; k++)
        {
            if (other._byKind[k] is not { } theirs)
            {
                continue;
            }
            long[] mine = _byKind[k] ??= new long[Bins];
            for (int i = 0; i < Bins; i++)
            {
                mine[FoldedBin(i, shift)] += theirs[i];
            }
        }
    }

    /// <summary>
    /// Where bin <paramref name="bin"/> lands once the bins are 2^<paramref name="shift"/> times wider. A jump of the
    /// capture's clock (a 1970 timestamp before 2022 ones) widens them 2^33 times at once, and C# takes an int's shift
    /// count modulo 32: <c>bin &gt;&gt; 33</c> would be <c>bin &gt;&gt; 1</c>.
    /// </summary>
    internal static int FoldedBin(int bin, int shift) => shift < 32 ? bin >> shift : 0;

    private void Widen()
    {
        foreach (long[]? bins in _byKind)
        {
            if (bins is null)
            {
                continue;
            }
            for (int i = 0; i < Bins / 2; i++)
            {
                bins[i] = bins[2 * i] + bins[2 * i + 1];
            }
            Array.Clear(bins, Bins / 2, Bins / 2);
        }
        WidthNs *= 2;
    }
}
