using PcapInsight.Core.Decoding;

namespace PcapInsight.Core.TcpAnalysis;

/// <summary>
/// How long one host holds its pure ACKs: a histogram of ACK delays (2 ms bins to 600 ms), from which its
/// delayed-ACK timer class is estimated. One per host, shared by its flows.
/// </summary>
public sealed class DelayedAckProfile
{
    /// <summary>Width of a bin of <see cref="DelayedHistogram"/>, ms.</summary>
    public const int BinMs = 2;
    private const int Bins = 300;
    private readonly int[] _delayed = new int[Bins + 1];   // last bin: 600 ms and more

    private volatile bool _refused;

    internal DelayedAckProfile(IpAddr host) => Host = host;

    /// <summary>
    /// The host came past the profiled hosts' limit. A shard's profile is refused after the fact, by the reading
    /// thread, once every shard's claims before it are known; what it gathered meanwhile is not reported.
    /// </summary>
    internal bool Refused => _refused;

    internal void Refuse() => _refused = true;

    /// <summary>The host.</summary>
    public IpAddr Host { get; }

    /// <summary>Pure ACKs observed that acknowledged everything outstanding.</summary>
    public long Acks { get; private set; }

    /// <summary>Of them, those held past the minimum hold (a timer's work).</summary>
    public long Delayed { get; private set; }

    /// <summary>The delayed ACKs by hold: bin i counts holds in [i·2, (i+1)·2) ms; the last bin, 600 ms and more.</summary>
    public ReadOnlySpan<int> DelayedHistogram => _delayed;

    /// <summary>Adds <paramref name="other"/>'s ACKs (the same host's, seen by another shard).</summary>
    internal void Add(DelayedAckProfile other)
    {
        Acks += other.Acks;
        Delayed += other.Delayed;
        for (int i = 0; i < _delayed.Length; i++)
        {
            _delayed[i] += other._delayed[i];
        }
    }

    internal void Add(long holdNs, bool delayed)
    {
        Acks++;
        if (!delayed)
        {
            return;
        }
        Delayed++;
        long ms = holdNs / 1_000_000;
        _delayed[(int)Math.Min(Bins, ms / BinMs)]++;
    }

    /// <summary>The median hold of the delayed ACKs, ms (bin centre); 0 without any.</summary>
    public double TimerMs
    {
        get
        {
            long seen = 0;
            for (int i = 0; i <= Bins; i++)
            {
                seen += _delayed[i];
                if (seen * 2 >= Delayed && Delayed > 0)
                {
                    return i * BinMs + BinMs / 2.0;
                }
            }
            return 0;
        }
    }

    /// <summary>
    /// The timer class: 40 (Linux's minimum), 50 or 100 (Solaris, BSDs), 200 (Windows, older stacks) when the measured
    /// value is within 25 % of one, "other" otherwise, "none" without delayed ACKs.
    /// </summary>
    public string TimerClass
    {
        get
        {
            double ms = TimerMs;
            if (Delayed == 0)
            {
                return "none";
            }
            foreach (int timer in (int[])[40, 50, 100, 200])
            {
                if (Math.Abs(ms - timer) <= timer * 0.25 && !(timer == 40 && ms > 45) && !(timer == 50 && ms <= 45))
                {
                    return timer.ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
            }
            return "other";
        }
    }
}
