using System.Text.RegularExpressions;
using PcapInsight.TestKit;
using Xunit;
using static PcapInsight.Cli.HeapHugePages;

namespace PcapInsight.Cli.Tests;

/// <summary>
/// The collector's heap in 2 MiB pages (<see cref="HeapHugePages"/>): which part of the process' mappings is opened
/// (only the runtime's own reserve, never a guard page or a file), when the machine's settings rule it out, and a
/// real run of many connections that holds its heap in huge pages and writes the same report as without them.
/// </summary>
public class HeapHugePagesTests
{
    private const long MiB = 1L << 20, GiB = 1L << 30;

    // The layout .NET's collector gives a process (/proc/self/smaps, figures left out): the heap's first region, its
    // rest and the next regions reserved, then the bulk of the reserve; a thread stack's guard page and stack after it.
    private const string Smaps = """
        55d0a0000000-55d0a0021000 rw-p 00000000 00:00 0                          [heap]
        VmFlags: rd wr mr mw me ac sd
        7f0000000000-7f0000021000 rw-p 00000000 00:00 0
        Rss:                 132 kB
        VmFlags: rd wr mr mw me ac sd
        7f0000021000-7f0000400000 ---p 00000000 00:00 0
        Rss:                   0 kB
        VmFlags: mr mw me dd sd
        7f0000400000-7f0000401000 rw-p 00000000 00:00 0
        VmFlags: rd wr mr mw me ac sd
        7f0000401000-7f4000000000 ---p 00000000 00:00 0
        VmFlags: mr mw me dd sd
        7f4000000000-7f4000001000 ---p 00000000 00:00 0
        VmFlags: mr mw me nh sd
        7f4000001000-7f4000801000 rw-p 00000000 00:00 0
        VmFlags: rd wr mr mw me ac sd nh
        7f4000801000-7f4000900000 r-xp 00001000 08:01 1234                       /usr/lib/x86_64-linux-gnu/libc.so.6
        VmFlags: rd ex mr mw me sd
        """;

    [Fact]
    public void ParseSmaps_ReadsRangesPermissionsFilesAndTheDumpFlag()
    {
        List<Mapping> maps = ParseSmaps(Smaps);

        Assert.Equal(8, maps.Count);
        Assert.Equal(new Mapping(0x7f0000021000, 0x7f0000400000, "---p", Anonymous: true, NotDumped: true), maps[2]);
        Assert.False(maps[0].Anonymous);   // [heap] is named
        Assert.False(maps[5].NotDumped);   // the guard page
        Assert.False(maps[7].Anonymous);   // a file
        Assert.True(maps[4].NotDumped);
    }

    public static TheoryData<string, long, long, long?, long?> Plans() => new()
    {
        // what, the new object's address, budget: the range opened (start, length), or none
        { "the bulk of the reserve, up to the budget", 0x7f0000010000, 8 * GiB, 0x7f0000401000, 8 * GiB },
        { "all of a reserve smaller than the budget", 0x7f0000010000, 1L << 40, 0x7f0000401000, 0x7f4000000000 - 0x7f0000401000 },
        { "the largest part, whichever region holds the object", 0x7f0000400100, 64 * MiB, 0x7f0000401000, 64 * MiB },
        { "a budget that is not whole pages is cut to them", 0x7f0000010000, 64 * MiB + 100, 0x7f0000401000, 64 * MiB },
        { "an object outside every mapping", 0x100, 8 * GiB, null, null },
        { "an object in a named mapping", 0x55d0a0000100, 8 * GiB, null, null },
        { "an object in the stack after the guard page", 0x7f4000001100, 8 * GiB, null, null },
        { "an object in a file", 0x7f4000801100, 8 * GiB, null, null },
    };

    [Theory]
    [MemberData(nameof(Plans))]
    public void Plan_OpensOnlyTheCollectorsReserve(string what, long heapAddress, long budget, long? start, long? length)
    {
        (long Start, long Length)? plan = Plan(ParseSmaps(Smaps), heapAddress, budget);

        (long, long)? expected = start is null ? null : (start.Value, length!.Value);
        Assert.True(plan == expected, $"{what}: {plan}");
    }

