using System.Globalization;
using System.Runtime.InteropServices;

namespace PcapInsight.Cli;

/// <summary>
/// Lets the collector's heap grow in 2 MiB pages (Linux's transparent huge pages) instead of 4 KiB ones: the memory a
/// capture of a million connections holds is first touched 512 times less often, each touch a page fault the kernel
/// serves. On this project's virtual machine a fault costs 10-16 us: the million-connection benchmark capture took 240,000
/// of them, about 3 s of system time (bench/RESULTS.md, "The heap in huge pages").
/// </summary>
/// <remarks>
/// .NET has no setting for it (its large-page mode wants a pool reserved by the administrator). The runtime reserves
/// its heap's address range without access and commits it piece by piece (64 KiB at a time, with <c>mprotect</c>), and
/// the kernel gives a huge page only to a 2 MiB range whose whole span is committed when first touched: so the
/// collector's own steps never get one. Here the first <see cref="Budget"/> of that reserve after the heap's
/// first region is made readable and writable at once and marked for huge pages (<c>MADV_HUGEPAGE</c>; the machine's
/// setting must be <c>madvise</c> or <c>always</c>); the collector's later commits of it are then no-ops. Nothing is
/// touched, so nothing is resident that the collector did not use. What the collector gives back it maps anew, without
/// access, as before. Left alone where the kernel's overcommit is strict (mode 2: making the range writable would
/// charge it all) and where THP is off. <c>PCAPINSIGHT_HUGE_PAGES=0</c> turns it off. The reports are the same bytes
/// either way (NativeBuildTests compare the native build with it against the JIT build).
/// </remarks>
internal static class HeapHugePages
{
    /// <summary>Most of the reserve opened: far more than a large analysis' heap (about 1 GiB for a million connections).</summary>
    public const long Budget = 8L << 30;

    /// <summary>The least range worth opening: a few huge pages.</summary>
    private const long MinimumRange = 64L << 20;

    private const int ENoMem = 12;
    private const int ProtReadWrite = 3;         // PROT_READ | PROT_WRITE
    private const int MadvHugePage = 14;         // MADV_HUGEPAGE
    private const int MadvDoDump = 17;           // MADV_DODUMP: the runtime sets it on what it commits; the same flag
                                                 // over the whole range keeps it one mapping, so 2 MiB spans stay whole

    /// <summary>
    /// A mapping of /proc/self/smaps: its range, permissions ("rw-p"), whether it maps no file, and whether it is left
    /// out of core dumps (VmFlags "dd": what the runtime reserved and has not committed; a thread stack's guard page
    /// or a malloc arena's reserve has no such flag).
    /// </summary>
    internal readonly record struct Mapping(long Start, long End, string Permissions, bool Anonymous, bool NotDumped = false);

    /// <summary>
    /// Opens the reserve for huge pages where this machine allows it; returns what was done, or why not, for the
    /// timing log. Never throws: the analysis runs the same without it.
    /// </summary>
    public static string Prefer()
    {
        try
        {
            if (!OperatingSystem.IsLinux())
            {
                return "not used (Linux only)";
            }
            if (Environment.GetEnvironmentVariable("PCAPINSIGHT_HUGE_PAGES") == "0")
            {
                return "not used (PCAPINSIGHT_HUGE_PAGES=0)";
            }
            string? refused = Refusal(ReadOrNull("/sys/kernel/mm/transparent_hugepage/enabled"), ReadOrNull("/proc/sys/vm/overcommit_memory"));
            if (refused is not null)
            {
                return $"not used ({refused})";
            }
            (long Start, long Length)? range = null;
            for (int attempt = 0; attempt < 3 && range is null; attempt++)
            {
                range = Plan(ParseSmaps(ReadSmaps(out long heapAddress)), heapAddress, Budget);
            }
            if (range is not { } r)
            {
                return "not used (the heap's reserve was not found after its first region)";
            }
            // Linux's default overcommit (mode 0) refuses one request larger than memory and swap together: a smaller
            // machine gets a smaller range.
            while (mprotect((nint)r.Start, (nuint)r.Length, ProtReadWrite) != 0)
            {
                int error = Marshal.GetLastPInvokeError();
                if (error != ENoMem || r.Length <= MinimumRange)
                {
                    return $"not used (mprotect: error {error})";
                }
                r.Length /= 2;
            }
            _ = madvise((nint)r.Start, (nuint)r.Length, MadvDoDump);
            return madvise((nint)r.Start, (nuint)r.Length, MadvHugePage) == 0
                ? FormattableString.Invariant($"the heap's next {r.Length / (double)(1L << 30):0.##} GiB open to them")
                : $"not used (madvise: error {Marshal.GetLastPInvokeError()})";
        }
        catch (Exception ex)
        {
            // Any failure (a /proc that reads differently, a libc without the calls) leaves the heap as the runtime
            // made it: this is an optimisation, and the analysis must not fail for it.
            return $"not used ({ex.GetType().Name})";
        }
    }

