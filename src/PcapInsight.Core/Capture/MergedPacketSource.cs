namespace PcapInsight.Core.Capture;

/// <summary>
/// Several capture files read as one capture, frames merged by timestamp (ties keep file order), as
/// <c>mergecap</c> does. Each file keeps its own frame numbering, carried in <see cref="CaptureInfo.FileIndex"/>.
/// </summary>
/// <remarks>
/// A source's span stays valid until that source's next read, so the merge holds one pending frame per file and
/// reads a file again only when its pending frame has been handed out and the caller asks for the next one.
/// </remarks>
public sealed class MergedPacketSource : IPacketSource
{
    private readonly IPacketSource[] _sources;
    private readonly bool[] _hasPending;
    private readonly CaptureInfo[] _pending;
    private int _lastHandedOut = -1;

    /// <summary>Merges <paramref name="sources"/>; the merged source owns and disposes them.</summary>
    public MergedPacketSource(IReadOnlyList<IPacketSource> sources)
    {
        _sources = sources.ToArray();
        _hasPending = new bool[_sources.Length];
        _pending = new CaptureInfo[_sources.Length];
        for (int i = 0; i < _sources.Length; i++)
        {
            _hasPending[i] = _sources[i].TryRead(out _pending[i], out _);
        }
    }

    /// <summary>The stats of the first file; use <see cref="Sources"/> for each file's own.</summary>
    public CaptureFileStats Stats => _sources[0].Stats;

    /// <summary>The files being merged, in the order given.</summary>
    public IReadOnlyList<IPacketSource> Sources => _sources;

    /// <inheritdoc />
    public bool TryRead(out CaptureInfo info, out ReadOnlySpan<byte> data)
    {
        if (_lastHandedOut >= 0)
        {
            int i = _lastHandedOut;
            _hasPending[i] = _sources[i].TryRead(out _pending[i], out _);
            _lastHandedOut = -1;
        }
        int best = -1;
        for (int i = 0; i < _sources.Length; i++)
        {
            if (_hasPending[i] && (best < 0 || _pending[i].TimestampNs < _pending[best].TimestampNs))
            {
                best = i;
            }
        }
        if (best < 0)
        {
            info = default;
            data = default;
            return false;
        }
        info = _pending[best];
        data = CurrentData(best);
        _lastHandedOut = best;
        return true;
    }

    // The pending frame's bytes are still in its reader's buffer; the readers expose them through LastFrame.
    private ReadOnlySpan<byte> CurrentData(int index) => ((ILastFrame)_sources[index]).LastFrame;

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (IPacketSource source in _sources)
        {
            source.Dispose();
        }
    }
}
