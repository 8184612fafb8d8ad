using PcapInsight.Core.Capture;
using PcapInsight.Fuzz;
using SharpFuzz;

// The fuzzing harness's jobs (fuzz/README.md):
//   capture | frames | threads    serve afl-fuzz (run under fuzz/fuzz.sh, which instruments PcapInsight.Core.dll)
//   run TARGET FILE...            replay inputs without the fuzzer: exit 1 and the exception on a crash
//   seeds OUTDIR CAPTURE...       cut small seeds for every target from real captures
//   to-pcap FRAMES OUT            turn a frames-target input into the pcap it stands for (a regression capture)
switch (args.FirstOrDefault())
{
    case "capture":
        Fuzzer.OutOfProcess.Run(FuzzTargets.Capture);
        return 0;
    case "frames":
        Fuzzer.OutOfProcess.Run(stream => FuzzTargets.Frames(ReadAll(stream)));
        return 0;
    case "threads":
        Fuzzer.OutOfProcess.Run(stream => FuzzTargets.Threads(ReadAll(stream)));
        return 0;
    case "run" when args.Length >= 3:
        return Replay(args[1], args[2..]);
    case "seeds" when args.Length >= 3:
        Console.WriteLine($"{SeedMaker.Write(args[1], args[2..])} seeds written to {args[1]}");
        return 0;
    case "to-pcap" when args.Length == 3:
        File.WriteAllBytes(args[2], FuzzTargets.FramesToPcap(File.ReadAllBytes(args[1])));
        return 0;
    default:
        Console.Error.WriteLine("usage: PcapInsight.Fuzz capture|frames|threads | run capture|frames|threads FILE... | seeds OUTDIR CAPTURE... | to-pcap FRAMES OUT");
        return 2;
}

static byte[] ReadAll(Stream stream)
{
    var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    return buffer.ToArray();
}

static int Replay(string target, string[] files)
{
    int crashes = 0;
    foreach (string file in files)
    {
        try
        {
            byte[] input = File.ReadAllBytes(file);
            if (target == "frames")
            {
                FuzzTargets.Frames(input);
            }
            else if (target == "threads")
            {
                FuzzTargets.Threads(input);
            }
            else
            {
                FuzzTargets.Capture(new MemoryStream(input, writable: false));
            }
            Console.WriteLine($"ok     {file}");
        }
        catch (Exception ex) when (ex is not CaptureFormatException)
        {
            crashes++;
            Console.WriteLine($"CRASH  {file}: {ex}");
        }
    }
    FuzzTargets.RemoveScratch();
    return crashes == 0 ? 0 : 1;
}