    [Fact]
    public void Plan_StopsAtAGapOrAGuardPage_NeverOpeningWhatLiesBeyond()
    {
        var region = new Mapping(0x1000_0000, 0x1002_1000, "rw-p", true);
        var rest = new Mapping(0x1002_1000, 0x1040_0000, "---p", true, NotDumped: true);
        var guard = new Mapping(0x1040_0000, 0x1040_1000, "---p", true);
        var afterGuard = new Mapping(0x1040_1000, 0x9000_0000, "---p", true, NotDumped: true);
        var afterGap = new Mapping(0x1040_2000, 0x9000_0000, "---p", true, NotDumped: true);

        Assert.Equal((rest.Start, rest.End - rest.Start), Plan([region, rest, guard, afterGuard], 0x1000_0100, 8 * GiB));
        Assert.Equal((rest.Start, rest.End - rest.Start), Plan([region, rest, afterGap], 0x1000_0100, 8 * GiB));
        // A reserve without the dump flag is not the runtime's: nothing to open.
        Assert.Null(Plan([region, rest with { NotDumped = false }], 0x1000_0100, 8 * GiB));
        // The object must be in memory the collector committed (writable, anonymous).
        Assert.Null(Plan([region with { Permissions = "r--p" }, rest], 0x1000_0100, 8 * GiB));
    }

    public static TheoryData<string?, string?, string?> Settings() => new()
    {
        { "always [madvise] never\n", "0\n", null },
        { "[always] madvise never\n", "1\n", null },
        { "always madvise [never]\n", "0\n", "transparent huge pages are off" },
        { null, "0\n", "this kernel has no transparent huge pages" },
        { "always [madvise] never\n", "2\n", "strict overcommit (vm.overcommit_memory = 2)" },
        { "always [madvise] never\n", null, null },
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public void Refusal_FollowsTheMachinesSettings(string? thp, string? overcommit, string? expected) =>
        Assert.Equal(expected, Refusal(thp, overcommit));

    /// <summary>
    /// 50,000 short connections, all still in the table for the close linger at the capture's end (about 50 MB of heap,
    /// past the collector's first regions: 20,000 stayed in them): with huge pages the heap holds some (about 25 MiB),
    /// without (PCAPINSIGHT_HUGE_PAGES=0) none where the machine's setting is madvise, and the tables are the same bytes. Where this machine rules huge pages out, the log says why.
    /// </summary>
    [Fact]
    public void ManyConnections_HeapInHugePages_SameReport()
    {
        using TempDir dir = CliRunner.TempDir();
        string capture = dir.File("short.pcap");
        ShortConnections.Write(capture, 50_000);
        string? thp = File.Exists("/sys/kernel/mm/transparent_hugepage/enabled") ? File.ReadAllText("/sys/kernel/mm/transparent_hugepage/enabled") : null;
        string? refused = OperatingSystem.IsLinux()
            ? Refusal(thp, File.Exists("/proc/sys/vm/overcommit_memory") ? File.ReadAllText("/proc/sys/vm/overcommit_memory") : null)
            : "Linux only";

        (string onLog, long onMiB) = Run(capture, dir.File("on"), hugePages: true);
        (string offLog, long offMiB) = Run(capture, dir.File("off"), hugePages: false);

        Assert.Contains("not used (PCAPINSIGHT_HUGE_PAGES=0)", offLog);
        if (refused is null)
        {
            Assert.Matches(@"^the heap's next [0-9.]+ GiB open to them$", onLog);
            Assert.True(onMiB > 0, $"no huge pages in use at any mark: {onMiB} MiB");
            if (thp!.Contains("[madvise]", StringComparison.Ordinal))
            {
                Assert.Equal(0, offMiB);
            }
        }
        else
        {
            Assert.Equal($"not used ({refused})", onLog);
        }
        foreach (string table in new[] { "flows.csv", "events.csv", "summary.json" })
        {
            Assert.Equal(Stamp(File.ReadAllText(Path.Combine(dir.File("off"), table))), Stamp(File.ReadAllText(Path.Combine(dir.File("on"), table))));
        }
    }

    /// <summary>Analyses with the timing log on; returns what the huge-pages mark said and the most MiB in huge pages at a mark.</summary>
    private static (string Said, long MostMiB) Run(string capture, string report, bool hugePages)
    {
        CliRun run = CliRunner.Run(["analyze", capture, "-o", report, "-q", "--no-progress", "--format", "csv,json"],
            environment: new Dictionary<string, string> { ["PCAPINSIGHT_TIMING"] = "1", ["PCAPINSIGHT_HUGE_PAGES"] = hugePages ? "" : "0" });
        Assert.True(run.ExitCode == 0, run.Stderr);
        string said = Regex.Match(run.Stderr, @"^timing: huge pages: (.+) at \d+ ms \(", RegexOptions.Multiline).Groups[1].Value;
        MatchCollection inUse = Regex.Matches(run.Stderr, @"; huge pages (-?\d+) MiB; clock");
        Assert.NotEmpty(inUse);
        return (said, inUse.Max(m => long.Parse(m.Groups[1].Value)));
    }

    private static string Stamp(string text) => Regex.Replace(text, @"(\+|\\u002B)[0-9a-f]{40}(\.modified)?", "+COMMIT");
}
