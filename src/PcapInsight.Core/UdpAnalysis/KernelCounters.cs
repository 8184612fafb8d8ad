using System.Globalization;
using System.Text.RegularExpressions;

namespace PcapInsight.Core.UdpAnalysis;

/// <summary>
/// A snapshot of the kernel's network counters, read from the text of <c>/proc/net/snmp</c> (with
/// <c>/proc/net/snmp6</c> appended, or not) or of <c>netstat -s</c>. Keys are <c>Group.Name</c>:
/// <c>Udp.RcvbufErrors</c>, <c>Udp6.RcvbufErrors</c>, <c>Ip.ReasmFails</c>, <c>Ip6.ReasmFails</c>...
/// </summary>
public static partial class KernelCounters
{
    /// <summary>The counters the UDP and fragment analyses report, in the order they are listed.</summary>
    public static IReadOnlyList<string> Reported { get; } =
    [
        "Udp.InDatagrams", "Udp.RcvbufErrors", "Udp.InErrors", "Udp.NoPorts", "Udp.SndbufErrors",
        "Udp6.InDatagrams", "Udp6.RcvbufErrors", "Udp6.InErrors", "Udp6.NoPorts", "Udp6.SndbufErrors",
        "Ip.ReasmOKs", "Ip.ReasmFails", "Ip.ReasmTimeout", "Ip6.ReasmOKs", "Ip6.ReasmFails", "Ip6.ReasmTimeout",
    ];

    // netstat -s phrases (net-tools) for the counters above, by section.
    private static readonly Dictionary<string, (string Section, string Phrase)[]> NetstatPhrases = new()
    {
        ["Udp"] = [("InDatagrams", "packets received"), ("NoPorts", "packets to unknown port received"), ("InErrors", "packet receive errors"),
            ("RcvbufErrors", "receive buffer errors"), ("SndbufErrors", "send buffer errors")],
        ["Ip"] = [("ReasmOKs", "reassembled ok"), ("ReasmFails", "packet reassemblies failed"), ("ReasmTimeout", "reassembly timeout")],
    };

    [GeneratedRegex(@"^\s*(\d+)\s+(.+?)\s*$")]
    private static partial Regex NetstatLine();

    /// <summary>Parses a snapshot; throws <see cref="FormatException"/> when the text is neither format.</summary>
    public static Dictionary<string, long> Parse(string text)
    {
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        string[] lines = text.Split('\n', StringSplitOptions.TrimEntries);
        bool snmp = false;
        for (int i = 0; i + 1 < lines.Length; i++)
        {
            // /proc/net/snmp: a header line of names and a line of values, both starting "Group:"
            string[] names = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            string[] numbers = lines[i + 1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (names.Length > 1 && names[0].EndsWith(':') && numbers.Length == names.Length && numbers[0] == names[0]
                && long.TryParse(numbers[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            {
                string group = names[0].TrimEnd(':');
                for (int k = 1; k < names.Length; k++)
                {
                    values[group + "." + names[k]] = long.Parse(numbers[k], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                }
                snmp = true;
                i++;
            }
        }
        foreach (string line in lines)
        {
            // /proc/net/snmp6: "Udp6RcvbufErrors 12"
            string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long v6)
                && (parts[0].StartsWith("Udp6", StringComparison.Ordinal) || parts[0].StartsWith("Ip6", StringComparison.Ordinal)))
            {
                string group = parts[0].StartsWith("Udp6", StringComparison.Ordinal) ? "Udp6" : "Ip6";
                values[group + "." + parts[0][group.Length..]] = v6;
                snmp = true;
            }
        }
        if (snmp)
        {
            return values;
        }
        // netstat -s: "Udp:" then indented "394 receive buffer errors"
        string? section = null;
        foreach (string raw in text.Split('\n'))
        {
            if (raw.Length > 0 && !char.IsWhiteSpace(raw[0]))
            {
                section = raw.Trim().TrimEnd(':') switch { "Udp" => "Udp", "UdpLite" => null, "Ip" => "Ip", _ => null };
                continue;
            }
            if (section is null || NetstatLine().Match(raw) is not { Success: true } m)
            {
                continue;
            }
            foreach ((string name, string phrase) in NetstatPhrases[section])
            {
                if (m.Groups[2].Value == phrase || (section == "Ip" && m.Groups[2].Value.EndsWith(phrase, StringComparison.Ordinal)))
                {
                    values[section + "." + name] = long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                }
            }
        }
        if (values.Count == 0)
        {
            throw new FormatException("neither /proc/net/snmp nor netstat -s output");
        }
        return values;
    }

    /// <summary>The reported counters that changed between two snapshots (after less before).</summary>
    public static List<(string Name, long Delta)> Deltas(IReadOnlyDictionary<string, long> before, IReadOnlyDictionary<string, long> after) =>
        Reported.Where(after.ContainsKey).Select(n => (n, after[n] - before.GetValueOrDefault(n))).Where(d => d.Item2 != 0).ToList();
}
