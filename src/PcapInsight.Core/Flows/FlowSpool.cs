using Microsoft.Win32.SafeHandles;
using PcapInsight.Core.Collections;

namespace PcapInsight.Core.Flows;

/// <summary>
/// Keeps the summaries of flows released from memory on disk, and gives them back in id order, so that a report
/// lists every flow of a capture of millions while memory holds only the live ones.
/// </summary>
/// <remarks>
/// Flows are released in the order they end, not the order they began (their ids). The spool is an external merge
/// sort: summaries gather in a buffer of <see cref="RunLength"/>; a full buffer is sorted by id and appended to the
/// file as one run; reading merges the runs and the buffer with a priority queue. A released flow is encoded into the
/// buffer as it is added (<see cref="FlowRecord"/>), with no summary object between: those died young but were made
/// while every live flow sat in the old generation, and cost the collector more than the encoding. Memory: one buffer,
/// growing to what the run's records take (about 100 bytes a TCP flow, 6.5 MB a run by default; at most
/// <see cref="RunLength"/> times <see cref="FlowRecord.MaxEncodedBytes"/>), the sort's buffers (a run's entries once more,
/// kept from run to run), plus a block a run while reading (64 KiB, smaller past 128 runs: <see cref="ReadBlockBytes"/>). The file
/// (<c>.pcapinsight-flows-*.spool</c>, hidden) is deleted when the spool is disposed or its handle finalized
/// (<see cref="FileOptions.DeleteOnClose"/>); a process killed outright leaves it behind, and the next spool made in
/// that folder deletes it (its name holds the process id, no longer running).
/// </remarks>
public sealed class FlowSpool : IDisposable
{
    private readonly string _directory;
    // The run being gathered: encoded records one after another, and where each is, to sort them by id.
    private byte[] _buffer = [];
    private int _bufferBytes;
    private Entry[] _entries = new Entry[0];
    private int _entryCount;
    private readonly ValueList<Run> _runs = new();
    private readonly bool[] _protocolsAdded = new bool[256];
    private readonly BestFlows _best = new();
    private FileStream? _file;
    private BufferedStream? _writer;

    /// <summary>A spool whose file, when one is needed, goes into <paramref name="directory"/>.</summary>
    public FlowSpool(string directory, int runLength = 65_536)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(runLength, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(runLength, MaxRunLength);
        _directory = directory;
        RunLength = runLength;
    }

    /// <summary>The longest run: its buffer (<see cref="FlowRecord.MaxEncodedBytes"/> a summary) stays one array.</summary>
    public const int MaxRunLength = 1 << 20;

    /// <summary>Summaries sorted in memory before they go to disk as one run.</summary>
    public int RunLength { get; }

    /// <summary>Summaries spooled so far.</summary>
    public long Count { get; private set; }

    /// <summary>Runs written to disk so far.</summary>
    public int Runs => _runs.Count;

    /// <summary>The path of the spool file while it exists (it has no name on disk once deleted); null before the first run.</summary>
    public string? FilePath => _file?.Name;

    /// <summary>Why the spool stopped taking summaries (the folder cannot be written, the disk is full); null while it works.</summary>
    public string? Failure { get; private set; }

    /// <summary>Summaries dropped since <see cref="Failure"/>: those flows are counted, not listed.</summary>
    public long Lost { get; private set; }

    /// <summary>
    /// Whether a summary of <paramref name="protocol"/> was ever added: when not, a table of only that protocol's flows
    /// (udp.csv) need not read the spool at all.
    /// </summary>
    public bool MayHold(byte protocol) => _protocolsAdded[protocol];

    /// <summary>The best of the summaries added (<see cref="BestFlows"/>), in memory: report.html chooses among them.</summary>
    public IEnumerable<FlowSummary> Best => _best.Items;

    /// <summary>Adds the summary of a released flow.</summary>
    public void Add(FlowSummary summary)
    {
        if (Taking(summary.Protocol))
        {
            Added(summary.Id, FlowRecord.Write(Room(), summary));
            _best.Offer(summary);
            EndRunIfFull();
        }
    }

    /// <summary>Adds the summary of <paramref name="flow"/>, released: written as it stands, with no summary object made.</summary>
    public void Add(Flow flow)
    {
        if (Taking(flow.Protocol))
        {
            Added(flow.Id, FlowRecord.Write(Room(), flow));
            _best.Offer(flow);
            EndRunIfFull();
        }
    }

    private bool Taking(byte protocol)
    {
        _protocolsAdded[protocol] = true;
        if (Failure is not null)
        {
            Lost++;
            return false;
        }
        return true;
    }

