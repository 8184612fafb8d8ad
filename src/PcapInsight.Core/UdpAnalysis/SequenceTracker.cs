using PcapInsight.Core.Collections;

namespace PcapInsight.Core.UdpAnalysis;

/// <summary>A range of sequence numbers never received (inclusive, extended), and the capture time of the datagram that revealed it.</summary>
public readonly record struct SequenceGap(long First, long Last, long DetectedNs);

/// <summary>
/// Follows an application sequence number (RTP's 16 bits, or a counter the user names) across a flow: datagrams
/// received, lost, duplicated and reordered, and the ranges never received. Numbers are extended past their wrap
/// (RFC 3550 A.1). Memory is bounded: duplicates are recognised within the last 4,096 numbers, and at most 1,024
/// missing ranges are kept (the counts stay exact).
/// </summary>
public sealed class SequenceTracker
{
    private const int Window = 4096;
    private const int MaxRanges = 1024;
    private readonly int _bits;
    private readonly ulong[] _seen = new ulong[Window / 64];   // bitmap of recently received numbers, by extended number modulo Window
    private readonly ValueList<SequenceGap> _missing = new();   // not a List of tuples: compiled at run time (ValueList says why)
    private bool _started;
    private long _highest;    // highest extended number received

    /// <param name="bits">Width of the number: 16 for RTP, 8 × bytes for a custom counter.</param>
    public SequenceTracker(int bits) => _bits = bits;

    /// <summary>The first number received (extended).</summary>
    public long First { get; private set; }

    /// <summary>Datagrams that carried a number (duplicates included).</summary>
    public long Received { get; private set; }

    /// <summary>Datagrams whose number had been received already.</summary>
    public long Duplicates { get; private set; }

    /// <summary>Datagrams that arrived after a higher number (and were not duplicates).</summary>
    public long Reordered { get; private set; }

    /// <summary>Numbers between the first and the highest never received.</summary>
    public long Lost => _started ? (_highest - First + 1) - (Received - Duplicates) : 0;

    /// <summary>
    /// The missing ranges (inclusive, extended numbers), oldest first, each with the capture time of the datagram
    /// that revealed it (the loss happened just before); at most 1,024.
    /// </summary>
    public IReadOnlyList<SequenceGap> Missing => _missing;

    /// <summary>Missing ranges not kept because the list was full.</summary>
    public long MissingRangesDropped { get; private set; }

    /// <summary>Adds a datagram's number, received at <paramref name="timeNs"/>; returns false when it was a duplicate.</summary>
    public bool Add(ulong raw, long timeNs = 0)
    {
        long value = (long)(raw & (_bits >= 64 ? ulong.MaxValue : (1UL << _bits) - 1));
        Received++;
        if (!_started)
        {
            _started = true;
            First = _highest = value;
            Mark(value);
            return true;
        }
        long extended = Extend(value);
        if (extended > _highest)
        {
            if (extended > _highest + 1)
            {
                AddMissing(_highest + 1, extended - 1, timeNs);
            }
            // numbers that fall out of the duplicate window are forgotten as the window moves
            for (long n = Math.Max(_highest + 1, extended - Window + 1); n <= extended; n++)
            {
                Unmark(n);
            }
            _highest = extended;
            Mark(extended);
            return true;
        }
        if (extended < First - Window || extended <= _highest - Window || IsMarked(extended))
        {
            Duplicates++;
            return false;
        }
        Reordered++;
        Mark(extended);
        FillMissing(extended);
        if (extended < First)
        {
            First = extended;
        }
        return true;
    }

    /// <summary>The extension of <paramref name="value"/> closest to the highest number seen.</summary>
    private long Extend(long value)
    {
        if (_bits >= 63)
        {
            return value;
        }
        long cycle = 1L << _bits;
        long candidate = (_highest & ~(cycle - 1)) | value;
        if (candidate - _highest > cycle / 2)
        {
            candidate -= cycle;
        }
        else if (_highest - candidate > cycle / 2)
        {
            candidate += cycle;
        }
        return candidate;
    }

    private void Mark(long n) => _seen[(int)((ulong)n % Window / 64)] |= 1UL << (int)((ulong)n % 64);

    private void Unmark(long n) => _seen[(int)((ulong)n % Window / 64)] &= ~(1UL << (int)((ulong)n % 64));

    private bool IsMarked(long n) => (_seen[(int)((ulong)n % Window / 64)] & (1UL << (int)((ulong)n % 64))) != 0;

    private void AddMissing(long first, long last, long timeNs)
    {
        if (_missing.Count >= MaxRanges)
        {
            MissingRangesDropped++;
            return;
        }
        _missing.Add(new SequenceGap(first, last, timeNs));
    }

    private void FillMissing(long n)
    {
        for (int i = _missing.Count - 1; i >= 0; i--)
        {
            (long first, long last, long detected) = _missing[i];
            if (n < first || n > last)
            {
                continue;
            }
            _missing.RemoveAt(i);
            if (n < last)
            {
                _missing.Insert(i, new SequenceGap(n + 1, last, detected));
            }
            if (n > first)
            {
                _missing.Insert(i, new SequenceGap(first, n - 1, detected));
            }
            return;
        }
    }
}
