using System.Diagnostics;
using PcapInsight.Core.Capture;
using SharpPcap;
using SharpPcap.LibPcap;

namespace PcapInsight.Live;

/// <summary>What <see cref="LiveCaptureSource.Next"/> found.</summary>
public enum LiveRead
{
    /// <summary>A frame.</summary>
    Frame,
    /// <summary>Nothing within the wait (the caller can refresh its status and check its clocks).</summary>
    Idle,
    /// <summary>The capture stopped and every frame it took has been handed out.</summary>
    Ended,
}

/// <summary>
/// A live interface as an <see cref="IPacketSource"/>: a capture thread reads libpcap with <c>pcap_next_ex</c> (no
/// allocation per frame), copies each frame into pooled memory and hands it over a bounded <see cref="FrameQueue"/>;
/// the analysis thread takes frames from it. A slow analysis never blocks libpcap: frames the queue cannot hold are
/// dropped and counted, as libpcap counts its own drops, and both reach the report (capture.interface_drops).
/// Frames are numbered as they are handed out, so the numbers are those of the pcapng that <c>-w</c> writes.
/// </summary>
public sealed class LiveCaptureSource : IPacketSource
{
    private const int IdleSleepMs = 2;   // latency added to the first frame after a quiet moment, nothing more
    private const int ReadTimeoutMs = 100;
    private static readonly TimeSpan DrainAfterStop = TimeSpan.FromMilliseconds(3 * ReadTimeoutMs);
    private readonly LibPcapLiveDevice _device;
    private readonly FrameQueue _queue;
    private readonly Thread _thread;
    private readonly long _fractionToNs;
    private volatile bool _stopRequested;
    private PooledFrame _current;
    private bool _holdsCurrent;
    private long _frameNumber;
    private long _received;
    private string? _captureError;

    private LiveCaptureSource(LibPcapLiveDevice device, LiveOptions options)
    {
        _device = device;
        Options = options;
        _queue = new FrameQueue(options.QueueFrames, (long)options.QueueMb << 20);
        LinkType = (LinkType)(ushort)device.LinkType;
        _fractionToNs = device.TimestampResolution == TimestampResolution.Nanosecond ? 1 : 1000;
        Stats = new CaptureFileStats { Path = "live:" + device.Name, Format = $"live capture ({Pcap.Version})", Filter = string.IsNullOrWhiteSpace(options.Filter) ? null : options.Filter };
        Stats.Interfaces.Add(new CaptureInterface
        {
            LinkType = LinkType,
            Snaplen = options.Snaplen,
            Name = device.Name,
            TimestampDigits = _fractionToNs == 1 ? 9 : 6,
            InterfaceDrops = 0,
            OsDrops = 0,
            QueueDrops = 0,
        });
        _thread = new Thread(CaptureLoop) { IsBackground = true, Name = "pcapinsight-capture" };
    }

    /// <summary>The options it was opened with.</summary>
    public LiveOptions Options { get; }

    /// <summary>The interface's link type.</summary>
    public LinkType LinkType { get; }

    /// <summary>The interface's name.</summary>
    public string InterfaceName => _device.Name;

    /// <inheritdoc />
    public CaptureFileStats Stats { get; }

    /// <summary>Frames the queue dropped so far.</summary>
    public long QueueDrops => _queue.Dropped;

    /// <summary>Frames libpcap delivered to the capture thread so far.</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>Why the capture thread stopped on its own (libpcap error), or null.</summary>
    public string? CaptureError => _captureError;

    /// <summary>
    /// Opens the interface with the options' snaplen, promiscuity, buffer and BPF filter. Throws
    /// <see cref="LiveCaptureException"/> with advice when it cannot (no libpcap, no permission, no such interface,
    /// interface down, bad filter). Call <see cref="Start"/> to begin.
    /// </summary>
    public static LiveCaptureSource Open(LiveOptions options)
    {
        LibPcapLiveDevice device = LiveInterfaces.Find(options.Interface);
        try
        {
            device.Open(new DeviceConfiguration
            {
                Mode = options.Promiscuous ? DeviceModes.Promiscuous : DeviceModes.None,
                Snaplen = options.Snaplen,
                ReadTimeout = ReadTimeoutMs,   // TPACKET_V3's block timeout: frames reach us at most this late
                BufferSize = options.BufferMb << 20,
                TimestampResolution = TimestampResolution.Nanosecond,
            });
        }
        catch (Exception ex) when (LiveInterfaces.IsMissingLibrary(ex))
        {
            throw LiveInterfaces.NoLibpcap(ex);
        }
        catch (PcapException ex)
        {
            throw LiveInterfaces.Classify(ex.Message, device.Name, ex);
        }
        // Non-blocking reads: with TPACKET_V3, libpcap's blocking pcap_next_ex waits forever on an idle interface (the
        // kernel retires a block on timeout only once it holds a frame), so a stop would never be seen. The capture
        // thread sleeps briefly instead when nothing is there.
        try
        {
            device.NonBlockingMode = true;
        }
        catch (PcapException ex)
        {
            device.Close();
            throw LiveInterfaces.Classify(ex.Message, device.Name, ex);
        }
        if (!string.IsNullOrWhiteSpace(options.Filter))
        {
            try
            {
                device.Filter = options.Filter;
            }
            catch (PcapException ex)
            {
                device.Close();
                throw new LiveCaptureException(LiveFailure.BadFilter, $"bad filter expression '{options.Filter}': {ex.Message.Trim()}", ex);
            }
        }
        return new LiveCaptureSource(device, options);
    }

