using System.Text.Json;

namespace PcapInsight.TestKit;

/// <summary>A NAME.truth.json written by sample-captures/generate.py beside its two captures.</summary>
public sealed class SampleTruth
{
    private SampleTruth(string path, JsonElement root)
    {
        Path = path;
        Root = root;
    }

    public string Path { get; }

    public JsonElement Root { get; }

    public string Scenario => Root.GetProperty("scenario").GetString()!;

    public string CapturePath(string side) =>
        System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path)!, Root.GetProperty("captures").GetProperty(side).GetProperty("file").GetString()!);

    public long CapturedPackets(string side) => Root.GetProperty("captures").GetProperty(side).GetProperty("packets").GetInt64();

    /// <summary>
    /// The server's address its client talked to: the overlay's when the scenario put a tunnel between them
    /// (topology.overlay), else the one it had on its link.
    /// </summary>
    public string ServerAddress(int ipVersion = 4)
    {
        JsonElement topology = Root.GetProperty("topology");
        if (topology.TryGetProperty("overlay", out JsonElement overlay) && overlay.ValueKind == JsonValueKind.Object)
        {
            return overlay.GetProperty("server").GetString()!;
        }
        return topology.GetProperty("server")[ipVersion == 4 ? 0 : 1].GetString()!;
    }

    public int ExpectedFlows(string protocol) => Root.GetProperty("expected_flows").GetProperty(protocol).GetInt32();

    public long Counter(string side, string name) =>
        Root.GetProperty("counters").GetProperty(side).TryGetProperty(name, out JsonElement v) ? v.GetInt64() : 0;

    public JsonElement Program(string role) => Root.GetProperty("programs").GetProperty(role);

    public IEnumerable<(string Check, bool Passed)> Checks() =>
        Root.TryGetProperty("checks", out JsonElement checks) ? checks.EnumerateObject().Select(p => (p.Name, p.Value.GetBoolean())) : [];

    public IEnumerable<string> Sides() => Root.GetProperty("captures").EnumerateObject().Select(p => p.Name);

    public static SampleTruth Load(string path)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
        return new SampleTruth(path, doc.RootElement.Clone());
    }

    /// <summary>Every truth file in sample-captures/, as (scenario, side) rows for a theory: client and server for
    /// generated captures, "crafted" for those the test kit writes.</summary>
    public static IEnumerable<object[]> ScenarioSides() =>
        Directory.GetFiles(RepoPaths.SampleCaptures, "*.truth.json").Order(StringComparer.Ordinal)
            .SelectMany(f => Load(f).Sides().Select(side => new object[] { System.IO.Path.GetFileName(f)[..^".truth.json".Length], side }));

    public static SampleTruth ForScenario(string scenario) => Load(RepoPaths.Sample(scenario + ".truth.json"));
}
