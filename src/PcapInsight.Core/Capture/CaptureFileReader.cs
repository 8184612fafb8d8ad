using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace PcapInsight.Core.Capture;

/// <summary>
/// What the pcap and pcapng readers share: the stream window, the file's stats, byte-order aware reads, how reading
/// stops on damage (a warning, never an exception), and the last frame's bytes for <see cref="MergedPacketSource"/>.
/// </summary>
public abstract class CaptureFileReader : IPacketSource, ILastFrame
{
    private int _lastFrameIndex;
    private int _lastFrameLength;

    private protected CaptureFileReader(StreamWindow window, int fileIndex, string path)
    {
        Window = window;
        FileIndex = fileIndex;
        Stats = new CaptureFileStats { Path = path, FileBytes = window.Length };
    }

    /// <inheritdoc />
    public CaptureFileStats Stats { get; }

    private protected StreamWindow Window { get; }

    private protected int FileIndex { get; }

    /// <summary>Byte order of the file (pcap) or of the current section (pcapng).</summary>
    private protected bool BigEndian { get; set; }

    /// <summary>Set once reading has ended, cleanly or not.</summary>
    private protected bool Done { get; set; }

    ReadOnlySpan<byte> ILastFrame.LastFrame => Window.BufferSlice(_lastFrameIndex, _lastFrameLength);

    /// <inheritdoc />
    public abstract bool TryRead(out CaptureInfo info, out ReadOnlySpan<byte> data);

    /// <summary>Counts a frame about to be handed out whose bytes start at <paramref name="bufferIndex"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected void CountFrame(int bufferIndex, int capturedLength)
    {
        _lastFrameIndex = bufferIndex;
        _lastFrameLength = capturedLength;
        Stats.Frames++;
        Stats.CapturedBytes += capturedLength;
    }

    /// <summary>Ends reading with a warning; what was read stays valid. Returns false for the caller to return.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private protected bool Stop(CaptureWarningKind kind, string message)
    {
        Done = true;
        Stats.StoppedEarly = true;
        Stats.Warnings.Add(new CaptureWarning(kind, FileIndex, Window.Position, Stats.Frames, message));
        return false;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected ushort ReadUInt16(ReadOnlySpan<byte> s) =>
        BigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected uint ReadUInt32(ReadOnlySpan<byte> s) =>
        BigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s);

    /// <inheritdoc />
    public void Dispose()
    {
        Window.Dispose();
        GC.SuppressFinalize(this);
    }
}
