using Xunit;

namespace PcapInsight.TestKit;

/// <summary>The reason corpus tests give when they skip.</summary>
public static class CorpusSkip
{
    /// <summary>Why a corpus test skips here, or null.</summary>
    public static string? Reason =>
        RepoPaths.Corpus is not null || RepoPaths.IsCi
            ? null
            : "the public capture corpus (../shared/corpus/public beside the checkout, or PCAPINSIGHT_CORPUS) is absent: a user's clone; CI always has it";
}

/// <summary>A fact over the public corpus: skipped with a stated reason where the corpus is absent, never in CI.</summary>
public sealed class CorpusFactAttribute : FactAttribute
{
    /// <summary>Sets Skip when the corpus is absent outside CI.</summary>
    public CorpusFactAttribute() => Skip = CorpusSkip.Reason;
}

/// <summary>A theory over the public corpus: skipped with a stated reason where the corpus is absent, never in CI.</summary>
public sealed class CorpusTheoryAttribute : TheoryAttribute
{
    /// <summary>Sets Skip when the corpus is absent outside CI.</summary>
    public CorpusTheoryAttribute() => Skip = CorpusSkip.Reason;
}
