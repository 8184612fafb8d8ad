namespace PcapInsight.Live;

/// <summary>Why a live capture could not start.</summary>
public enum LiveFailure
{
    /// <summary>libpcap is not installed.</summary>
    NoLibpcap,
    /// <summary>Not root and no CAP_NET_RAW.</summary>
    NoPermission,
    /// <summary>No interface of that name or index.</summary>
    NoSuchInterface,
    /// <summary>The interface is down.</summary>
    InterfaceDown,
    /// <summary>The BPF expression does not compile (a usage error).</summary>
    BadFilter,
    /// <summary>Anything else libpcap refused.</summary>
    Other,
}

/// <summary>A live capture that could not start, with a message that says what to do.</summary>
public sealed class LiveCaptureException(LiveFailure failure, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>What went wrong.</summary>
    public LiveFailure Failure { get; } = failure;
}
