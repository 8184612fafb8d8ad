using System.Globalization;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Collections;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Events;
using PcapInsight.Core.Fragments;

namespace PcapInsight.Reporting;

/// <summary>
/// Turns fragmented datagrams into per-sender findings: how many of its datagrams were split, how large they were
/// against the MTU their fragments imply, how many never completed, and what to change at the socket layer.
/// </summary>
public static class FragmentFindings
{
    /// <summary>Most senders named one finding each; the rest of a kind's senders are one finding together.</summary>
    public const int SendersNamed = 5;

    /// <summary>
    /// One finding per sending host and protocol, most incomplete datagrams first, for at most
    /// <see cref="SendersNamed"/> senders; past that many, the other senders together in one more, and a sender of a
    /// single datagram is one of those others. A capture has a sender or two that fragment, each a story of its own (an
    /// MTU, a protocol, an advice), where a spray from thousands of forged sources, a datagram each, made thousands of
    /// findings that said the same and left no room for any other kind.
    /// </summary>
    public static IEnumerable<Finding> For(AnalysisResult result, EventKind kind)
    {
        EventInfo info = EventCatalog.Get(kind);
        List<Sender> senders = Senders(result, kind);
        int named = 0;
        while (named < senders.Count && (senders.Count <= SendersNamed || named < SendersNamed && senders[named].Count > 1))
        {
            yield return OfSender(info, kind, senders[named]);
            named++;
        }
        if (named < senders.Count)
        {
            yield return OfTheOthers(info, kind, senders, named);
        }
    }

    private static Finding OfSender(EventInfo info, EventKind kind, Sender sender)
    {
        string src = sender.Src;
        byte protocol = sender.Protocol, version = sender.IpVersion;
        int count = sender.Count, incomplete = sender.Incomplete, largest = sender.Largest, mtu = sender.LargestFragment;
        double fragments = sender.Fragments;   // a sum of integers: exact, whatever the order
        string what = protocol switch { 17 => "UDP datagrams", 6 => "TCP segments", 1 or 58 => "ICMP messages", _ => $"protocol {protocol} datagrams" };
        string text = $"{src} sent {count} {what} that were fragmented (up to {largest} bytes of IP payload each; its largest fragments, "
            + $"{mtu} bytes, show the MTU where they were split{(version == 6 ? " to within the 8-byte fragment alignment" : "")}).";
        if (incomplete > 0)
        {
            double share = 100.0 * incomplete / count;
            text += $" {incomplete} ({share.ToString("0.#", CultureInfo.InvariantCulture)} %) never completed (evidence: fragments, certain): one lost fragment loses the whole datagram, "
                + $"so each loss threw away the other fragments too ({(fragments / count).ToString("0.#", CultureInfo.InvariantCulture)} fragments per datagram here).";
        }
        string advice = protocol == 6
            ? "TCP should never be fragmented: clamp the MSS at the router of the smaller link (iptables TCPMSS --clamp-mss-to-pmtu), let ICMP fragmentation-needed / packet-too-big through so path MTU discovery works, or lower the sender's interface MTU."
            : $"Keep each datagram within the path MTU less the headers: at most {Math.Max(0, mtu - (version == 6 ? 48 : 28))} bytes of UDP payload on this path (the IP and UDP headers taken off the largest fragment's size), "
              + "by splitting messages in the application or lowering the size the protocol negotiates (e.g. EDNS0 buffer size for DNS). "
              + "A larger SO_RCVBUF does not recover a datagram that lost a fragment; it only helps when whole datagrams arrive faster than the application reads. "
              + "IP_MTU_DISCOVER / IPV6_DONTFRAG make the socket refuse to fragment, so oversized sends fail visibly (EMSGSIZE) instead.";
        return new Finding(info, kind == EventKind.IpFragIncomplete ? incomplete : count, 0, text, advice);
    }