    private void EndRunIfFull()
    {
        Count++;
        if (_entryCount < RunLength)
        {
            return;
        }
        try
        {
            WriteRun();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The runs written before stay readable (each is listed only once written whole); this one is lost,
            // and so are the bytes still buffered for it: flushing them at Dispose would fail the same way. What
            // it did write goes, so that the report beside it still has the room it had.
            Failure = ex.Message;
            _writer = null;
            DropPartialRun();
            Lost += _entryCount;
            Count -= _entryCount;
            _entryCount = 0;
            _bufferBytes = 0;
        }
    }

    /// <summary>
    /// Every spooled summary, in id order. Each enumeration reads the file anew; do not add meanwhile. With
    /// <paramref name="reuse"/>, each is decoded into a summary it hands out (see <see cref="FlowSummaryPool.Return"/>).
    /// </summary>
    public IEnumerable<FlowSummary> ReadSorted(FlowSummaryPool? reuse = null)
    {
        SortEntries();
        if (_runs.Count == 0)
        {
            for (int i = 0; i < _entryCount; i++)
            {
                yield return Buffered(i, reuse);
            }
            yield break;
        }
        var readers = new List<RunReader>(_runs.Count);
        var queue = new PriorityQueue<(FlowSummary Summary, int Source), int>();
        int blockBytes = ReadBlockBytes(_runs.Count);
        for (int i = 0; i < _runs.Count; i++)
        {
            readers.Add(new RunReader(_file!.SafeFileHandle, _runs[i].Offset, _runs[i].Bytes, _runs[i].Count, blockBytes));
        }
        for (int i = 0; i < readers.Count; i++)
        {
            Enqueue(queue, readers, i, reuse);
        }
        int next = 0;
        while (queue.Count > 0 || next < _entryCount)
        {
            bool fromBuffer = next < _entryCount && (queue.Count == 0 || _entries[next].Id < queue.Peek().Summary.Id);
            if (fromBuffer)
            {
                yield return Buffered(next++, reuse);
                continue;
            }
            (FlowSummary summary, int source) = queue.Dequeue();
            Enqueue(queue, readers, source, reuse);
            yield return summary;
        }
    }

    /// <summary>Deletes the spool file.</summary>
    public void Dispose()
    {
        _writer?.Dispose();
        _file?.Dispose();
        _writer = null;
        _file = null;
    }

