using BenchmarkDotNet.Running;
using PcapInsight.Benchmarks;
using PcapInsight.TestKit;

// Jobs of one program:
//   make-small FILE [--packets N] [--flows N]   writes a synthetic header-only capture for bench/compare.sh
//   make-flows FILE [--flows N]                 writes N short TCP connections (8 frames each) for bench/compare.sh
//   make-udp-flows FILE [--flows N]             writes N UDP request/answer exchanges (2 frames each)
//   make-scan FILE [--probes N]                 writes a SYN scan of N ports (2 frames a port), for bench/compare.sh
//   make-fragments FILE SHAPE [--count N]       writes N fragments: pairs, disjoint, disjoint-descending or copies
//   make-holes FILE [--segments N]              writes a TCP connection of N one-byte segments after a hole (for follow)
//   make-dns FILE [--exchanges N]               writes N DNS query/answer exchanges, each its own flow
//   memory FILE                                 heap a finished analysis holds, per flow
//   phases FILE                                 times reading, + decoding, + flow table, whole analysis (in process)
//   allocations FILE [--threads N] [--top N] [--type TEXT]
//                                               what an analysis allocates, by type and by allocating stack (sampled;
//                                               DOTNET_ReadyToRun=0 names the framework's frames too)
//   anything else                               runs the BenchmarkDotNet micro-benchmarks (e.g. --filter '*'); with
//                                               --native, compiled ahead of time as ./pcapinsight builds the CLI
if (args.Length >= 2 && args[0] == "make-small")
{
    long packets = Argument(args, "--packets", 10_000_000);
    int flows = (int)Argument(args, "--flows", 10_000);
    SmallPackets.Write(args[1], packets, flows);
    Console.WriteLine($"wrote {args[1]}: {packets} packets over {flows} TCP flows");
    return 0;
}
if (args.Length >= 2 && args[0] == "make-flows")
{
    int flows = (int)Argument(args, "--flows", 1_000_000);
    ShortConnections.Write(args[1], flows);
    Console.WriteLine($"wrote {args[1]}: {flows} short TCP connections, {8L * flows} packets");
    return 0;
}
if (args.Length >= 2 && args[0] == "make-scan")
{
    int probes = (int)Argument(args, "--probes", 2_000_000);
    ShortConnections.WriteScan(args[1], probes);
    Console.WriteLine($"wrote {args[1]}: a SYN scan of {probes} ports");
    return 0;
}
if (args.Length >= 2 && args[0] == "make-udp-flows")
{
    int flows = (int)Argument(args, "--flows", 1_000_000);
    ShortConnections.WriteUdp(args[1], flows);
    Console.WriteLine($"wrote {args[1]}: {flows} UDP exchanges, {2L * flows} packets");
    return 0;
}
if (args.Length >= 3 && args[0] == "make-fragments")
{
    int count = (int)Argument(args, "--count", 1_000_000);
    FloodCaptures.WriteFragments(args[1], count, args[2]);
    Console.WriteLine($"wrote {args[1]}: {count} fragments ({args[2]})");
    return 0;
}
if (args.Length >= 2 && args[0] == "make-holes")
{
    int segments = (int)Argument(args, "--segments", 6_000_000);
    FloodCaptures.WriteHoles(args[1], segments);
    Console.WriteLine($"wrote {args[1]}: a connection of {segments} one-byte segments after a hole");
    return 0;
}
if (args.Length >= 2 && args[0] == "make-dns")
{
    int exchanges = (int)Argument(args, "--exchanges", 1_000_000);
    FloodCaptures.WriteDnsExchanges(args[1], exchanges);
    Console.WriteLine($"wrote {args[1]}: {exchanges} DNS exchanges, {2L * exchanges} packets");
    return 0;
}
if (args.Length >= 2 && args[0] == "memory")
{
    PhaseTimer.Memory(args[1]);
    return 0;
}
if (args.Length >= 2 && args[0] == "phases")
{
    PhaseTimer.Run(args[1]);
    return 0;
}
if (args.Length >= 2 && args[0] == "allocations")
{
    int typeAt = Array.IndexOf(args, "--type");
    AllocationStacks.Run(args[1], (int)Argument(args, "--threads", 1), (int)Argument(args, "--top", 20), typeAt >= 0 && typeAt + 1 < args.Length ? args[typeAt + 1] : "");
    return 0;
}
bool native = args.Contains("--native");
BenchmarkSwitcher.FromAssembly(typeof(NativeBenchmarks).Assembly).Run(args.Where(a => a != "--native").ToArray(),
    native ? NativeBenchmarks.Config() : null);
return 0;

static long Argument(string[] args, string name, long fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? long.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
}
