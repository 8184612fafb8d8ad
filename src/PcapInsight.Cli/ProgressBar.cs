using System.Diagnostics;
using PcapInsight.Core.Capture;

namespace PcapInsight.Cli;

/// <summary>
/// A one-line progress bar on stderr for long files: bytes read of the total, rate, and time left. Drawn only
/// when stderr is a terminal, at most four times a second, and erased at the end.
/// </summary>
internal sealed class ProgressBar : IDisposable
{
    private const int Width = 30;
    private readonly IReadOnlyList<CaptureFileStats> _files;
    private readonly TextWriter _out;
    private readonly bool _enabled;
    private readonly long _totalBytes;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _lastDrawMs = -1000;
    private bool _drawn;

    public ProgressBar(IReadOnlyList<CaptureFileStats> files, TextWriter output, bool enabled)
    {
        _files = files;
        _out = output;
        _totalBytes = TotalBytes(files);
        // Small files finish before a bar would help; only draw when there is something to wait for.
        _enabled = enabled && (_totalBytes < 0 || _totalBytes > 64L << 20);
    }

    // The files' bytes, or -1 when one's size is unknown (a pipe). Loops rather than LINQ's Sum: generic math code of the
    // framework, compiled at run time every run.
    private static long TotalBytes(IReadOnlyList<CaptureFileStats> files)
    {
        long total = 0;
        for (int i = 0; i < files.Count; i++)
        {
            if (files[i].FileBytes <= 0)
            {
                return -1;
            }
            total += files[i].FileBytes;
        }
        return total;
    }

    public void Update()
    {
        if (!_enabled)
        {
            return;
        }
        long now = _clock.ElapsedMilliseconds;
        if (now - _lastDrawMs < 250)
        {
            return;
        }
        _lastDrawMs = now;
        long done = 0, frames = 0;
        for (int i = 0; i < _files.Count; i++)
        {
            done += _files[i].BytesConsumed;
            frames += _files[i].Frames;
        }
        double seconds = Math.Max(0.001, now / 1000.0);
        string rate = $"{done / seconds / 1e6:0} MB/s, {frames / seconds / 1e6:0.0} Mpkt/s";
        string line;
        if (_totalBytes > 0)
        {
            double fraction = Math.Clamp((double)done / _totalBytes, 0, 1);
            int filled = (int)(fraction * Width);
            double left = fraction > 0 ? seconds * (1 - fraction) / fraction : 0;
            line = $"[{new string('#', filled)}{new string('.', Width - filled)}] {fraction * 100,3:0}% {done / 1e6:0}/{_totalBytes / 1e6:0} MB  {rate}  {left:0}s left";
        }
        else
        {
            line = $"{done / 1e6:0} MB read  {rate}";
        }
        _out.Write("\r" + line + "\u001b[K");
        _drawn = true;
    }

    public void Dispose()
    {
        if (_drawn)
        {
            _out.Write("\r\u001b[K");
        }
    }
}
