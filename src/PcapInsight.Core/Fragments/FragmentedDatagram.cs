using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using PcapInsight.Core.Collections;
using PcapInsight.Core.Decoding;

namespace PcapInsight.Core.Fragments;

/// <summary>How a fragmented datagram ended.</summary>
public enum FragmentStatus : byte
{
    /// <summary>Every byte arrived once.</summary>
    Complete,
    /// <summary>Complete, with fragments overlapping with the same bytes.</summary>
    Overlap,
    /// <summary>Complete, with overlapping fragments whose bytes differ (the first copy was kept).</summary>
    Conflict,
    /// <summary>Never completed: a fragment was lost before the capture point (or the capture missed it).</summary>
    Incomplete,
}

/// <summary>The names of <see cref="FragmentStatus"/> as fragments.csv and the events' details write them.</summary>
public static class FragmentStatuses
{
    /// <summary><c>complete</c>, <c>overlap</c>, <c>conflict</c> or <c>incomplete</c>.</summary>
    public static string Name(FragmentStatus status) => status switch
    {
        FragmentStatus.Complete => "complete",
        FragmentStatus.Overlap => "overlap",
        FragmentStatus.Conflict => "conflict",
        _ => "incomplete",
    };
}

/// <summary>
/// One datagram that arrived in fragments: what arrived, what is missing, and (while it is being reassembled) its
/// bytes in a pooled buffer. Reused for the next datagram once reported.
/// </summary>
public sealed class FragmentedDatagram
{
    private byte[] _buffer = [];
    private byte[] _log = [];                                             // every fragment's captured bytes, in arrival order
    private int _logUsed;
    // Lists of structs of this class's own, not of tuples: the framework's generic code over a tuple is compiled at run
    // time (ValueList says why).
    private readonly ValueList<Piece> _pieces = new();
    private readonly ValueList<ByteRange> _ranges = new();   // received byte ranges of the IP payload, sorted, merged
    private long _held;   // bytes this datagram holds (buffers and lists), as last told to the reassembler

    // Lists longer than this are given back when the datagram is reused: only a flood of fragments grows them so.
    private const int ListsKeptOnReuse = 64;

    /// <summary>Its key.</summary>
    public FragmentKey Key { get; private set; }

    /// <summary>Capture time of the first fragment seen.</summary>
    public long FirstTimeNs { get; private set; }

    /// <summary>Capture time of the last fragment seen.</summary>
    public long LastTimeNs { get; private set; }

    /// <summary>Frame number and file of the first fragment seen.</summary>
    public long FirstFrame { get; private set; }

    /// <summary>File index of the first fragment seen.</summary>
    public int FirstFile { get; private set; }

    /// <summary>The upper-layer protocol (IPv4 protocol field, IPv6 next header after the fragment header).</summary>
    public byte Protocol { get; private set; }

    /// <summary>The first fragment's transport ports, when it came and carried them (to find the datagram's flow).</summary>
    public ushort SrcPort { get; internal set; }

    /// <summary>Destination port of the first fragment.</summary>
    public ushort DstPort { get; internal set; }

    /// <summary>The first fragment came with its ports.</summary>
    public bool HasPorts { get; internal set; }

    /// <summary>VLAN of the fragments (part of the flow's key).</summary>
    public ushort VlanId { get; internal set; }

    /// <summary>Fragments seen (duplicates included).</summary>
    public int Fragments { get; private set; }

    /// <summary>Payload length of the whole datagram, once the last fragment (MF clear) arrived; -1 before.</summary>
    public int TotalLength { get; private set; } = -1;

    /// <summary>Payload bytes received, counted once.</summary>
    public int ReceivedBytes { get; private set; }

    /// <summary>Bytes that arrived more than once.</summary>
    public int OverlapBytes { get; private set; }

    /// <summary>Of <see cref="OverlapBytes"/>, those whose second copy differed.</summary>
    public int ConflictBytes { get; private set; }

    /// <summary>The largest fragment's IP packet size: the MTU of the link where the datagram was split.</summary>
    public int LargestFragment { get; private set; }

    /// <summary>A fragment had DF set (IPv4): contradictory.</summary>
    public bool DontFragmentSeen { get; private set; }

    /// <summary>
    /// Fragments other than the last that carried fewer payload bytes than the tiny limit (each copy counted, as
    /// <see cref="Fragments"/> counts them): fragments.csv's <c>tiny_fragments</c>.
    /// </summary>
    public int TinyFragments { get; private set; }

    /// <summary>A fragment other than the last was tiny.</summary>
    public bool TinySeen => TinyFragments > 0;

    /// <summary>Fragments reached past 65,535 bytes of payload.</summary>
    public bool Oversize { get; private set; }

