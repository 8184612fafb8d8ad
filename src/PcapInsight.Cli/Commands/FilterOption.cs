using System.CommandLine;
using PcapInsight.Core.Capture;
using PcapInsight.Live;

namespace PcapInsight.Cli.Commands;

/// <summary>The <c>-f BPF</c> option of the commands that read files (analyze, follow, diff), and its compilation.</summary>
internal static class FilterOption
{
    /// <summary>A new <c>--filter/-f</c> option described for <paramref name="what"/>.</summary>
    public static Option<string?> Create(string what) => new("--filter", "-f")
    {
        HelpName = "BPF",
        Description = $"{what} only the frames this BPF expression passes, as 'tcpdump -r FILE EXPR' would (libpcap compiles it); frame numbers stay those of the whole file. Example: -f 'host 192.0.2.1 and tcp port 443'",
    };

    /// <summary>
    /// Compiles <paramref name="expression"/> (null when there is none). On failure says why on <paramref name="stderr"/> and
    /// gives the exit code: 2 for a bad expression, 4 when libpcap is missing.
    /// </summary>
    public static bool TryCompile(string? expression, TextWriter stderr, out BpfFrameFilter? filter, out int exitCode)
    {
        filter = null;
        exitCode = ExitCodes.Success;
        if (string.IsNullOrWhiteSpace(expression))
        {
            return true;
        }
        try
        {
            filter = BpfFrameFilter.Create(expression);
            return true;
        }
        catch (LiveCaptureException ex)
        {
            stderr.WriteLine("pcapinsight: " + ex.Message);
            exitCode = ex.Failure == LiveFailure.BadFilter ? ExitCodes.Usage : ExitCodes.LiveCaptureFailed;
            return false;
        }
    }

    /// <summary><paramref name="source"/>, filtered when there is a filter.</summary>
    public static IPacketSource Apply(IPacketSource source, BpfFrameFilter? filter) => filter is null ? source : new FilteredPacketSource(source, filter);
}
