namespace PcapInsight.Core.Flows;

/// <summary>
/// Keeps the summaries of flows released from memory on disk, and gives them back in id order, so that a report
/// lists every flow of a capture of millions while memory holds only the live ones.
/// </summary>
/// <remarks>
/// Flows are released in the order they end, not the order they began (their ids). The spool is an external merge
/// sort: summaries gather in a buffer of <see cref="RunLength"/>; a full buffer is sorted by id and appended to the
/// file as one run; reading merges the runs and the buffer with a priority queue. Memory: one buffer, plus a 16 KiB
/// read buffer a run while reading. The file (<c>.pcapinsight-flows-*.spool</c>, hidden) is deleted when the spool is
/// disposed or its handle finalized (<see cref="FileOptions.DeleteOnClose"/>); a process killed outright leaves it
/// behind, and it may then be deleted by hand.
/// </remarks>
public sealed class FlowSpool : IDisposable
{
    private readonly string _directory;
    private readonly List<FlowSummary> _buffer = new();
    private readonly List<(long Offset, int Count, long Bytes)> _runs = new();
    private FileStream? _file;
    private BinaryWriter? _writer;

    /// <summary>A spool whose file, when one is needed, goes into <paramref name="directory"/>.</summary>
    public FlowSpool(string directory, int runLength = 65_536)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(runLength, 1);
        _directory = directory;
        RunLength = runLength;
    }

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

    /// <summary>Adds the summary of a released flow.</summary>
    public void Add(FlowSummary summary)
    {
        if (Failure is not null)
        {
            Lost++;
            return;
        }
        _buffer.Add(summary);
        Count++;
        if (_buffer.Count >= RunLength)
        {
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
                Lost += _buffer.Count;
                Count -= _buffer.Count;
                _buffer.Clear();
            }
        }
    }

    /// <summary>Every spooled summary, in id order. Each enumeration reads the file anew; do not <see cref="Add"/> meanwhile.</summary>
    public IEnumerable<FlowSummary> ReadSorted()
    {
        _buffer.Sort(ById);
        if (_runs.Count == 0)
        {
            foreach (FlowSummary s in _buffer)
            {
                yield return s;
            }
            yield break;
        }
        var readers = new List<(BinaryReader Reader, int Left)>();
        try
        {
            var queue = new PriorityQueue<(FlowSummary Summary, int Source), int>();
            foreach ((long offset, int count, _) in _runs)
            {
                var stream = new FileStream(_file!.Name, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 16_384);
                stream.Position = offset;
                var reader = new BinaryReader(stream);
                readers.Add((reader, count));
            }
            for (int i = 0; i < readers.Count; i++)
            {
                Enqueue(queue, readers, i);
            }
            int next = 0;
            while (queue.Count > 0 || next < _buffer.Count)
            {
                bool fromBuffer = next < _buffer.Count && (queue.Count == 0 || _buffer[next].Id < queue.Peek().Summary.Id);
                if (fromBuffer)
                {
                    yield return _buffer[next++];
                    continue;
                }
                (FlowSummary summary, int source) = queue.Dequeue();
                Enqueue(queue, readers, source);
                yield return summary;
            }
        }
        finally
        {
            foreach ((BinaryReader reader, _) in readers)
            {
                reader.Dispose();
            }
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
                _file?.SetLength(_runs[^1].Offset + _runs[^1].Bytes);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Nothing more to free; the file goes at Dispose.
        }
    }

    private static void Enqueue(PriorityQueue<(FlowSummary, int), int> queue, List<(BinaryReader Reader, int Left)> readers, int i)
    {
        (BinaryReader reader, int left) = readers[i];
        if (left == 0)
        {
            return;
        }
        readers[i] = (reader, left - 1);
        FlowSummary s = FlowSummary.Read(reader);
        queue.Enqueue((s, i), s.Id);
    }

    private void WriteRun()
    {
        _buffer.Sort(ById);
        if (_file is null)
        {
            Directory.CreateDirectory(_directory);
            string path = Path.Combine(_directory, $".pcapinsight-flows-{Environment.ProcessId}-{Guid.NewGuid():N}.spool");
            _file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, 1, FileOptions.DeleteOnClose);
            _writer = new BinaryWriter(new BufferedStream(_file, 65_536));
        }
        _writer!.Flush();
        long offset = _file.Length;
        foreach (FlowSummary s in _buffer)
        {
            s.Write(_writer);
        }
        _writer.Flush();
        _runs.Add((offset, _buffer.Count, _file.Length - offset));
        _buffer.Clear();
    }

    private static readonly Comparison<FlowSummary> ById = (a, b) => a.Id.CompareTo(b.Id);
}
