using System.Runtime.CompilerServices;

namespace PcapInsight.Core.TcpAnalysis;

/// <summary>
/// Up to eight gaps in one direction's sequence space ("previous segment not captured"), so a later segment that
/// fills one can be told apart from a resend of bytes already seen. Inline storage: no allocation. When full, the
/// oldest gap is forgotten (a later filler of it is then called a retransmission).
/// </summary>
internal struct SequenceHoles
{
    private const int Capacity = 8;
    private Edges _edges;   // start at 2i, end at 2i+1
    private int _count;

    [InlineArray(Capacity * 2)]
    private struct Edges
    {
        private uint _value;
    }

    public readonly int Count => _count;

    /// <summary>Remembers the gap [start, end).</summary>
    public void Add(SeqNum start, SeqNum end)
    {
        if (start >= end)
        {
            return;
        }
        if (_count == Capacity)
        {
            RemoveAt(0);
        }
        _edges[2 * _count] = start.Value;
        _edges[2 * _count + 1] = end.Value;
        _count++;
    }

    /// <summary>
    /// True when [start, end) begins inside a remembered gap; that part of the gap is then filled (the gap shrinks
    /// or splits).
    /// </summary>
    public bool TryFill(SeqNum start, SeqNum end)
    {
        for (int i = 0; i < _count; i++)
        {
            var holeStart = new SeqNum(_edges[2 * i]);
            var holeEnd = new SeqNum(_edges[2 * i + 1]);
            if (start < holeStart || start >= holeEnd)
            {
                continue;
            }
            RemoveAt(i);
            Add(holeStart, start);
            if (end < holeEnd)
            {
                Add(end, holeEnd);
            }
            return true;
        }
        return false;
    }

    private void RemoveAt(int index)
    {
        for (int i = index; i < _count - 1; i++)
        {
            _edges[2 * i] = _edges[2 * i + 2];
            _edges[2 * i + 1] = _edges[2 * i + 3];
        }
        _count--;
    }
}
