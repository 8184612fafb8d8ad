namespace PcapInsight.Core.Events;

/// <summary>How much an event matters, in CONTRACT.md's words (<c>info</c>, <c>warning</c>, <c>error</c>).</summary>
public enum Severity : byte
{
    /// <summary>Worth knowing; nothing is wrong by itself.</summary>
    Info = 0,
    /// <summary>Something degraded the traffic or the capture.</summary>
    Warning = 1,
    /// <summary>Data was lost or the result cannot be trusted there.</summary>
    Error = 2,
}
