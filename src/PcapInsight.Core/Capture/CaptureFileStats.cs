namespace PcapInsight.Core.Capture;

/// <summary>One capture interface as a pcapng IDB (or a pcap header) describes it.</summary>
public sealed class CaptureInterface
{
    /// <summary>Link type of the interface's frames.</summary>
    public LinkType LinkType { get; init; }

    /// <summary>Snapshot length; 0 = unlimited.</summary>
    public int Snaplen { get; init; }

    /// <summary>Interface name (pcapng <c>if_name</c>), if given.</summary>
    public string? Name { get; set; }

    /// <summary>Decimal digits of the timestamp resolution: 6 (µs), 9 (ns), or what <c>if_tsresol</c> gives.</summary>
    public int TimestampDigits { get; set; } = 6;

    /// <summary>Frames the interface dropped, from the last pcapng Interface Statistics Block (<c>isb_ifdrop</c>); -1 = unknown.</summary>
    public long InterfaceDrops { get; set; } = -1;

    /// <summary>Frames the OS dropped (<c>isb_osdrop</c>; libpcap's ps_drop for a live capture); -1 = unknown.</summary>
    public long OsDrops { get; set; } = -1;

    /// <summary>
    /// Frames a live capture copied but could not hand to the analysis because its queue was full; -1 = not a live
    /// capture. Like the others, frames the analysis never saw.
    /// </summary>
    public long QueueDrops { get; set; } = -1;

    /// <summary>Every frame lost before the analysis, by whoever dropped it (0 when none is known).</summary>
    public long TotalDrops => Math.Max(0, InterfaceDrops) + Math.Max(0, OsDrops) + Math.Max(0, QueueDrops);
}

/// <summary>What a reader learned about its file: format, interfaces, irregularities, progress.</summary>
public sealed class CaptureFileStats
{
    /// <summary>The file's name as given by the user.</summary>
    public required string Path { get; init; }

    /// <summary>The BPF expression frames had to pass (analyze -f, or live's capture filter); null for none.</summary>
    public string? Filter { get; set; }

    /// <summary>Frames of the file the filter rejected (not analysed; their numbers are skipped).</summary>
    public long FilteredOut { get; set; }

    /// <summary>Format in words, e.g. "pcap (little-endian, microseconds)".</summary>
    public string Format { get; set; } = "";

    /// <summary>Interfaces in the order of the file (for pcapng: every section's IDBs, in order).</summary>
    public List<CaptureInterface> Interfaces { get; } = new();

    /// <summary>Irregularities met so far, in file order.</summary>
    public List<CaptureWarning> Warnings { get; } = new();

    /// <summary>Frames handed out so far.</summary>
    public long Frames { get; set; }

    /// <summary>Sum of the captured lengths handed out.</summary>
    public long CapturedBytes { get; set; }

    /// <summary>True when reading stopped before the end of the file (truncated or damaged).</summary>
    public bool StoppedEarly { get; set; }

    /// <summary>Bytes of the file consumed so far (for a progress bar).</summary>
    public long BytesConsumed { get; set; }

    /// <summary>The file's size in bytes, or -1 when unknown (a pipe).</summary>
    public long FileBytes { get; set; } = -1;

    /// <summary>Highest timestamp precision in decimal digits among the interfaces (6 or 9 in practice).</summary>
    public int TimestampDigits
    {
        get
        {
            // A loop rather than LINQ's Max: that is generic math code of the framework, compiled at run time every run.
            int digits = Interfaces.Count == 0 ? 6 : 0;
            for (int i = 0; i < Interfaces.Count; i++)
            {
                digits = Math.Max(digits, Interfaces[i].TimestampDigits);
            }
            return digits;
        }
    }
}
