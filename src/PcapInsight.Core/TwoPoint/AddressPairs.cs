using System.Runtime.InteropServices;
using PcapInsight.Core.Collections;
using PcapInsight.Core.Decoding;

namespace PcapInsight.Core.TwoPoint;

/// <summary>
/// The (source, destination) address pairs of both captures, each once, numbered in the order first seen: a packet
/// keeps its pair's number (4 bytes, not 48), and the comparison's figures per direction (TTL drops, time
/// differences, the verdict) are arrays indexed by it.
/// </summary>
internal sealed class AddressPairs
{
    private readonly Dictionary<(IpAddr Src, IpAddr Dst), int> _numbers = new(PairComparer.Instance);
    private readonly List<(IpAddr Src, IpAddr Dst)> _pairs = new();
    private int _last = -1;   // consecutive packets mostly share a pair: it is looked up once

    public int Count => _pairs.Count;

    public IpAddr Source(int pair) => _pairs[pair].Src;

    public IpAddr Destination(int pair) => _pairs[pair].Dst;

    /// <summary>The pair's number, given one if new.</summary>
    public int Of(IpAddr src, IpAddr dst)
    {
        if (_last >= 0 && _pairs[_last].Src == src && _pairs[_last].Dst == dst)
        {
            return _last;
        }
        ref int number = ref CollectionsMarshal.GetValueRefOrAddDefault(_numbers, (src, dst), out bool exists);
        if (!exists)
        {
            number = _pairs.Count;
            _pairs.Add((src, dst));
        }
        return _last = number;
    }

    /// <summary>The number of the pair the other way round, or -1 when no packet went that way.</summary>
    public int Reverse(int pair) => _numbers.TryGetValue((_pairs[pair].Dst, _pairs[pair].Src), out int number) ? number : -1;

    /// <summary>Seeded, since the addresses come from the capture (as the flow table's: <see cref="SeededHash"/>).</summary>
    private sealed class PairComparer : IEqualityComparer<(IpAddr Src, IpAddr Dst)>
    {
        public static readonly PairComparer Instance = new();

        public bool Equals((IpAddr Src, IpAddr Dst) x, (IpAddr Src, IpAddr Dst) y) => x.Src == y.Src && x.Dst == y.Dst;

        public int GetHashCode((IpAddr Src, IpAddr Dst) pair) =>
            SeededHash.Of(SeededHash.Mum(pair.Src.Hi ^ SeededHash.Seed2, pair.Src.Lo ^ SeededHash.Seed3),
                SeededHash.Mum(pair.Dst.Hi ^ SeededHash.Seed4, pair.Dst.Lo ^ SeededHash.Seed0));
    }
}