    /// <summary>The senders past the first <paramref name="named"/>, together: how many, their datagrams, and the one of most.</summary>
    private static Finding OfTheOthers(EventInfo info, EventKind kind, List<Sender> senders, int named)
    {
        int others = senders.Count - named;
        long count = 0, incomplete = 0;
        for (int i = named; i < senders.Count; i++)
        {
            count += senders[i].Count;
            incomplete += senders[i].Incomplete;
        }
        Sender first = senders[named];   // the senders are in the findings' order: the first of the rest leads it
        double each = (double)count / others;
        // Worded for either place in the list: the findings are ordered by count, and the rest together may count more.
        string besides = named switch
        {
            0 => $"{others} senders",
            1 => $"Besides the sender with a finding of its own, {others} more",
            _ => $"Besides the {named} senders with findings of their own, {others} more",
        };
        string most = first.Count > 1 ? $"; the most from {first.Src} ({first.Count}{(first.Incomplete > 0 ? $", {first.Incomplete} of them incomplete" : "")})" : "";
        string text = $"{besides} sent {count} datagrams that were fragmented ({each.ToString("0.#", CultureInfo.InvariantCulture)} each on average{most})";
        text += incomplete > 0
            ? $"; {incomplete} ({(100.0 * incomplete / count).ToString("0.#", CultureInfo.InvariantCulture)} %) never completed (evidence: fragments, certain)."
            : ".";
        // A datagram or two a sender from hundreds of senders is not a path MTU problem of each: a spray.
        bool spray = others >= 100 && each <= 2;
        if (spray)
        {
            text += " Hundreds of senders with a datagram or two each is a fragment spray (the addresses are often forged), not a path MTU problem of each.";
        }
        string advice = spray
            ? "Treat it as an attack on the receivers' reassembly: drop such fragments at the edge (see ip.frag_tiny and ip.frag_overlap for what they carried)."
            : "Keep each datagram within the path MTU less the headers (a sender's largest fragment shows the MTU where its datagrams were split), and let ICMP fragmentation-needed / packet-too-big through so path MTU discovery works.";
        return new Finding(info, kind == EventKind.IpFragIncomplete ? incomplete : count, 0, text, advice);
    }

    /// <summary>
    /// Who sent the datagrams with tiny fragments and to whom, for the <see cref="EventKind.IpFragTiny"/> finding: how
    /// many senders and destinations, and the three of each with the most such datagrams. One sentence for the whole
    /// capture, not a finding a sender: a spray from thousands of forged sources is one story, and its target is the
    /// destination. Null when no datagram record kept has a tiny fragment.
    /// </summary>
    /// <param name="result">The analysis.</param>
    /// <param name="counted">Datagrams with tiny fragments the analysis counted (the event's count): more than the records
    /// show when <c>--max-events</c> cut fragments.csv.</param>
    public static string? TinySenders(AnalysisResult result, long counted)
    {
        TinyHosts hosts = TinyTallied.Of(result);
        if (hosts.Datagrams == 0)
        {
            return null;
        }
        // Past --max-events the records are the first ones only: the sentence says it counts those.
        string which = hosts.Datagrams < counted ? $"Of the {result.Datagrams.Count} datagrams --max-events kept for fragments.csv, {hosts.Datagrams}" : $"{hosts.Datagrams} datagrams";
        return $"{which} carried {hosts.TinyFragments} tiny fragments, from {Hosts(hosts.Senders.Count, "sender")} to "
            + $"{Hosts(hosts.Destinations.Count, "destination")}. Most from {Top(hosts.Senders)}; most to {Top(hosts.Destinations)}.";
    }

    // Each report (summary.json, report.html, the console) asks: the 353,000 datagrams of a fragment flood are read once.
    private static readonly PerResult<TinyHosts> TinyTallied = new(r => r.Datagrams.Count, TallyTiny);

    /// <summary>The datagrams with tiny fragments, their tiny fragments, and their hosts, most datagrams first (the first seen first among equals).</summary>
    private sealed record TinyHosts(int Datagrams, long TinyFragments, List<Tally> Senders, List<Tally> Destinations);

    private static TinyHosts TallyTiny(AnalysisResult result)
    {
        var from = new ValueMap<IpAddr, Tally>();
        var to = new ValueMap<IpAddr, Tally>();
        var senders = new List<Tally>();
        var destinations = new List<Tally>();
        int datagrams = 0;
        long tiny = 0;
        foreach (DatagramRecord d in result.Datagrams)
        {
            if (d.TinyFragments == 0)
            {
                continue;
            }
            datagrams++;
            tiny += d.TinyFragments;
            Count(from, senders, d.Src);
            Count(to, destinations, d.Dst);
        }
        ReportOrder.StableSort(senders, MostDatagramsFirst);
        ReportOrder.StableSort(destinations, MostDatagramsFirst);
        return new TinyHosts(datagrams, tiny, senders, destinations);
    }

    private static int MostDatagramsFirst(Tally a, Tally b) => b.Datagrams.CompareTo(a.Datagrams);

