namespace PcapInsight.Live;

/// <summary>
/// libpcap's <c>struct pcap_pkthdr</c> as this process's C ABI lays it out: a <c>struct timeval</c> (two C longs: 4
/// bytes each on Windows and 32-bit systems, 8 elsewhere), then <c>caplen</c> and <c>len</c>. Read and written directly,
/// because SharpPcap's header objects would allocate per frame.
/// </summary>
internal static class PcapPacketHeader
{
    /// <summary>Bytes of the timeval: the offset of <c>caplen</c>; <c>len</c> follows 4 bytes later.</summary>
    public static readonly int TimevalBytes = OperatingSystem.IsWindows() || IntPtr.Size == 4 ? 8 : 16;

    /// <summary>The whole header's size.</summary>
    public static int Size => TimevalBytes + 8;
}
