using System.Text.Json;
using System.Text.Json.Serialization;

namespace PcapInsight.Cli.Commands;

/// <summary>
/// The JSON that <c>info --json</c>, <c>events --json</c> and <c>interfaces --json</c> print, serialised by code the
/// compiler generates rather than by reflection: the native build (<c>./pcapinsight</c>, ahead-of-time compiled and
/// trimmed) has no reflection-based serialiser. Property names in snake case, in the order declared here.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(InfoJson))]
[JsonSerializable(typeof(IReadOnlyList<EventJson>))]
[JsonSerializable(typeof(IReadOnlyList<InterfaceJson>))]
internal sealed partial class CliJson : JsonSerializerContext
{
    /// <summary>The same types written indented (the catalogue and interface lists, read by people too).</summary>
    public static CliJson Indented { get; } =
        new(new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true });
}

/// <summary>One file of <c>info --json</c> (CONTRACT.md's fields).</summary>
internal sealed record InfoJson(
    string File,
    string Format,
    IReadOnlyList<string> LinkTypes,
    IReadOnlyList<int> Snaplen,
    long Packets,
    long CapturedBytes,
    long WireBytes,
    string? FirstTime,
    string? LastTime,
    double DurationS,
    long Ipv4,
    long Ipv6,
    long Tcp,
    long Udp,
    long Icmp,
    long OtherIp,
    long Fragments,
    long NotIp,
    long Truncated,
    long Malformed,
    long UnsupportedLinkType,
    long Tunneled,
    long OutOfOrder,
    long? Drops,
    IReadOnlyList<string> Warnings);

/// <summary>One event of <c>events --json</c>.</summary>
internal sealed record EventJson(string Name, string Group, string Severity, bool Sampled, string Summary, string Advice);

/// <summary>One interface of <c>interfaces --json</c>.</summary>
internal sealed record InterfaceJson(int Index, string Name, string Description, IReadOnlyList<string> Addresses, bool Up, bool Running, bool Loopback);