    /// <summary>Starts the capture thread.</summary>
    public void Start() => _thread.Start();

    /// <summary>
    /// Asks the capture to stop: the capture thread takes what libpcap still holds (until it has been idle for one read
    /// timeout), then ends; <see cref="Next"/> hands out the rest and then says <see cref="LiveRead.Ended"/>.
    /// </summary>
    public void Stop() => _stopRequested = true;

    /// <summary>The next frame, waiting up to <paramref name="wait"/>. The span is valid until the next call.</summary>
    public LiveRead Next(TimeSpan wait, out CaptureInfo info, out ReadOnlySpan<byte> data)
    {
        ReleaseCurrent();
        if (_queue.TryDequeue(wait, out PooledFrame frame, out bool ended))
        {
            _current = frame;
            _holdsCurrent = true;
            _frameNumber++;
            info = new CaptureInfo(_frameNumber, frame.TimestampNs, frame.Length, frame.OriginalLength, 0, LinkType);
            data = frame.Buffer.AsSpan(0, frame.Length);
            Stats.Frames = _frameNumber;
            Stats.CapturedBytes += frame.Length;
            return LiveRead.Frame;
        }
        info = default;
        data = default;
        return ended ? LiveRead.Ended : LiveRead.Idle;
    }

    /// <inheritdoc />
    public bool TryRead(out CaptureInfo info, out ReadOnlySpan<byte> data)
    {
        while (true)
        {
            switch (Next(TimeSpan.FromMilliseconds(200), out info, out data))
            {
                case LiveRead.Frame:
                    return true;
                case LiveRead.Ended:
                    return false;
            }
        }
    }

    /// <summary>Copies libpcap's drop counters and the queue's into <see cref="Stats"/>.</summary>
    public (long Received, long KernelDrops, long InterfaceDrops, long QueueDrops) RefreshStatistics()
    {
        long kernel = 0, iface = 0;
        try
        {
            if (_device.Opened && _device.Statistics is { } s)
            {
                kernel = s.DroppedPackets;
                iface = s.InterfaceDroppedPackets;
            }
        }
        catch (PcapException)
        {
            // Statistics are not available on every kind of device; the queue's count still is.
        }
        CaptureInterface i = Stats.Interfaces[0];
        i.OsDrops = Math.Max(i.OsDrops, kernel);
        i.InterfaceDrops = Math.Max(i.InterfaceDrops, iface);
        i.QueueDrops = _queue.Dropped;
        return (Received, i.OsDrops, i.InterfaceDrops, i.QueueDrops);
    }

    /// <summary>Stops the capture (if running), waits for its thread and closes the device.</summary>
    public void Dispose()
    {
        _stopRequested = true;
        if (_thread.IsAlive)
        {
            _thread.Join(TimeSpan.FromSeconds(5));
        }
        ReleaseCurrent();
        while (_queue.TryDequeue(TimeSpan.Zero, out PooledFrame left, out _))
        {
            FrameQueue.Release(left);
        }
        try
        {
            _device.Close();
        }
        catch (PcapException)
        {
        }
    }

    private void ReleaseCurrent()
    {
        if (_holdsCurrent)
        {
            FrameQueue.Release(_current);
            _holdsCurrent = false;
        }
    }

    private void CaptureLoop()
    {
        long? stoppedAt = null;
        try
        {
            while (true)
            {
                IntPtr header = IntPtr.Zero, data = IntPtr.Zero;
                int status = _device.GetNextPacketPointers(ref header, ref data);
                if (status == 1)
                {
                    Interlocked.Increment(ref _received);
                    Hand(header, data);
                    continue;
                }
                if (status == 0)
                {
                    // Nothing waiting. After a stop, the capture is over once libpcap has had a read timeout to hand
                    // out what it still held: with TPACKET_V3 the kernel releases a partly filled block only then.
                    if (_stopRequested)
                    {
                        stoppedAt ??= Stopwatch.GetTimestamp();
                        if (Stopwatch.GetElapsedTime(stoppedAt.Value) >= DrainAfterStop)
                        {
                            break;
                        }
                    }
                    Thread.Sleep(IdleSleepMs);
                    continue;
                }
                if (status == -2)
                {
                    break;
                }
                _captureError = _device.LastError;
                break;
            }
            RefreshStatistics();
        }
        catch (Exception ex) when (ex is PcapException or InvalidOperationException)
        {
            _captureError = ex.Message;
        }
        finally
        {
            _queue.Complete();
        }
    }

    private unsafe void Hand(IntPtr header, IntPtr data)
    {
        byte* h = (byte*)header;
        int timeval = PcapPacketHeader.TimevalBytes;
        long seconds = timeval == 16 ? *(long*)h : *(int*)h;
        long fraction = *(int*)(h + timeval / 2);
        int captured = *(int*)(h + timeval);
        int original = *(int*)(h + timeval + 4);
        _queue.TryEnqueue(new ReadOnlySpan<byte>((void*)data, captured), original, seconds * 1_000_000_000 + fraction * _fractionToNs);
    }
}