    /// <summary>Why the machine's settings rule it out (null: they allow it).</summary>
    internal static string? Refusal(string? thpEnabled, string? overcommit)
    {
        if (thpEnabled is null)
        {
            return "this kernel has no transparent huge pages";
        }
        if (!thpEnabled.Contains("[always]", StringComparison.Ordinal) && !thpEnabled.Contains("[madvise]", StringComparison.Ordinal))
        {
            return "transparent huge pages are off";
        }
        return overcommit?.Trim() == "2" ? "strict overcommit (vm.overcommit_memory = 2)" : null;
    }

    /// <summary>
    /// The range to open: the largest part of the runtime's reserve not yet committed (no access, left out of dumps)
    /// among the mappings that follow, without a gap, the writable anonymous one holding <paramref name="heapAddress"/>
    /// (a new object: in the heap's first region; the collector takes new regions from the rest of its reserve, in
    /// address order), at most <paramref name="budget"/> bytes of it. Null when the layout is not that one.
    /// The walk stops at anything else (a file, a guard page), so nothing but the collector's reserve is opened.
    /// </summary>
    internal static (long Start, long Length)? Plan(IReadOnlyList<Mapping> maps, long heapAddress, long budget)
    {
        int heap = -1;
        for (int i = 0; i < maps.Count; i++)
        {
            if (heapAddress >= maps[i].Start && heapAddress < maps[i].End)
            {
                heap = i;
                break;
            }
        }
        if (heap < 0 || !maps[heap].Anonymous || maps[heap].Permissions != "rw-p")
        {
            return null;
        }
        Mapping? largest = null;
        for (int j = heap + 1; j < maps.Count; j++)
        {
            Mapping m = maps[j];
            bool reserved = m.Permissions == "---p" && m.NotDumped;
            if (m.Start != maps[j - 1].End || !m.Anonymous || !(reserved || m.Permissions == "rw-p"))
            {
                break;
            }
            if (reserved && m.End - m.Start > (largest is { } l ? l.End - l.Start : 0))
            {
                largest = m;
            }
        }
        if (largest is not { } tail)
        {
            return null;
        }
        long length = Math.Min(tail.End - tail.Start, budget) & ~0xFFFL;
        return length > 0 ? (tail.Start, length) : null;
    }