    /// <summary>Some fragment's payload was cut by the snaplen: the bytes are not all in the capture.</summary>
    public bool BytesCut { get; private set; }

    /// <summary>
    /// For a datagram with overlaps: the policies grouped by the bytes they rebuild, groups separated by "/" and
    /// policies in a group by "+" (e.g. <c>first+windows+solaris/bsd/linux+last</c>); empty without overlaps.
    /// </summary>
    public string PolicyGroups { get; private set; } = "";

    /// <summary>How it ended (for a datagram still being reassembled: <see cref="FragmentStatus.Incomplete"/>).</summary>
    public FragmentStatus Status => !IsComplete ? FragmentStatus.Incomplete
        : ConflictBytes > 0 ? FragmentStatus.Conflict : OverlapBytes > 0 ? FragmentStatus.Overlap : FragmentStatus.Complete;

    /// <summary>Every byte up to the last fragment's end has arrived.</summary>
    public bool IsComplete => TotalLength >= 0 && _ranges.Count == 1 && _ranges[0].Start == 0 && _ranges[0].End >= TotalLength;

    /// <summary>The reassembled IP payload (valid until the datagram is reused).</summary>
    public ReadOnlySpan<byte> Payload => _buffer.AsSpan(0, Math.Max(0, TotalLength));

    /// <summary>The byte ranges not received, as "start-end" pairs separated by spaces (end exclusive; "?" when the end is unknown).</summary>
    public string Missing()
    {
        var missing = new List<string>();
        int at = 0;
        foreach ((int start, int end) in _ranges)
        {
            if (start > at)
            {
                missing.Add($"{at}-{start}");
            }
            at = Math.Max(at, end);
        }
        if (TotalLength < 0)
        {
            missing.Add($"{at}-?");
        }
        else if (at < TotalLength)
        {
            missing.Add($"{at}-{TotalLength}");
        }
        return string.Join(' ', missing);
    }

    /// <summary>The reassembler's neighbours of this open datagram in order of first fragment.</summary>
    internal FragmentedDatagram? Older { get; set; }

    /// <inheritdoc cref="Older"/>
    internal FragmentedDatagram? Newer { get; set; }

    /// <summary>Bytes this datagram holds: its buffers and the lists of its fragments and received ranges.</summary>
    internal long HeldBytes => _held;

    internal void Begin(in FragmentKey key, long timeNs, long frame, int file)
    {
        Key = key;
        FirstTimeNs = LastTimeNs = timeNs;
        FirstFrame = frame;
        FirstFile = file;
        Fragments = 0;
        TotalLength = -1;
        ReceivedBytes = OverlapBytes = ConflictBytes = LargestFragment = TinyFragments = 0;
        DontFragmentSeen = Oversize = BytesCut = false;
        PolicyGroups = "";
        SrcPort = DstPort = VlanId = 0;
        HasPorts = false;
        _ranges.Clear();
        _pieces.Clear();
        _logUsed = 0;
    }

    /// <summary>
    /// Adds one fragment's payload at <paramref name="offset"/>; returns the change in <see cref="HeldBytes"/>. Costs
    /// the fragment's bytes plus a binary search and the ranges it touches, not a walk of every range received: a
    /// datagram split into thousands of disjoint pieces (an attack) must not make each fragment cost thousands.
    /// </summary>
    internal int Add(long timeNs, byte protocol, int offset, ReadOnlySpan<byte> captured, int length, bool last, int ipPacketSize, bool dontFragment, int tinyBytes)
    {
        Protocol = protocol;
        LastTimeNs = Math.Max(LastTimeNs, timeNs);
        Fragments++;
        LargestFragment = Math.Max(LargestFragment, ipPacketSize);
        DontFragmentSeen |= dontFragment;
        if (!last && length < tinyBytes)
        {
            TinyFragments++;
        }
        if (captured.Length < length)
        {
            BytesCut = true;
        }
        int end = offset + length;
        if (end > 65_535)
        {
            Oversize = true;
            end = 65_535;
            length = Math.Max(0, end - offset);
            captured = captured[..Math.Min(captured.Length, length)];
        }
        if (last)
        {
            TotalLength = TotalLength < 0 ? end : Math.Min(TotalLength, end);
        }
        EnsureCapacity(end);
        Log(offset, length, captured);
        // Bytes already received: compared with the first copy, which stays in the buffer; the policy chosen for the
        // analysis is applied when the datagram completes (ApplyPolicies).
        int overlap = 0;
        for (int r = FirstEndingAfter(offset); r < _ranges.Count && _ranges[r].Start < end; r++)
        {
            (int start, int stop) = _ranges[r];
            int from = Math.Max(start, offset), to = Math.Min(stop, end);
            if (from >= to)
            {
                continue;
            }
            overlap += to - from;
            for (int i = from; i < to && i - offset < captured.Length; i++)
            {
                if (_buffer[i] != captured[i - offset])
                {
                    ConflictBytes++;
                }
            }
        }
        OverlapBytes += overlap;
        CopyIntoGaps(offset, captured);
        Merge(offset, end);
        // The ranges are disjoint, so what was new is the fragment less the bytes it overlapped.
        ReceivedBytes += Math.Max(0, end - offset) - overlap;
        long held = (long)_buffer.Length + _log.Length
            + (long)_pieces.Capacity * Unsafe.SizeOf<Piece>() + (long)_ranges.Capacity * Unsafe.SizeOf<ByteRange>();
        int grown = (int)(held - _held);
        _held = held;
        return grown;
    }

