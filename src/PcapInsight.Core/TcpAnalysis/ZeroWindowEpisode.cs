using System.Runtime.CompilerServices;

namespace PcapInsight.Core.TcpAnalysis;

/// <summary>How a zero-window episode ended.</summary>
internal enum ZeroWindowEnd : byte
{
    /// <summary>Still closed.</summary>
    None,
    /// <summary>A pure ACK that only opened the window (a window update).</summary>
    WindowUpdate,
    /// <summary>An ACK that acknowledged more and opened the window.</summary>
    Ack,
    /// <summary>A segment carrying data with an open window.</summary>
    Data,
    /// <summary>A RST ended the connection while the window was closed.</summary>
    Reset,
    /// <summary>The capture ended (or the flow left the table) while the window was closed.</summary>
    StillClosed,
}

/// <summary>
/// One zero-window episode of a direction's window, from its first zero advertisement to its reopening, and then,
/// until the report is written, the first flight the sender sent into the reopened window (what it had waiting).
/// Allocated the first time a direction's window closes (an event, not the steady state) and reused after, so the
/// per-flow state every packet touches stays small.
/// </summary>
internal sealed class ZeroWindowEpisode
{
    public const int KeptProbeGaps = 8;

    public bool Open;            // the window is at zero now
    public bool Reporting;       // reopened; the first flight after it is being measured before the row is written
    public long StartNs;
    public long StartFrame;
    public int StartFile;
    public long EndNs;
    public ZeroWindowEnd End;
    public SeqNum ReopenAck;     // the acknowledgment number that reopened the window
    public long ReopenWindow;    // the window it reopened to, bytes
    public long WaitingBytes;    // new data the sender sent after the reopening, before the next ACK moved
    public int Probes;
    public int ProbeBytes;       // 0 (Linux form) or 1 (Windows/BSD form) of the last probe
    public long LastProbeNs;
    public ProbeGaps Gaps;       // time before each probe (the first from the start of the episode), ns

    [InlineArray(KeptProbeGaps)]
    public struct ProbeGaps
    {
        private long _gap;
    }

    /// <summary>Starts a new episode in this object.</summary>
    public void Begin(long startNs, long startFrame, int startFile)
    {
        Open = true;
        Reporting = false;
        StartNs = startNs;
        StartFrame = startFrame;
        StartFile = startFile;
        EndNs = 0;
        End = ZeroWindowEnd.None;
        ReopenAck = default;
        ReopenWindow = 0;
        WaitingBytes = 0;
        Probes = 0;
        ProbeBytes = 0;
        LastProbeNs = 0;
        Gaps = default;
    }
}