    /// <summary>
    /// The mappings of /proc/self/smaps: each a line "start-end perms offset dev inode [path]" (addresses in hex), then
    /// lines of figures ("Rss:   4 kB", skipped at their first character), the last "VmFlags: ..." (two-letter flags).
    /// Read as spans, without a string a line: this runs before every analysis.
    /// </summary>
    internal static List<Mapping> ParseSmaps(string text)
    {
        var maps = new List<Mapping>(1024);
        foreach (ReadOnlySpan<char> line in text.AsSpan().EnumerateLines())
        {
            if (line.StartsWith("VmFlags:"))
            {
                if (maps.Count > 0)
                {
                    maps[^1] = maps[^1] with { NotDumped = HasFlag(line[8..], "dd") };
                }
                continue;
            }
            if (line.IsEmpty || !char.IsAsciiHexDigit(line[0]) || MappingOf(line) is not { } mapping)
            {
                continue;   // a figure, not a mapping
            }
            maps.Add(mapping);
        }
        return maps;
    }

    /// <summary>A mapping's line, or null when the line is not one.</summary>
    private static Mapping? MappingOf(ReadOnlySpan<char> line)
    {
        // start-end perms offset dev inode [path]
        Span<Range> fields = stackalloc Range[7];
        int count = line.SplitAny(fields, " ", StringSplitOptions.RemoveEmptyEntries);
        if (count < 5)
        {
            return null;
        }
        ReadOnlySpan<char> range = line[fields[0]];
        int dash = range.IndexOf('-');
        if (dash < 0
            || !long.TryParse(range[..dash], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long start)
            || !long.TryParse(range[(dash + 1)..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long end))
        {
            return null;
        }
        bool anonymous = line[fields[4]].SequenceEqual("0") && count == 5;
        return new Mapping(start, end, line[fields[1]].ToString(), anonymous);
    }

    private static bool HasFlag(ReadOnlySpan<char> flags, string flag)
    {
        foreach (Range r in flags.Split(' '))
        {
            if (flags[r].SequenceEqual(flag))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Huge pages in use by this process, in MiB (AnonHugePages of /proc/self/smaps_rollup); -1 where unknown.</summary>
    public static long InUseMiB()
    {
        string? rollup = OperatingSystem.IsLinux() ? ReadOrNull("/proc/self/smaps_rollup") : null;
        foreach (string line in (rollup ?? "").Split('\n'))
        {
            if (line.StartsWith("AnonHugePages:", StringComparison.Ordinal)
                && long.TryParse(line.AsSpan(14).Trim().TrimEnd("kB").Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long kb))
            {
                return kb >> 10;
            }
        }
        return -1;
    }

    /// <summary>
    /// /proc/self/smaps, read in one call: the kernel lists the mappings of one call under one lock, so the
    /// list is a consistent picture. Read line by line, the reading's own allocations moved the heap's committed end
    /// between two reads, and the walk of <see cref="Plan"/> found a gap where there was none (one run in ten).
    /// <paramref name="heapAddress"/> is a new object's address, taken just before.
    /// </summary>
    private static string ReadSmaps(out long heapAddress)
    {
        // 64 KiB: below the large-object threshold, so no fresh pages to fault in for it; a .NET process' list is
        // about 30 KiB. A longer one is read again into a buffer that holds it.
        for (int size = 64 << 10; ; size *= 4)
        {
            byte[] buffer = GC.AllocateUninitializedArray<byte>(size - 64);
            heapAddress = AddressOfANewObject();
            using var smaps = new FileStream("/proc/self/smaps", FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
            int length = 0, n;
            while (length < buffer.Length && (n = smaps.Read(buffer, length, buffer.Length - length)) > 0)
            {
                length += n;
            }
            if (length < buffer.Length || size >= 16 << 20)
            {
                return System.Text.Encoding.ASCII.GetString(buffer, 0, length);
            }
        }
    }

    private static long AddressOfANewObject()
    {
        var probe = new byte[64];
        GCHandle pinned = GCHandle.Alloc(probe, GCHandleType.Pinned);
        try
        {
            return pinned.AddrOfPinnedObject();
        }
        finally
        {
            pinned.Free();
        }
    }

    private static string? ReadOrNull(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int mprotect(nint address, nuint length, int protection);

    [DllImport("libc", SetLastError = true)]
    private static extern int madvise(nint address, nuint length, int advice);
}
