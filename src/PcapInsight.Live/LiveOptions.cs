namespace PcapInsight.Live;

/// <summary>How to capture from a live interface.</summary>
public sealed record LiveOptions
{
    /// <summary>Interface name (as <c>pcapinsight interfaces</c> lists it) or its 1-based index there.</summary>
    public required string Interface { get; init; }

    /// <summary>BPF expression (tcpdump syntax) compiled by libpcap; null or empty for every frame.</summary>
    public string? Filter { get; init; }

    /// <summary>Bytes kept of each frame.</summary>
    public int Snaplen { get; init; } = 262_144;

    /// <summary>Capture frames not addressed to this host too.</summary>
    public bool Promiscuous { get; init; } = true;

    /// <summary>libpcap's kernel buffer, MiB (tcpdump -B).</summary>
    public int BufferMb { get; init; } = 32;

    /// <summary>Frames the hand-over queue to the analysis holds at most.</summary>
    public int QueueFrames { get; init; } = 65_536;

    /// <summary>Captured bytes the hand-over queue holds at most, MiB.</summary>
    public int QueueMb { get; init; } = 128;

    /// <summary>Checks the limits; throws <see cref="ArgumentOutOfRangeException"/> naming the option.</summary>
    public void Validate()
    {
        if (Snaplen is < 64 or > 262_144)
        {
            throw new ArgumentOutOfRangeException(nameof(Snaplen), Snaplen, "must be 64 to 262144");
        }
        if (BufferMb is < 1 or > 4096)
        {
            throw new ArgumentOutOfRangeException(nameof(BufferMb), BufferMb, "must be 1 to 4096");
        }
        if (QueueFrames is < 1 or > 10_000_000)
        {
            throw new ArgumentOutOfRangeException(nameof(QueueFrames), QueueFrames, "must be 1 to 10000000");
        }
        if (QueueMb is < 1 or > 16_384)
        {
            throw new ArgumentOutOfRangeException(nameof(QueueMb), QueueMb, "must be 1 to 16384");
        }
    }
}