    // How many datagrams with tiny fragments a host sent or received; hosts in the order they first appear.
    private sealed class Tally(IpAddr host)
    {
        public readonly IpAddr Host = host;
        public int Datagrams;
    }

    private static void Count(ValueMap<IpAddr, Tally> byHost, List<Tally> hosts, IpAddr host)
    {
        if (!byHost.TryGetValue(host, out Tally? tally))
        {
            tally = new Tally(host);
            byHost.TryAdd(host, tally);
            hosts.Add(tally);
        }
        tally.Datagrams++;
    }

    private static string Hosts(int count, string what) => count == 1 ? $"1 {what}" : $"{count} {what}s";

    /// <summary>The first three of <paramref name="hosts"/> (most datagrams first), and how many more there are.</summary>
    private static string Top(List<Tally> hosts)
    {
        string top = string.Join(", ", hosts.Take(3).Select(h => $"{h.Host} ({h.Datagrams})"));
        return hosts.Count > 3 ? $"{top} and {hosts.Count - 3} more" : top;
    }

    private readonly record struct SenderKey(IpAddr Src, byte Protocol, byte IpVersion);

    // A sending host's fragmented datagrams of one protocol and IP version: what the findings say of them, gathered as
    // they are grouped (a list of each sender's datagrams, 353,000 on a capture of fragment floods, was read only for these).
    private sealed record Sender(SenderKey Key, string Src)
    {
        public byte Protocol => Key.Protocol;

        public byte IpVersion => Key.IpVersion;

        public int Count { get; private set; }

        public int Incomplete { get; private set; }

        public int Largest { get; private set; }          // the most bytes of IP payload in one datagram

        public int LargestFragment { get; private set; }  // the largest fragment: the MTU where they were split

        public long Fragments { get; private set; }

        public void Add(DatagramRecord d)
        {
            Count++;
            Incomplete += d.Status == FragmentStatus.Incomplete ? 1 : 0;
            Largest = Math.Max(Largest, d.Bytes);
            LargestFragment = Math.Max(LargestFragment, d.LargestFragment);
            Fragments += d.Fragments;
        }
    }

    /// <summary>
    /// The senders in the order they first appear, most incomplete datagrams first, then most datagrams (stable); for
    /// <see cref="EventKind.IpFragIncomplete"/> only those with incomplete ones.
    /// </summary>
    private static List<Sender> Senders(AnalysisResult result, EventKind kind)
    {
        // The grouping is the same for both kinds and for every report of the result: made once (grouped again if the
        // datagrams grew), each caller filtering and ordering its own copy.
        var senders = new List<Sender>(Grouped.Of(result));

        if (kind == EventKind.IpFragIncomplete)
        {
            senders.RemoveAll(g => g.Incomplete == 0);
        }
        ReportOrder.StableSort(senders, static (a, b) => a.Incomplete != b.Incomplete ? b.Incomplete.CompareTo(a.Incomplete) : b.Count.CompareTo(a.Count));
        return senders;
    }

    private static readonly PerResult<List<Sender>> Grouped = new(r => r.Datagrams.Count, Group);

    /// <summary>
    /// The result's datagrams grouped by sender, protocol and IP version, senders in the order they first appear.
    /// Keyed by the address as a value, not a text: the datagrams of several senders interleave, and a key text made
    /// at each change of sender was most of the report's end on 350,000 fragmented datagrams. (A map of our own, not
    /// LINQ's GroupBy over a tuple, which is framework code compiled at run time: ReportOrder says why.)
    /// </summary>
    private static List<Sender> Group(AnalysisResult result)
    {
        var byKey = new ValueMap<SenderKey, Sender>();
        var senders = new List<Sender>();
        Sender? last = null;
        foreach (DatagramRecord d in result.Datagrams)
        {
            if (d.CarriedTunnel)
            {
                continue;   // a tunnel's datagram: ip.tunnel_fragmented explains it, with the tunnel's advice
            }
            var key = new SenderKey(d.Src, d.Protocol, d.IpVersion);
            Sender? sender = last is not null && last.Key == key ? last : null;
            if (sender is null)
            {
                if (!byKey.TryGetValue(key, out sender))
                {
                    sender = new Sender(key, d.Src.ToString());
                    byKey.TryAdd(key, sender);
                    senders.Add(sender);
                }
                last = sender;
            }
            sender.Add(d);
        }
        return senders;
    }
}
