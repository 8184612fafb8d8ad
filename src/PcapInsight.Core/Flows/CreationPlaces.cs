using PcapInsight.Core.Collections;

namespace PcapInsight.Core.Flows;

/// <summary>
/// Where in the capture each flow of a shard's table was created (<see cref="FlowTable.CreationOrder"/>), in the order
/// of their ids: what numbers the flows of a sharded run as one analyzer numbers them (<see cref="Analysis.FlowNumbering"/>).
/// </summary>
/// <remarks>
/// Kept for every flow the shard ever created, so it grows with the capture, not with what is live: each place is
/// stored as its distance from the one before, a variable-length number (LEB128) in segments of bytes. A capture of
/// back-to-back new flows takes about one byte a flow, where a list of longs took 8 and up to 16 while doubling (with
/// the report's map of ids, 20 to 24 bytes a flow: a two-thread run of a scan of 32 million flows peaked at 959 MiB
/// against 247 MiB on one thread, bench/RESULTS.md). Read back in order only, by <see cref="Reader"/>.
/// </remarks>
internal sealed class CreationPlaces
{
    private readonly SegmentedList<byte> _bytes = new();
    private long _last;

    /// <summary>Places added: the shard's flows created so far.</summary>
    public int Count { get; private set; }

    /// <summary>Bytes the places take.</summary>
    public long Bytes => _bytes.Count;

    /// <summary>Adds the place of the next flow: never before the last one's (places grow with the capture).</summary>
    public void Add(long place)
    {
        if (place < _last)
        {
            throw new ArgumentOutOfRangeException(nameof(place), place, $"a flow's place comes after the last one's ({_last})");
        }
        ulong delta = (ulong)(place - _last);
        _last = place;
        while (delta >= 0x80)
        {
            _bytes.Add((byte)(delta | 0x80));
            delta >>= 7;
        }
        _bytes.Add((byte)delta);
        Count++;
    }

    /// <summary>A reader of the places from the first.</summary>
    public Reader Read() => new(this);

    /// <summary>The places in order, one <see cref="TryNext"/> a flow (id 1 first).</summary>
    internal struct Reader(CreationPlaces places)
    {
        private int _at;      // the next byte
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
            SegmentedList<byte> bytes = places._bytes;
            ulong delta = 0;
            int shift = 0;
            byte b;
            do
            {
                b = bytes[_at++];
                delta |= (ulong)(b & 0x7F) << shift;
                shift += 7;
            }
            while (b >= 0x80);
            _place += (long)delta;
            _read++;
            place = _place;
            return true;
        }
    }
}
