namespace PcapInsight.TestKit;

/// <summary>One file of the public corpus with tshark's and capinfos' figures (MANIFEST.tsv joined with FACTS.tsv).</summary>
public sealed class CorpusEntry
{
    private readonly IReadOnlyDictionary<string, string> _manifest;
    private readonly IReadOnlyDictionary<string, string> _facts;

    internal CorpusEntry(IReadOnlyDictionary<string, string> manifest, IReadOnlyDictionary<string, string> facts)
    {
        _manifest = manifest;
        _facts = facts;
    }

    /// <summary>File name inside the corpus folder.</summary>
    public string File => _manifest["file"];

    /// <summary>Full path.</summary>
    public string Path => System.IO.Path.Combine(RepoPaths.Corpus!, File);

    /// <summary>A MANIFEST.tsv column.</summary>
    public string Manifest(string column) => _manifest[column];

    /// <summary>A FACTS.tsv column, or null where FACTS has no such value.</summary>
    public string? Fact(string column) => _facts.TryGetValue(column, out string? v) && v != "None" ? v : null;

    /// <summary>A FACTS.tsv column as a number, or null.</summary>
    public long? FactNumber(string column) => long.TryParse(Fact(column), out long n) ? n : null;

    /// <summary>Analyses the file, or returns null when it is refused as not a capture (the packet-count test holds why).</summary>
    public Core.Analysis.AnalysisResult? AnalyzeOrNull()
    {
        try
        {
            return Captures.Analyze(Path);
        }
        catch (Core.Capture.CaptureFormatException)
        {
            return null;
        }
    }

    /// <summary>The category: the first word of the manifest's note.</summary>
    public string Category => _facts.TryGetValue("category", out string? c) ? c : "";

    /// <inheritdoc />
    public override string ToString() => File;
}

/// <summary>Reads the corpus manifest once.</summary>
public static class CorpusManifest
{
    private static readonly Lazy<IReadOnlyList<CorpusEntry>> Entries = new(Load);

    /// <summary>Every corpus file; empty where the corpus is absent.</summary>
    public static IReadOnlyList<CorpusEntry> All => Entries.Value;

    /// <summary>The entry for <paramref name="file"/>.</summary>
    public static CorpusEntry Get(string file) => All.First(e => e.File == file);

    /// <summary>xunit member data: one row per corpus file name (a single skipped row where the corpus is absent).</summary>
    public static IEnumerable<object[]> FileNames() =>
        All.Count == 0 ? [["(corpus absent)"]] : All.Select(e => new object[] { e.File });

    private static IReadOnlyList<CorpusEntry> Load()
    {
        if (RepoPaths.Corpus is null)
        {
            return [];
        }
        List<Dictionary<string, string>> manifest = ReadTsv(System.IO.Path.Combine(RepoPaths.Corpus, "MANIFEST.tsv"));
        Dictionary<string, Dictionary<string, string>> facts = ReadTsv(System.IO.Path.Combine(RepoPaths.Corpus, "FACTS.tsv"))
            .ToDictionary(r => r["file"]);
        return manifest.Select(m => new CorpusEntry(m, facts.TryGetValue(m["file"], out var f) ? f : new())).ToList();
    }

    private static List<Dictionary<string, string>> ReadTsv(string path)
    {
        string[] lines = System.IO.File.ReadAllLines(path);
        string[] header = lines[0].Split('\t');
        var rows = new List<Dictionary<string, string>>();
        foreach (string line in lines.Skip(1))
        {
            if (line.Length == 0)
            {
                continue;
            }
            string[] cells = line.Split('\t');
            var row = new Dictionary<string, string>(StringComparer.Ordinal);
            for (int i = 0; i < header.Length; i++)
            {
                row[header[i]] = i < cells.Length ? cells[i] : "";
            }
            rows.Add(row);
        }
        return rows;
    }
}
