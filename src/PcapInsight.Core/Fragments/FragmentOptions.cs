namespace PcapInsight.Core.Fragments;

/// <summary>The limits of IP reassembly, each with a default.</summary>
public sealed record FragmentOptions
{
    /// <summary>IPv4 datagrams still incomplete this long after their first fragment are given up. Default 30 s, Linux's ipfrag_time.</summary>
    public TimeSpan Ipv4Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>IPv6 datagrams still incomplete this long after their first fragment are given up. Default 60 s (RFC 8200, Linux).</summary>
    public TimeSpan Ipv6Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Datagrams being reassembled at once; past it the oldest is given up. Default 65,536.</summary>
    public int MaxDatagrams { get; init; } = 65_536;

    /// <summary>
    /// Bytes held for datagrams being reassembled; past it the oldest are given up, and so is a datagram that holds more
    /// than this and 1 MiB by itself (copies of its fragments sent over and over). Default 64 MiB (Linux allows 4 MiB
    /// per namespace).
    /// </summary>
    public long MaxBytes { get; init; } = 64L << 20;

    /// <summary>
    /// A fragment other than the last carrying fewer payload bytes than this is reported as tiny. Default 256: every
    /// IPv4 link carries 576-byte datagrams (RFC 791) and every IPv6 link 1280 (RFC 8200), so an honest sender never
    /// needs fragments this small; attacks split transport headers across them (RFC 1858).
    /// </summary>
    public int TinyBytes { get; init; } = 256;

    /// <summary>
    /// Which copy of overlapping bytes the analysis keeps (the others are compared and reported). Default
    /// <see cref="FragmentPolicy.First"/>.
    /// </summary>
    public FragmentPolicy Policy { get; init; } = FragmentPolicy.First;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> when a limit is out of range.</summary>
    public void Validate()
    {
        if (Ipv4Timeout <= TimeSpan.Zero || Ipv6Timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(Ipv4Timeout), "fragment timeouts must be positive");
        }
        if (MaxDatagrams < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDatagrams), MaxDatagrams, "must be at least 1");
        }
        if (MaxBytes < 65_535)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBytes), MaxBytes, "must be at least 65535");
        }
        if (!Enum.IsDefined(Policy))
        {
            throw new ArgumentOutOfRangeException(nameof(Policy), "must be first, last, bsd, linux, windows or solaris");
        }
        if (TinyBytes < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(TinyBytes), TinyBytes, "must not be negative");
        }
    }
}