    /// <summary>The index of the first received range that ends after <paramref name="position"/> (the ranges before it lie wholly before it).</summary>
    private int FirstEndingAfter(int position)
    {
        int low = 0, high = _ranges.Count;
        while (low < high)
        {
            int middle = (low + high) >>> 1;
            if (_ranges[middle].End <= position)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }
        return low;
    }

    /// <summary>
    /// Copies the parts of a fragment that fill gaps (the first copy of every byte stays), walking the sorted, disjoint
    /// received ranges once: per fragment, not per byte, so a flood of overlapping fragments costs linear time.
    /// </summary>
    private void CopyIntoGaps(int offset, ReadOnlySpan<byte> captured)
    {
        int at = offset, capturedEnd = offset + captured.Length;
        for (int r = FirstEndingAfter(offset); r < _ranges.Count; r++)
        {
            (int start, int stop) = _ranges[r];
            if (start >= capturedEnd)
            {
                break;
            }
            if (start > at)
            {
                captured[(at - offset)..(start - offset)].CopyTo(_buffer.AsSpan(at));
            }
            at = Math.Max(at, stop);
            if (at >= capturedEnd)
            {
                return;
            }
        }
        if (at < capturedEnd)
        {
            captured[(at - offset)..].CopyTo(_buffer.AsSpan(at));
        }
    }

    /// <summary>Adds [start, end) to the received ranges, merging the ranges it overlaps or touches into one.</summary>
    private void Merge(int start, int end)
    {
        if (start >= end)
        {
            return;
        }
        int first = FirstEndingAfter(start - 1);   // the first range that ends at or after start
        int past = first;
        while (past < _ranges.Count && _ranges[past].Start <= end)
        {
            past++;
        }
        if (past == first)
        {
            _ranges.Insert(first, new ByteRange(start, end));
            return;
        }
        _ranges[first] = new ByteRange(Math.Min(start, _ranges[first].Start), Math.Max(end, _ranges[past - 1].End));
        _ranges.RemoveRange(first + 1, past - first - 1);
    }

