using Xunit;

namespace PcapInsight.TestKit;

/// <summary>Where the repository, its sample captures and the shared public corpus are.</summary>
public static class RepoPaths
{
    /// <summary>The folder that holds PcapInsight.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>sample-captures/ in the repository.</summary>
    public static string SampleCaptures => Path.Combine(Root, "sample-captures");

    /// <summary>
    /// ../shared/corpus/public beside the checkout (or PCAPINSIGHT_CORPUS), or null where it is absent, as in a
    /// user's clone.
    /// </summary>
    public static string? Corpus { get; } = FindCorpus();

    /// <summary>True under CI (CI=true), where the corpus must be present: its absence fails instead of skipping.</summary>
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>A sample capture by file name.</summary>
    public static string Sample(string name) => Path.Combine(SampleCaptures, name);

    /// <summary>Every sample capture (sample-captures/*.pcap), full paths in ordinal order: the set the tests over all samples share.</summary>
    public static string[] SampleFiles() => Directory.GetFiles(SampleCaptures, "*.pcap").Order(StringComparer.Ordinal).ToArray();

    /// <summary>The sample captures' file names, in the same order, as theory data: one case each, named by its file.</summary>
    public static TheoryData<string> SampleNames() => new(SampleFiles().Select(f => Path.GetFileName(f)));

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PcapInsight.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("PcapInsight.sln not found above " + AppContext.BaseDirectory);
    }

    private static string? FindCorpus()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable("PCAPINSIGHT_CORPUS");
        string candidate = !string.IsNullOrEmpty(fromEnvironment)
            ? fromEnvironment
            : Path.GetFullPath(Path.Combine(Root, "..", "shared", "corpus", "public"));
        return File.Exists(Path.Combine(candidate, "MANIFEST.tsv")) ? candidate : null;
    }
}
