using System.IO.Compression;

namespace PcapInsight.Core.Capture;

/// <summary>
/// Decompresses a gzip capture and turns damaged compressed data into the end of the capture instead of an
/// exception: what was decompressed before the damage is analysed, and the damage becomes a warning, as a cut in an
/// uncompressed file does. Damage before the first byte could be decompressed means the file is not a capture we
/// can read (<see cref="CaptureFormatException"/>).
/// </summary>
internal sealed class DecompressingStream(Stream compressed) : ForwardReadStream
{
    private readonly GZipStream _inner = new(compressed, CompressionMode.Decompress);
    private long _produced;
    private bool _endedByDamage;

    /// <summary>Told once, when damage ends the data: the message for the reader's warning.</summary>
    public Action<string>? Damaged { get; set; }

    public override long Position { get => _produced; set => throw new NotSupportedException(); }

    public override int Read(Span<byte> buffer)
    {
        if (_endedByDamage)
        {
            return 0;
        }
        try
        {
            int read = _inner.Read(buffer);
            _produced += read;
            return read;
        }
        catch (InvalidDataException ex)
        {
            if (_produced == 0)
            {
                throw new CaptureFormatException($"gzip-compressed, but the compressed data is damaged ({ex.Message})");
            }
            string message = $"the gzip-compressed data is damaged after {_produced} decompressed bytes ({ex.Message}): analysed up to there";
            _endedByDamage = true;
            Damaged?.Invoke(message);
            return 0;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