    private void EnsureCapacity(int size)
    {
        if (_buffer.Length >= size)
        {
            return;
        }
        byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Max(size, 2048));
        _buffer.AsSpan().CopyTo(bigger);
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }
        _buffer = bigger;
    }

    /// <summary>Keeps a copy of every fragment, so any policy can be replayed.</summary>
    private void Log(int offset, int length, ReadOnlySpan<byte> captured)
    {
        if (_log.Length < _logUsed + captured.Length)
        {
            byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_logUsed + captured.Length, 4096));
            _log.AsSpan(0, _logUsed).CopyTo(bigger);
            if (_log.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_log);
            }
            _log = bigger;
        }
        captured.CopyTo(_log.AsSpan(_logUsed));
        _pieces.Add(new Piece(offset, length, _logUsed, captured.Length));
        _logUsed += captured.Length;
    }

    /// <summary>
    /// For a complete datagram with overlaps: rebuilds it under every policy, records which give the same bytes
    /// (<see cref="PolicyGroups"/>), and leaves <see cref="Payload"/> as <paramref name="chosen"/> rebuilds it.
    /// </summary>
    /// <remarks>
    /// Each policy replays the fragments in arrival order over an owner per byte. A fragment decides once per run of
    /// bytes that one earlier fragment owns (the rule compares the two fragments, not the bytes), and runs are found
    /// and filled with vectorised span operations: a flood of overlapping copies of a datagram (a capture of
    /// pcapplusplus' ip-frag-many-overlaps, 300 such datagrams of 8 KB) cost 87 ms with the rule asked per byte.
    /// </remarks>
    internal void ApplyPolicies(FragmentPolicy chosen)
    {
        if (OverlapBytes == 0 || !IsComplete || BytesCut)
        {
            return;
        }
        int total = TotalLength;
        FragmentPolicy[] every = FragmentPolicies.Every;
        int[] owners = ArrayPool<int>.Shared.Rent(total);
        byte[] rebuilt = ArrayPool<byte>.Shared.Rent(total * every.Length);
        try
        {
            for (int p = 0; p < every.Length; p++)
            {
                Span<int> owner = owners.AsSpan(0, total);
                owner.Fill(-1);
                for (int i = 0; i < _pieces.Count; i++)
                {
                    Claim(owner, i, every[p]);
                }
                Rebuild(owner, rebuilt.AsSpan(p * total, total));
            }
            // Each policy's group: the first policy that rebuilt the same bytes (itself when none before did).
            Span<int> groupOf = stackalloc int[every.Length];
            int signature = 0;
            for (int p = 0; p < every.Length; p++)
            {
                groupOf[p] = p;
                ReadOnlySpan<byte> bytes = rebuilt.AsSpan(p * total, total);
                for (int q = 0; q < p; q++)
                {
                    if (groupOf[q] == q && rebuilt.AsSpan(q * total, total).SequenceEqual(bytes))
                    {
                        groupOf[p] = q;
                        break;
                    }
                }
                signature = signature * every.Length + groupOf[p];
            }
            PolicyGroups = GroupNames.GetOrAdd(signature, NameGroups);
            int chosenAt = 0;
            while (every[chosenAt] != chosen)
            {
                chosenAt++;   // a loop, not Array.IndexOf: that generic over our enum would be compiled at run time
            }
            rebuilt.AsSpan(chosenAt * total, total).CopyTo(_buffer);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(owners);
            ArrayPool<byte>.Shared.Return(rebuilt);
        }
    }

    /// <summary>Gives fragment <paramref name="i"/> the bytes it covers that are unowned or that <paramref name="policy"/> lets it take from their owner.</summary>
    private void Claim(Span<int> owner, int i, FragmentPolicy policy)
    {
        Piece piece = _pieces[i];
        int start = piece.Offset, end = piece.Offset + piece.Length;
        Span<int> covered = owner[Math.Min(start, owner.Length)..Math.Min(end, owner.Length)];
        while (!covered.IsEmpty)
        {
            int previous = covered[0];
            int run = covered.IndexOfAnyExcept(previous);
            if (run < 0)
            {
                run = covered.Length;
            }
            if (previous < 0 || FragmentPolicies.NewWins(policy, start, end, _pieces[previous].Offset, _pieces[previous].Offset + _pieces[previous].Length))
            {
                covered[..run].Fill(i);
            }
            covered = covered[run..];
        }
    }

    /// <summary>Writes the datagram as <paramref name="owner"/> assigns its bytes: each run copied from its fragment's logged bytes.</summary>
    private void Rebuild(ReadOnlySpan<int> owner, Span<byte> into)
    {
        int at = 0;
        while (at < owner.Length)
        {
            int who = owner[at];
            int run = owner[at..].IndexOfAnyExcept(who);
            int runEnd = run < 0 ? owner.Length : at + run;
            int copiedEnd = at;
            if (who >= 0)
            {
                // Bytes past what the capture holds of the fragment are zeros (a complete, uncut datagram has none).
                (int offset, _, int logStart, int captured) = _pieces[who];
                copiedEnd = Math.Clamp(offset + captured, at, runEnd);
                _log.AsSpan(logStart + at - offset, copiedEnd - at).CopyTo(into[at..]);
            }
            into[copiedEnd..runEnd].Clear();
            at = runEnd;
        }
    }

    // PolicyGroups by signature (each policy's group as a digit): a few distinct texts, made once rather than per datagram.
    private static readonly ConcurrentDictionary<int, string> GroupNames = new();

    private static string NameGroups(int signature)
    {
        FragmentPolicy[] every = FragmentPolicies.Every;
        var groupOf = new int[every.Length];
        for (int p = every.Length - 1; p >= 0; p--)
        {
            groupOf[p] = signature % every.Length;
            signature /= every.Length;
        }
        var groups = new List<string>();
        for (int p = 0; p < every.Length; p++)
        {
            if (groupOf[p] == p)
            {
                groups.Add(string.Join('+', Enumerable.Range(p, every.Length - p).Where(q => groupOf[q] == p).Select(q => FragmentPolicies.Name(every[q]))));
            }
        }
        return string.Join('/', groups);
    }

    // A fragment's bytes: where in the datagram, and where its captured bytes are in the log.
    private readonly record struct Piece(int Offset, int Length, int LogStart, int Captured);

    // Received bytes [Start, End) of the IP payload.
    private readonly record struct ByteRange(int Start, int End);

    /// <summary>Gives the buffers back to the pool and long lists back to the runtime; returns <see cref="HeldBytes"/>, which is then 0.</summary>
    internal long Release()
    {
        long released = _held;
        _held = 0;
        _pieces.Clear(ListsKeptOnReuse);
        _ranges.Clear(ListsKeptOnReuse);
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
        if (_log.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_log);
            _log = [];
        }
        return released;
    }
}
