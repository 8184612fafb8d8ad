using System.Buffers.Binary;

namespace PcapInsight.Core.Capture;

/// <summary>Opens a capture file by what its first bytes say, never by its name.</summary>
public static class CaptureFile
{
    /// <summary>
    /// Opens <paramref name="path"/> (or standard input for "-") as pcap or pcapng, gzip-compressed or not.
    /// Throws <see cref="CaptureFormatException"/> when the content is not a capture we read, with what was
    /// found; <see cref="IOException"/> and <see cref="UnauthorizedAccessException"/> pass through.
    /// </summary>
    public static IPacketSource Open(string path, int fileIndex = 0, CaptureReaderOptions? options = null)
    {
        options ??= CaptureReaderOptions.Default;
        options.Validate();
        if (path != "-" && Directory.Exists(path))
        {
            throw new CaptureFormatException("is a directory, not a capture file");
        }
        Stream stream = path == "-"
            ? Console.OpenStandardInput()
            : new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1, FileOptions.SequentialScan);
        try
        {
            return Open(stream, path, fileIndex, options);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Opens a capture from a stream the returned source then owns.</summary>
    public static IPacketSource Open(Stream stream, string name, int fileIndex = 0, CaptureReaderOptions? options = null)
    {
        options ??= CaptureReaderOptions.Default;
        var window = new StreamWindow(stream, readAhead: options.ReadAhead);
        window.Ensure(4);
        if (window.Available < 4)
        {
            throw new CaptureFormatException(window.Available == 0 ? "the file is empty" : $"the file has only {window.Available} bytes");
        }
        ReadOnlySpan<byte> first = window.Peek(4);
        if (first[0] == 0x1F && first[1] == 0x8B)
        {
            // gzip: tcpdump -z and many archives. Decompress on the fly; the file size no longer tells progress.
            var inner = new DecompressingStream(new WindowStream(window));
            IPacketSource source = Open(inner, name, fileIndex, options);
            source.Stats.FileBytes = -1;
            source.Stats.Format += ", gzip";
            inner.Damaged = message => source.Stats.Warnings.Add(
                new CaptureWarning(CaptureWarningKind.Damaged, fileIndex, window.Position, source.Stats.Frames, message));
            return source;
        }
        uint le = BinaryPrimitives.ReadUInt32LittleEndian(first);
        uint be = BinaryPrimitives.ReadUInt32BigEndian(first);
        if (le is PcapFileReader.MagicMicroseconds or PcapFileReader.MagicNanoseconds or PcapFileReader.MagicModified
            || be is PcapFileReader.MagicMicroseconds or PcapFileReader.MagicNanoseconds or PcapFileReader.MagicModified)
        {
            return new PcapFileReader(window, fileIndex, name, options);
        }
        if (le == PcapNgFileReader.BlockSectionHeader)
        {
            return new PcapNgFileReader(window, fileIndex, name, options);
        }
        throw new CaptureFormatException(DescribeUnknown(window));
    }

    /// <summary>Says what a file that is not pcap or pcapng seems to be, for the error message.</summary>
    private static string DescribeUnknown(StreamWindow window)
    {
        window.Ensure(16);
        ReadOnlySpan<byte> head = window.Peek(Math.Min(16, window.Available));
        if (head.StartsWith("snoop\0\0\0"u8))
        {
            return "a Solaris snoop capture: convert it with 'editcap -F pcap IN OUT' first";
        }
        int printable = 0;
        foreach (byte b in head)
        {
            if (b is >= 0x20 and < 0x7F or (byte)'\n' or (byte)'\r' or (byte)'\t')
            {
                printable++;
            }
        }
        string hex = Convert.ToHexString(head[..Math.Min(8, head.Length)]).ToLowerInvariant();
        return printable == head.Length
            ? $"not a pcap or pcapng file: it looks like text (starts with \"{System.Text.Encoding.ASCII.GetString(head).ReplaceLineEndings(" ")}\")"
            : $"not a pcap or pcapng file: unknown magic bytes {hex}";
    }

    /// <summary>Lets a decompressor read through the window's bytes, including those already buffered.</summary>
    private sealed class WindowStream(StreamWindow window) : ForwardReadStream
    {
        public override long Position { get => window.Position; set => throw new NotSupportedException(); }
        public override int Read(Span<byte> buffer)
        {
            if (buffer.IsEmpty)
            {
                return 0;
            }
            window.Ensure(1);
            int n = Math.Min(buffer.Length, window.Available);
            window.Peek(n).CopyTo(buffer);
            window.Advance(n);
            return n;
        }
        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                window.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
