using PcapInsight.Core.Collections;
using PcapInsight.Core.Decoding;

namespace PcapInsight.Core.TcpAnalysis;

/// <summary>
/// The hosts that sent a timed pure ACK after every delayed-ACK profile slot was taken
/// (<see cref="NagleOptions.MaxProfiledHosts"/>): counted, so the report can say how many hosts the limit left out.
/// The set is bounded too, at <see cref="Bound"/> hosts; past it the count says "at least" (<see cref="Saturated"/>).
/// </summary>
/// <remarks>
/// Whether a host is profiled is decided in capture order by one policy, so a host refused in one shard is refused in
/// every shard: the union of the shards' sets is one analyzer's set, and the count does not depend on the thread
/// count. With the bound: one analyzer's set saturates exactly when the union reaches the bound, and a shard's set
/// only when the union has (it is a part of it), so "saturated" and the count are the same at any thread count.
/// </remarks>
internal sealed class HostsNotProfiled
{
    private readonly ValueSet<IpAddr> _hosts = new();

    /// <summary>Counts up to <paramref name="bound"/> hosts.</summary>
    public HostsNotProfiled(int bound) => Bound = Math.Max(1, bound);

    /// <summary>The most hosts counted one by one.</summary>
    public int Bound { get; }

    /// <summary>True once <see cref="Bound"/> hosts were counted: there may be more.</summary>
    public bool Saturated => _hosts.Count >= Bound;

    /// <summary>Hosts counted (at most <see cref="Bound"/>).</summary>
    public int Count => _hosts.Count;

    /// <summary>The bound for a profile limit: 16 hosts counted for each profiled (65,536 at the default 4,096), at least 1,024.</summary>
    public static int BoundFor(int maxProfiledHosts) => (int)Math.Clamp(16L * maxProfiledHosts, 1024, 1 << 24);

    /// <summary>Counts <paramref name="host"/> (once) unless the set is full.</summary>
    public void Add(IpAddr host)
    {
        if (_hosts.Count < Bound)
        {
            _hosts.Add(host);
        }
    }

    /// <summary>The union of several analyzers' sets (a sharded run's), bounded as one analyzer's.</summary>
    public static HostsNotProfiled Union(IEnumerable<HostsNotProfiled> parts, int bound)
    {
        var all = new HostsNotProfiled(bound);
        foreach (HostsNotProfiled part in parts)
        {
            for (int i = 0; i < part._hosts.Count; i++)
            {
                all.Add(part._hosts[i]);
            }
        }
        return all;
    }
}
