namespace PcapInsight.Core.Analysis;

/// <summary>What is left of a frame after <see cref="CaptureAnalyzer.Classify"/> counted and decoded it.</summary>
internal enum FrameStage : byte
{
    /// <summary>Nothing: not IP, an unsupported link type, or headers that could not be decoded.</summary>
    Counted,
    /// <summary>A fragment without ports: it goes to reassembly only.</summary>
    FragmentOnly,
    /// <summary>An IP packet for the flow table (and, if a fragment, for reassembly first).</summary>
    Flow,
}
