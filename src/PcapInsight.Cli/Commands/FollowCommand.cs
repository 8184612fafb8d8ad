using System.CommandLine;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Flows;
using PcapInsight.Core.TcpAnalysis;
using PcapInsight.Reporting;

namespace PcapInsight.Cli.Commands;

/// <summary><c>follow FILE --flow ID [--direction c2s|s2c] [-w OUT]</c>: one TCP direction's bytes, gaps reported.</summary>
public static class FollowCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var file = new Argument<string>("FILE") { Description = "Capture file (pcap or pcapng)." };
        var flow = new Option<int>("--flow")
        {
            Description = "The flow's id, as flows.csv of 'pcapinsight analyze' numbers it (same file, same --flow-timeout). Example: --flow 3",
            Required = true,
            HelpName = "ID",
        };
        var direction = new Option<string>("--direction")
        {
            Description = "c2s (client to server, the default) or s2c. Example: --direction s2c",
            DefaultValueFactory = _ => "c2s",
        };
        direction.AcceptOnlyFromAmong("c2s", "s2c");
        var output = new Option<string?>("--write", "-w")
        {
            Description = "File for the bytes (written whole or not at all); without it they go to standard output. Example: -w request.bin",
            HelpName = "OUT",
        };
        var flowTimeout = new Option<double>("--flow-timeout")
        {
            Description = "As for analyze: must match the value the flow ids came from. Example: --flow-timeout 120",
            DefaultValueFactory = _ => new FlowTableOptions().IdleTimeout.TotalSeconds,
            HelpName = "SECONDS",
        };
        var tunnelDepth = new Option<int>("--tunnel-depth")
        {
            Description = $"As for analyze: tunnels opened to reach the flows inside them (0 to {Core.Decoding.FrameDecoder.MaxTunnelDepth}; 0: the tunnels' own flows); must match the value the flow ids came from. Example: --tunnel-depth 0",
            DefaultValueFactory = _ => Core.Decoding.FrameDecoder.DefaultTunnelDepth,
            HelpName = "N",
        };
        var maxHeld = new Option<long>("--max-held-bytes")
        {
            Description = "Out-of-order bytes held in memory while waiting for a gap to fill, each segment counted with 64 bytes of bookkeeping; past it they are reported as a gap. Example: --max-held-bytes 268435456",
            DefaultValueFactory = _ => 64L << 20,
            HelpName = "BYTES",
        };
        var maxListedGaps = new Option<int>("--max-listed-gaps")
        {
            Description = "Gaps listed one a line on stderr (adjacent ones as one); past it they are counted in a last line. Example: --max-listed-gaps 100000",
            DefaultValueFactory = _ => 1000,
            HelpName = "COUNT",
        };
        Option<string?> filter = FilterOption.Create("Follow the flow in");
        var command = new Command("follow",
            "Write the reassembled byte stream of one TCP flow direction: retransmitted bytes once, out-of-order bytes in place, " +
            "and bytes the capture does not hold reported as gaps on stderr, never filled.\n\n" +
            "Examples:\n" +
            "  pcapinsight follow capture.pcap --flow 3 -w upload.bin\n" +
            "  pcapinsight follow capture.pcap --flow 3 --direction s2c | sha256sum")
        {
            file, flow, direction, output, flowTimeout, tunnelDepth, maxHeld, maxListedGaps, filter,
        };
        command.SetAction(parse => Execute(parse.GetValue(file)!, parse.GetValue(flow), parse.GetValue(direction)!, parse.GetValue(output),
            parse.GetValue(flowTimeout), parse.GetValue(tunnelDepth), parse.GetValue(maxHeld), parse.GetValue(maxListedGaps), parse.GetValue(filter), stdout, stderr));
        return command;
    }

    private static int Execute(string path, int flowId, string direction, string? output, double flowTimeoutSeconds, int tunnelDepth, long maxHeld,
        int maxListedGaps, string? filterExpression, TextWriter stdout, TextWriter stderr)
    {
        if (!FilterOption.TryCompile(filterExpression, stderr, out var bpf, out int filterError))
        {
            return filterError;
        }
        using var bpfOwner = bpf;
        if (maxHeld < 0)
        {
            stderr.WriteLine("pcapinsight: --max-held-bytes must not be negative");
            return ExitCodes.Usage;
        }
        if (maxListedGaps < 0)
        {
            stderr.WriteLine("pcapinsight: --max-listed-gaps must not be negative");
            return ExitCodes.Usage;
        }
        var options = new AnalysisOptions { Flows = new FlowTableOptions { IdleTimeout = TimeSpan.FromSeconds(flowTimeoutSeconds) }, TunnelDepth = tunnelDepth };
        try
        {
            options.Validate();
        }
        catch (Exception ex) when (ex is ArgumentException or OverflowException)
        {
            string option = (ex as ArgumentException)?.ParamName == nameof(AnalysisOptions.TunnelDepth) ? "--tunnel-depth" : "--flow-timeout";
            stderr.WriteLine($"pcapinsight: option {option} " + ex.Message.Split(" (Parameter")[0]);
            return ExitCodes.Usage;
        }
        IPacketSource source;
        try
        {
            source = FilterOption.Apply(CaptureFile.Open(path, 0, options.Reader), bpf);
        }
        catch (Exception ex) when (ex is CaptureFormatException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"pcapinsight: {path}: {(ex is FileNotFoundException ? "no such file" : ex.Message)}");
            return ExitCodes.InputUnreadable;
        }

        bool clientToServer = direction == "c2s";
        string? temporary = output is null ? null : output + ".partial";
        Stream sink = temporary is null ? Console.OpenStandardOutput() : new FileStream(temporary, FileMode.Create, FileAccess.Write);
        var assembler = new TcpStreamAssembler(sink, maxHeld, maxListedGaps: maxListedGaps);
        // The flow's ends, taken from its first segment: a flow past --max-listed-flows (a capture of more than 100,000)
        // is not among the result's listed flows, though flows.csv lists it with its id.
        (IpAddr Client, ushort ClientPort, IpAddr Server, ushort ServerPort)? ends = null;
        AnalysisResult result;
        string sha256;
        try
        {
            using (source)
            {
                var analyzer = new CaptureAnalyzer(options)
                {
                    OnTcpSegment = (Flow f, bool fromClient, in DecodedPacket p, ReadOnlySpan<byte> frame) =>
                    {
                        if (f.Id != flowId)
                        {
                            return;
                        }
                        ends ??= (f.Client, f.ClientPort, f.Server, f.ServerPort);
                        if (fromClient == clientToServer)
                        {
                            assembler.Add(p.Seq, (p.Flags & TcpFlags.Syn) != 0, frame.Slice(p.PayloadOffset, p.CapturedPayloadLength), p.PayloadLength);
                        }
                    },
                };
                result = analyzer.RunAll(source, [source.Stats]);
            }
            sha256 = assembler.Finish();
        }
        finally
        {
            if (temporary is not null)
            {
                sink.Dispose();
            }
        }

        Flow? listed = result.Flows.FirstOrDefault(f => f.Id == flowId);
        if (ends is null && listed is { Protocol: 6 })
        {
            ends = (listed.Client, listed.ClientPort, listed.Server, listed.ServerPort);
        }
        int flows = result.FlowTable.Created;   // ids run from 1, listed or released
        string? problem = ends is not null ? null
            : listed is not null ? $"flow {flowId} is {ProtocolNames.Name(listed.Protocol)}, not TCP"
            : flowId >= 1 && flowId <= flows ? $"flow {flowId} is not TCP (see flows.csv)"
            : $"there is no flow {flowId} (the capture has {flows} flows; see flows.csv)";
        if (problem is not null)
        {
            if (temporary is not null)
            {
                File.Delete(temporary);
            }
            stderr.WriteLine("pcapinsight: " + problem);
            return ExitCodes.Usage;
        }
        if (temporary is not null)
        {
            File.Move(temporary, output!, overwrite: true);
        }
        // A damaged or truncated file is followed up to where reading stopped: say where, as analyze does.
        CaptureWarnings.Print(stderr, result.Files, result.Warnings);
        var (client, clientPort, server, serverPort) = ends!.Value;
        string from = clientToServer ? $"{client}:{clientPort}" : $"{server}:{serverPort}";
        string to = clientToServer ? $"{server}:{serverPort}" : $"{client}:{clientPort}";
        stderr.WriteLine($"flow {flowId} {direction} ({from} -> {to}): {assembler.BytesWritten} bytes, {assembler.GapCount} gaps, sha256 {sha256}");
        foreach (StreamGap gap in assembler.Gaps)
        {
            stderr.WriteLine($"  gap: {gap.Length} bytes at stream offset {gap.Offset} not captured");
        }
        if (assembler.GapCount > assembler.Gaps.Count)
        {
            long listedBytes = assembler.Gaps.Sum(g => g.Length);
            stderr.WriteLine($"  {assembler.GapCount - assembler.Gaps.Count} more gaps ({assembler.GapBytes - listedBytes} bytes) not listed (--max-listed-gaps {maxListedGaps})");
        }
        if (assembler.ConflictingBytes > 0)
        {
            stderr.WriteLine($"  {assembler.ConflictingBytes} resent bytes differed from the first copy (the first was kept)");
        }
        if (assembler.OverflowBytes > 0)
        {
            stderr.WriteLine($"  {assembler.OverflowBytes} out-of-order bytes exceeded --max-held-bytes and are reported as gaps");
        }
        return ExitCodes.Success;
    }
}
