using PcapInsight.Core.Decoding;
using PcapInsight.Core.Fragments;
using Xunit;

namespace PcapInsight.Core.Tests.Fragments;

/// <summary>
/// A datagram's bookkeeping of what arrived (the sorted received ranges, searched rather than walked, and the bytes
/// counted as they come) against a byte-by-byte model of the same fragments: received, overlapping and conflicting
/// bytes, the missing ranges, completion and the bytes kept (the first copy).
/// </summary>
public class FragmentedDatagramTests
{
    public static TheoryData<int, string> Cases => new()
    {
        { 1, "random" },
        { 2, "random" },
        { 3, "random" },
        { 4, "ascending disjoint" },
        { 5, "descending disjoint" },
        { 6, "random" },
        { 7, "duplicates" },
        { 8, "random" },
        { 9, "one byte short" },
        { 10, "one byte short" },
        { 11, "in order" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Bookkeeping_FollowsAByteModel(int seed, string shape)
    {
        var random = new Random(seed);
        var datagram = new FragmentedDatagram();
        datagram.Begin(new FragmentKey(4, IpAddr.Parse("192.0.2.1"), IpAddr.Parse("198.51.100.1"), 7, 17), 0, 1, 0);
        var model = new ByteModel();
        byte[][] versions = [Pattern(0x11), Pattern(0x11), Pattern(0x5A)];   // a third of the copies differ

        for (int step = 0; step < 400; step++)
        {
            (int offset, int length) = shape switch
            {
                "ascending disjoint" => (step * 16, 8),
                "descending disjoint" => ((400 - step) * 16, 8),
                "duplicates" => (random.Next(4) * 8, 24),
                "in order" => (step * 184, 184),   // each piece touching the one before
                "one byte short" => (random.Next(600) * 8, 8 * (1 + random.Next(20)) - 1),   // a byte's gap before the next

                _ => (random.Next(600) * 8, 1 + random.Next(random.Next(2) == 0 ? 16 : 1500)),
            };
            bool last = shape == "random" ? random.Next(40) == 0 : shape == "in order" && step == 30;
            byte[] bytes = versions[random.Next(versions.Length)].AsSpan(offset, length).ToArray();

            datagram.Add(step, 17, offset, bytes, length, last, 20 + length, false, 256);
            model.Add(offset, bytes, last);

            Assert.Equal(model.Received, datagram.ReceivedBytes);
            Assert.Equal(model.Overlap, datagram.OverlapBytes);
            Assert.Equal(model.Conflict, datagram.ConflictBytes);
            Assert.Equal(model.Missing(), datagram.Missing());
            Assert.Equal(model.IsComplete, datagram.IsComplete);
            if (datagram.IsComplete)
            {
                Assert.Equal(model.Kept(), datagram.Payload.ToArray());
                return;
            }
        }
        Assert.NotEqual("in order", shape);   // that one completes
    }

    public static TheoryData<int, string> PolicyCases => new()
    {
        { 1, "random" },
        { 2, "random" },
        { 3, "random" },
        { 4, "random" },
        { 5, "tiny" },
        { 6, "tiny" },
        { 7, "copies" },
        { 8, "copies" },
        { 9, "nested" },
        { 10, "nested" },
        { 11, "one overlap" },
    };

    /// <summary>
    /// Every policy's rebuilt bytes and the policy groups against the rule asked byte by byte, in arrival order, of
    /// whichever fragment owns the byte so far (the replay the reassembler does in runs of bytes).
    /// </summary>
    [Theory]
    [MemberData(nameof(PolicyCases))]
    public void Policies_FollowAByteByByteReplay(int seed, string shape)
    {
        var random = new Random(seed);
        int total = 8 * random.Next(40, 500);
        byte[][] versions = [Pattern(0x11), Pattern(0x11), Pattern(0x5A), Pattern(0x77)];   // some copies agree
        var pieces = new List<(int Offset, byte[] Bytes)>();
        int count = shape == "one overlap" ? 2 : random.Next(20, 200);
        for (int i = 0; i < count; i++)
        {
            (int offset, int length) = shape switch
            {
                "tiny" => (8 * random.Next(total / 8), 1 + random.Next(16)),
                "copies" => (8 * random.Next(4), 8 * random.Next(1, 8)),
                "nested" => (8 * i % total, Math.Max(1, total - 16 * i % total)),   // each inside or around the others
                "one overlap" => (16 + 8 * i, 40),   // two fragments sharing 32 bytes
                _ => (8 * random.Next(total / 8), 1 + random.Next(1500)),
            };
            length = Math.Min(length, total - offset);
            byte[] version = versions[random.Next(versions.Length)];
            pieces.Add((offset, version.AsSpan(offset, length).ToArray()));
        }
        // Gaps filled, so that the datagram completes; then all of it in a random order.
        var covered = new bool[total];
        foreach ((int offset, byte[] bytes) in pieces)
        {
            covered.AsSpan(offset, bytes.Length).Fill(true);
        }
        for (int at = 0; at < total;)
        {
            int gapEnd = at;
            while (gapEnd < total && !covered[gapEnd])
            {
                gapEnd++;
            }
            if (gapEnd > at)
            {
                pieces.Add((at, versions[random.Next(versions.Length)].AsSpan(at, gapEnd - at).ToArray()));
            }
            at = gapEnd + 1;
        }
        pieces = [.. pieces.OrderBy(_ => random.Next())];
        int lastIndex = pieces.FindIndex(x => x.Offset + x.Bytes.Length == total);

        var rebuilt = new Dictionary<FragmentPolicy, byte[]>();
        string? groups = null;
        foreach (FragmentPolicy policy in FragmentPolicies.All)
        {
            var datagram = new FragmentedDatagram();
            datagram.Begin(new FragmentKey(4, IpAddr.Parse("192.0.2.1"), IpAddr.Parse("198.51.100.1"), 7, 17), 0, 1, 0);
            for (int i = 0; i < pieces.Count; i++)
            {
                datagram.Add(i, 17, pieces[i].Offset, pieces[i].Bytes, pieces[i].Bytes.Length, i == lastIndex, 20 + pieces[i].Bytes.Length, false, 256);
            }
            Assert.True(datagram.IsComplete);
            Assert.True(datagram.OverlapBytes > 0);
            datagram.ApplyPolicies(policy);

            byte[] expected = ReplayByteByByte(pieces, total, policy);
            Assert.Equal(expected, datagram.Payload.ToArray());
            rebuilt[policy] = expected;
            groups ??= datagram.PolicyGroups;
            Assert.Equal(groups, datagram.PolicyGroups);   // whichever policy was chosen
        }
        Assert.Equal(ExpectedGroups(rebuilt), groups);
    }

    private static byte[] ReplayByteByByte(List<(int Offset, byte[] Bytes)> pieces, int total, FragmentPolicy policy)
    {
        var owner = new int[total];
        Array.Fill(owner, -1);
        for (int i = 0; i < pieces.Count; i++)
        {
            (int offset, byte[] bytes) = pieces[i];
            for (int b = offset; b < offset + bytes.Length; b++)
            {
                int previous = owner[b];
                if (previous < 0 || FragmentPolicies.NewWins(policy, offset, offset + bytes.Length, pieces[previous].Offset, pieces[previous].Offset + pieces[previous].Bytes.Length))
                {
                    owner[b] = i;
                }
            }
        }
        return [.. Enumerable.Range(0, total).Select(b => pieces[owner[b]].Bytes[b - pieces[owner[b]].Offset])];
    }

    // Policies with the same bytes in one group ("+"), groups in the order of their first policy ("/").
    private static string ExpectedGroups(Dictionary<FragmentPolicy, byte[]> rebuilt)
    {
        var groups = new List<List<FragmentPolicy>>();
        foreach (FragmentPolicy policy in FragmentPolicies.All)
        {
            List<FragmentPolicy>? same = groups.FirstOrDefault(g => rebuilt[g[0]].SequenceEqual(rebuilt[policy]));
            if (same is null)
            {
                groups.Add([policy]);
            }
            else
            {
                same.Add(policy);
            }
        }
        return string.Join('/', groups.Select(g => string.Join('+', g.Select(FragmentPolicies.Name))));
    }

    private static byte[] Pattern(byte seed)
    {
        var bytes = new byte[8_000];
        for (int i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(seed + i * 7);
        }
        return bytes;
    }

    /// <summary>Every byte position on its own: whether it arrived, and its first copy.</summary>
    private sealed class ByteModel
    {
        private readonly bool[] _arrived = new bool[8_000];
        private readonly byte[] _first = new byte[8_000];
        private int _total = -1;

        public int Received { get; private set; }
        public int Overlap { get; private set; }
        public int Conflict { get; private set; }

        public void Add(int offset, byte[] bytes, bool last)
        {
            for (int i = 0; i < bytes.Length; i++)
            {
                if (_arrived[offset + i])
                {
                    Overlap++;
                    Conflict += _first[offset + i] != bytes[i] ? 1 : 0;
                    continue;
                }
                _arrived[offset + i] = true;
                _first[offset + i] = bytes[i];
                Received++;
            }
            if (last)
            {
                _total = _total < 0 ? offset + bytes.Length : Math.Min(_total, offset + bytes.Length);
            }
        }

        private int End => Array.LastIndexOf(_arrived, true) + 1;

        // Complete: the last fragment came, and what arrived is one run from byte 0 reaching its end.
        public bool IsComplete => _total >= 0 && Received == End && End >= _total;

        public string Missing()
        {
            var gaps = new List<string>();
            for (int at = 0; at < End; at++)
            {
                if (_arrived[at])
                {
                    continue;
                }
                int start = at;
                while (!_arrived[at])
                {
                    at++;
                }
                gaps.Add($"{start}-{at}");
            }
            if (_total < 0)
            {
                gaps.Add($"{End}-?");
            }
            else if (End < _total)
            {
                gaps.Add($"{End}-{_total}");
            }
            return string.Join(' ', gaps);
        }

        public byte[] Kept() => _first[.._total];
    }
}
