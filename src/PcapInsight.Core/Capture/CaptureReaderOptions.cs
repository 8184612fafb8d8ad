namespace PcapInsight.Core.Capture;

/// <summary>Limits the readers apply to untrusted files. Each has a default that suits real captures.</summary>
public sealed record CaptureReaderOptions
{
    /// <summary>
    /// Largest captured length accepted for one frame. A record claiming more is treated as damage and reading
    /// stops there, as libpcap and Wireshark do (both use 262144 for ordinary link types). Default 262144; at
    /// least 65536 (one IP datagram), at most 256 MiB.
    /// </summary>
    public int MaxFrameBytes { get; init; } = 262_144;

    /// <summary>
    /// Largest pcapng block accepted. Blocks we skip (comments, name resolution, custom) may be larger than one
    /// frame, but a block claiming more than this is treated as damage. Default 16 MiB.
    /// </summary>
    public int MaxBlockBytes { get; init; } = 16 << 20;

    /// <summary>Largest number of pcapng interfaces accepted in one file before it is treated as hostile. Default 65536.</summary>
    public int MaxInterfaces { get; init; } = 65_536;

    /// <summary>
    /// Read ahead on a second thread: null (the default) decides by file size (at least 32 MiB) and core count;
    /// tests force it either way.
    /// </summary>
    internal bool? ReadAhead { get; init; }

    /// <summary>The defaults.</summary>
    public static CaptureReaderOptions Default { get; } = new();

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> when a limit is outside its documented range.</summary>
    public void Validate()
    {
        if (MaxFrameBytes < 65_536 || MaxFrameBytes > 256 << 20)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxFrameBytes), MaxFrameBytes, "must be between 65536 and 268435456");
        }
        if (MaxBlockBytes < 65_536 || MaxBlockBytes > 1 << 30)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBlockBytes), MaxBlockBytes, "must be between 65536 and 1073741824");
        }
        if (MaxInterfaces < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxInterfaces), MaxInterfaces, "must be at least 1");
        }
    }
}
