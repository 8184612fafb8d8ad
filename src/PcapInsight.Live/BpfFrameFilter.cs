using PcapInsight.Core.Capture;
using SharpPcap;
using SharpPcap.LibPcap;

namespace PcapInsight.Live;

/// <summary>
/// A BPF expression (tcpdump's syntax) compiled by libpcap's own compiler, matched against frames read from files:
/// the same frames as <c>tcpdump -r FILE EXPR</c>. One program per link type, compiled when a frame of that type first
/// comes (a pcapng may mix them). Matching builds libpcap's packet header on the stack: no allocation per frame.
/// </summary>
public sealed class BpfFrameFilter : IDisposable
{
    private readonly Dictionary<LinkType, BpfProgram?> _programs = new();
    private LinkType _lastLink = (LinkType)ushort.MaxValue;
    private BpfProgram? _last;

    private BpfFrameFilter(string expression) => Expression = expression;

    /// <summary>The expression.</summary>
    public string Expression { get; }

    /// <summary>Link types the expression cannot apply to (libpcap refused it for them), with libpcap's reason: their frames never match.</summary>
    public Dictionary<LinkType, string> Refused { get; } = new();

    /// <summary>
    /// Compiles <paramref name="expression"/> (for Ethernet first, so that a syntax error is reported before any file is
    /// read). Throws <see cref="LiveCaptureException"/> with libpcap's message: <see cref="LiveFailure.BadFilter"/>, or
    /// <see cref="LiveFailure.NoLibpcap"/>.
    /// </summary>
    public static BpfFrameFilter Create(string expression)
    {
        var filter = new BpfFrameFilter(expression);
        try
        {
            filter._programs[LinkType.Ethernet] = BpfProgram.Create(PacketDotNet.LinkLayers.Ethernet, expression);
        }
        catch (Exception ex) when (LiveInterfaces.IsMissingLibrary(ex))
        {
            throw new LiveCaptureException(LiveFailure.NoLibpcap,
                "-f needs libpcap to compile the filter, and it is not installed (Debian/Ubuntu: apt-get install libpcap0.8). Without -f, files are read without it.", ex);
        }
        catch (PcapException ex)
        {
            throw new LiveCaptureException(LiveFailure.BadFilter, $"bad filter expression '{expression}': {ex.Message.Trim()}", ex);
        }
        return filter;
    }

    /// <summary>True when the frame passes the filter.</summary>
    public unsafe bool Matches(in CaptureInfo info, ReadOnlySpan<byte> frame)
    {
        BpfProgram? program = info.LinkType == _lastLink ? _last : ProgramFor(info.LinkType);
        if (program is null)
        {
            return false;
        }
        // bpf_filter reads only the header's lengths.
        byte* header = stackalloc byte[24];
        new Span<byte>(header, PcapPacketHeader.Size).Clear();
        *(int*)(header + PcapPacketHeader.TimevalBytes) = frame.Length;
        *(int*)(header + PcapPacketHeader.TimevalBytes + 4) = Math.Max(info.OriginalLength, frame.Length);
        fixed (byte* data = frame)
        {
            return program.Matches((IntPtr)header, (IntPtr)data);
        }
    }

    private BpfProgram? ProgramFor(LinkType link)
    {
        if (!_programs.TryGetValue(link, out BpfProgram? program))
        {
            try
            {
                program = BpfProgram.Create((PacketDotNet.LinkLayers)(ushort)link, Expression);
            }
            catch (PcapException ex)
            {
                Refused[link] = ex.Message.Trim();
                program = null;
            }
            _programs[link] = program;
        }
        _lastLink = link;
        _last = program;
        return program;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (BpfProgram? p in _programs.Values)
        {
            p?.Dispose();
        }
    }
}

/// <summary>
/// A file source that hands out only the frames a <see cref="BpfFrameFilter"/> passes. Frame numbers stay those of the
/// whole file, so every row still points at the frame Wireshark shows for that number.
/// </summary>
public sealed class FilteredPacketSource : IPacketSource
{
    private readonly IPacketSource _inner;
    private readonly BpfFrameFilter _filter;

    /// <summary>Filters <paramref name="inner"/>'s frames through <paramref name="filter"/>.</summary>
    public FilteredPacketSource(IPacketSource inner, BpfFrameFilter filter)
    {
        _inner = inner;
        _filter = filter;
        inner.Stats.Filter = filter.Expression;
    }

    /// <inheritdoc />
    public CaptureFileStats Stats => _inner.Stats;

    /// <inheritdoc />
    public bool TryRead(out CaptureInfo info, out ReadOnlySpan<byte> data)
    {
        while (_inner.TryRead(out info, out data))
        {
            if (_filter.Matches(info, data))
            {
                return true;
            }
            _inner.Stats.FilteredOut++;
        }
        return false;
    }

    /// <inheritdoc />
    public void Dispose() => _inner.Dispose();
}
