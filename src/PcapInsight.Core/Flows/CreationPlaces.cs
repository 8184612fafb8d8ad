namespace PcapInsight.Core.Flows;

/// <summary>
/// Where in the capture each flow of a shard's table was created (<see cref="FlowTable.CreationOrder"/>), in the order
/// of their ids: what numbers the flows of a sharded run as one analyzer numbers them (<see cref="Analysis.FlowNumbering"/>).
/// </summary>
/// <remarks>
/// Kept for every flow the shard ever created, so it grows with the capture, not with what is live: each place is
/// stored as its distance from the one before, a variable-length number (LEB128, the spool's own codec) in blocks of
/// 64 KiB. A capture of back-to-back new flows takes about one byte a flow, where a list of longs took 8 and up to 16
/// while doubling (with the report's map of ids, 20 to 24 bytes a flow: a two-thread run of a scan of 32 million flows
/// peaked at 959 MiB against 247 MiB on one thread, bench/RESULTS.md). Read back in order only, by <see cref="Reader"/>.
/// </remarks>
internal sealed class CreationPlaces
{
    // Blocks below the large-object size; a place never straddles two (a block ends early when the next might not fit).
    private const int BlockBytes = 64 * 1024;
    private const int MaxPlaceBytes = 10;   // a 64-bit LEB128 number

    private readonly List<byte[]> _blocks = [];
    private readonly List<int> _lengths = [];   // the bytes written in each block
    private long _last;

    /// <summary>Places added: the shard's flows created so far.</summary>
    public int Count { get; private set; }

    /// <summary>Bytes the places take.</summary>
    public long Bytes { get; private set; }

    /// <summary>Adds the place of the next flow: never before the last one's (places grow with the capture).</summary>
    public void Add(long place)
    {
        if (place < _last)
        {
            throw new ArgumentOutOfRangeException(nameof(place), place, $"a flow's place comes after the last one's ({_last})");
        }
        if (_blocks.Count == 0 || BlockBytes - _lengths[^1] < MaxPlaceBytes)
        {
            _blocks.Add(new byte[BlockBytes]);
            _lengths.Add(0);
        }
        // The spool's own variable-length numbers (ByteWriter, ByteCursor): the distance from the last place.
        var writer = new ByteWriter(_blocks[^1].AsSpan(_lengths[^1]));
        writer.WriteVar((ulong)(place - _last));
        _lengths[^1] += writer.Position;
        Bytes += writer.Position;
        _last = place;
        Count++;
    }

    /// <summary>A reader of the places from the first.</summary>
    public Reader Read() => new(this);

    /// <summary>The places in order, one <see cref="TryNext"/> a flow (id 1 first).</summary>
    internal struct Reader(CreationPlaces places)
    {
        private int _block;   // the block being read
        private int _at;      // the next byte in it
        private int _read;    // places read
        private long _place;

        /// <summary>The next flow's place; false past the last.</summary>
        public bool TryNext(out long place)
        {
            if (_read >= places.Count)
            {
                place = 0;
                return false;
            }
            if (_at >= places._lengths[_block])
            {
                _block++;
                _at = 0;
            }
            var cursor = new ByteCursor(places._blocks[_block].AsSpan(_at, places._lengths[_block] - _at));
            _place += (long)cursor.VarUInt64();
            _at += cursor.Position;
            _read++;
            place = _place;
            return true;
        }
    }
}
