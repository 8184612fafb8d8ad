namespace PcapInsight.Core.Flows;

/// <summary>How a flow ended, as flows.csv's <c>close</c> column says it.</summary>
public enum FlowCloseReason : byte
{
    /// <summary><c>open</c>: still active when the capture ended.</summary>
    Open,
    /// <summary><c>fin</c>: both sides sent FIN.</summary>
    Fin,
    /// <summary><c>half_closed</c>: one side sent FIN, the other did not before the capture ended.</summary>
    HalfClosed,
    /// <summary><c>rst</c>: a reset ended it.</summary>
    Reset,
    /// <summary><c>timeout</c>: idle longer than --flow-timeout.</summary>
    Timeout,
    /// <summary><c>evicted</c>: closed early because the flow table was full.</summary>
    Evicted,
    /// <summary><c>reused</c>: a new SYN on the same 5-tuple started another connection.</summary>
    Reused,
}