    private void DropPartialRun()
    {
        try
        {
            if (_runs.Count == 0)
            {
                _file?.Dispose();   // deletes it
                _file = null;
            }
            else
            {
                _file?.SetLength(_runs[_runs.Count - 1].Offset + _runs[_runs.Count - 1].Bytes);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Nothing more to free; the file goes at Dispose.
        }
    }

    // Reading merges every run at once, through a block of each. 64 KiB a run grew with the capture: a byte for every
    // flow spooled (8 MB for 8 M flows, 100 MB for 100 M). The blocks share a budget instead, each at least a few of
    // the longest records: the same 64 KiB blocks up to 128 runs (8 M flows at the default run length), smaller ones
    // past it, and memory flat up to 2,048 runs (134 M flows), 4 KiB a run beyond. Smaller blocks mean more reads
    // (a 4 KiB one holds about 40 records), which a capture of that many flows can afford.
    internal const int ReadBudgetBytes = 8 << 20, MaxReadBlockBytes = 65_536, MinReadBlockBytes = 4_096;

    /// <summary>The block each run is read through when <paramref name="runs"/> runs are merged.</summary>
    internal static int ReadBlockBytes(int runs) => Math.Clamp(ReadBudgetBytes / Math.Max(runs, 1), MinReadBlockBytes, MaxReadBlockBytes);

    private static void Enqueue(PriorityQueue<(FlowSummary, int), int> queue, List<RunReader> readers, int i, FlowSummaryPool? reuse)
    {
        if (readers[i].Next(reuse) is { } s)
        {
            queue.Enqueue((s, i), s.Id);
        }
    }

    /// <summary>
    /// Reads one run back in blocks of <paramref name="blockBytes"/> (<see cref="ReadBlockBytes"/>) with positioned
    /// reads on the spool's own handle (no stream a run, no reader a field): the spool of a million flows is read once
    /// per table that lists them.
    /// </summary>
    private sealed class RunReader(SafeFileHandle file, long offset, long bytes, int count, int blockBytes)
    {
        private readonly byte[] _block = new byte[blockBytes];
        private long _offset = offset;
        private long _unread = bytes;
        private int _start, _end;
        private int _left = count;

        public FlowSummary? Next(FlowSummaryPool? reuse)
        {
            if (_left == 0)
            {
                return null;
            }
            if (_end - _start < FlowRecord.MaxEncodedBytes && _unread > 0)
            {
                Refill();
            }
            FlowSummary s = FlowRecord.ReadInto(_block.AsSpan(_start, _end - _start), reuse?.Rent() ?? new FlowSummary(), out int length, reuse);
            _start += length;
            _left--;
            return s;
        }

        private void Refill()
        {
            int kept = _end - _start;
            _block.AsSpan(_start, kept).CopyTo(_block);
            int wanted = (int)Math.Min(_block.Length - kept, _unread);
            int read = 0;
            while (read < wanted)
            {
                int n = RandomAccess.Read(file, _block.AsSpan(kept + read, wanted - read), _offset + read);
                if (n == 0)
                {
                    throw new IOException("The flow spool file ended before its last run (was it truncated?).");
                }
                read += n;
            }
            _offset += read;
            _unread -= read;
            _start = 0;
            _end = kept + read;
        }
    }

    /// <summary>The free end of the run's buffer, with room for the longest record.</summary>
    private Span<byte> Room()
    {
        if (_buffer.Length - _bufferBytes < FlowRecord.MaxEncodedBytes)
        {
            // Grows to what the run needs (a capture of a few flows never takes the whole run's room).
            long wanted = Math.Max(Math.Min(2L * _buffer.Length, (long)RunLength * FlowRecord.MaxEncodedBytes), _bufferBytes + FlowRecord.MaxEncodedBytes);
            Array.Resize(ref _buffer, (int)wanted);
        }
        if (_entryCount == _entries.Length)
        {
            var grown = new Entry[Math.Min(Math.Max(16, 2 * _entries.Length), RunLength)];
            Array.Copy(_entries, grown, _entryCount);
            _entries = grown;
        }
        return _buffer.AsSpan(_bufferBytes);
    }

    /// <summary>Notes the record just written at the free end of the buffer.</summary>
    private void Added(int id, int length)
    {
        _entries[_entryCount++] = new Entry(id, _bufferBytes, length);
        _bufferBytes += length;
    }

    private FlowSummary Buffered(int entry, FlowSummaryPool? reuse)
    {
        Entry e = _entries[entry];
        return FlowRecord.ReadInto(_buffer.AsSpan(e.Offset, e.Length), reuse?.Rent() ?? new FlowSummary(), out _, reuse);
    }

    // Through buffers kept for the next run: a run's sort otherwise copied it anew every RunLength flows.
    private void SortEntries() => StableSort.Sort(_entries, 0, _entryCount, new ById(), _sortBuffers);

    private readonly SortBuffers<Entry> _sortBuffers = new();

    // A record of the run being gathered. Structs of this class's own and its own sort, not value tuples and
    // Span.Sort: those are the framework's generic code over our types, compiled at run time (ValueList says why).
    private readonly record struct Entry(int Id, int Offset, int Length);

    private readonly struct ById : IOrder<Entry>
    {
        public bool Before(in Entry a, in Entry b) => a.Id < b.Id;
    }

    // A run written to the file: where it starts, its records, its bytes.
    private readonly record struct Run(long Offset, int Count, long Bytes);

    /// <summary>
    /// Deletes the spool files in <paramref name="directory"/> of processes no longer running (killed outright, so
    /// their files were never closed): a million flows' spool is hundreds of megabytes. A file of a running process,
    /// or one that cannot be deleted, stays.
    /// </summary>
    internal static void RemoveOrphans(string directory)
    {
        try
        {
            foreach (string path in Directory.EnumerateFiles(directory, ".pcapinsight-flows-*.spool"))
            {
                string[] parts = Path.GetFileName(path).Split('-');
                if (parts.Length == 4 && int.TryParse(parts[2], out int pid) && pid != Environment.ProcessId && !IsRunning(pid))
                {
                    File.Delete(path);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left for the next run, or for deleting by hand.
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    private void WriteRun()
    {
        SortEntries();
        if (_file is null)
        {
            Directory.CreateDirectory(_directory);
            RemoveOrphans(_directory);
            string path = Path.Combine(_directory, $".pcapinsight-flows-{Environment.ProcessId}-{Guid.NewGuid():N}.spool");
            _file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, 1, FileOptions.DeleteOnClose);
            _writer = new BufferedStream(_file, 65_536);
        }
        long offset = _file.Length;
        for (int i = 0; i < _entryCount; i++)
        {
            _writer!.Write(_buffer, _entries[i].Offset, _entries[i].Length);
        }
        _writer!.Flush();
        _runs.Add(new Run(offset, _entryCount, _file.Length - offset));
        _entryCount = 0;
        _bufferBytes = 0;
    }

}
