using System.Buffers.Binary;

namespace PcapInsight.Core.UdpAnalysis;

/// <summary>
/// What one direction of a UDP flow's sequence numbers prove: for RTP (found heuristically) or a user-named
/// counter, loss, duplicates, reordering and RFC 3550 jitter. A value inside its flow's <see cref="UdpFlowStats"/>, not
/// an object of its own (two objects fewer a UDP flow for the collector); read through read-only references.
/// </summary>
public struct UdpStream
{
    /// <summary>A direction that has seen nothing (the RTP candidate and the payload type unknown: -1).</summary>
    public UdpStream() { }

    private const int RtpConfirmations = 4;

    // RTP detection: a candidate SSRC and payload type that must repeat with close sequence numbers. As narrow as the
    // values are (a payload type is 7 bits, the run counts to RtpConfirmations): every UDP flow carries two of these.
    private uint _candidateSsrc;
    private sbyte _candidatePt = -1;
    private ushort _candidateSeq;
    private byte _candidateRun;

    // What a direction whose sequence numbers are followed keeps, out of line: made when RTP is confirmed or a
    // --udp-seq number is read. Most UDP flows (DNS, QUIC, syslog) never have one, and inline these fields were a
    // sixth of a UDP flow's memory (bench/RESULTS.md: a resolver's capture is a UDP flow every two frames).
    private Followed? _followed;

    private sealed class Followed(string kind, SequenceTracker tracker)
    {
        public readonly string Kind = kind;
        public readonly SequenceTracker Tracker = tracker;
        public uint Ssrc { get; init; }
        public int PayloadType { get; init; } = -1;
        public int ClockRate { get; init; }
        // RFC 3550 jitter, in RTP timestamp units: what changes as datagrams come
        public bool HaveTransit;
        public double LastTransit;
        public double Jitter;
    }

    /// <summary>"rtp", "custom", or null when the flow carries no sequence the analysis can read.</summary>
    public readonly string? SeqKind => _followed?.Kind;

    /// <summary>The sequence tracker, once numbers were found.</summary>
    public readonly SequenceTracker? Sequence => _followed?.Tracker;

    /// <summary>RTP: the stream's SSRC and payload type.</summary>
    public readonly uint Ssrc => _followed?.Ssrc ?? 0;

    /// <summary>RTP payload type.</summary>
    public readonly int PayloadType => _followed?.PayloadType ?? -1;

    /// <summary>RTP timestamp clock, Hz (from the payload type; 0 when unknown).</summary>
    public readonly int ClockRate => _followed?.ClockRate ?? 0;

    /// <summary>RFC 3550 interarrival jitter at the end of the flow, ms; null when not RTP or the clock is unknown.</summary>
    public readonly double? JitterMs => _followed is { Kind: "rtp", ClockRate: > 0 } f ? f.Jitter / f.ClockRate * 1000 : null;

    /// <summary>
    /// What one datagram costs in a Linux receive buffer: its payload plus the socket buffer's overhead (sk_buff and
    /// its shared info, about 768 bytes on 64-bit kernels); the kernel counts this "truesize", not the payload.
    /// </summary>
    public const int TruesizeOverhead = 768;

    /// <summary>Datagrams closer together than this (ns) belong to one burst. 1 ms: a reader woken per datagram keeps up with slower arrivals.</summary>
    public const long BurstGapNs = 1_000_000;

    // The burst going on and the worst one so far. A burst's truesize is not kept: it is its bytes plus the overhead
    // per datagram (Truesize), and two such fields a direction were an eighth of a UDP flow's figures.
    private long _burstStartNs, _lastNs;
    private long _burstDatagrams, _burstBytes;
    private long _worstDatagrams, _worstBytes, _worstStartNs, _worstEndNs;

    /// <summary>The burst with the most buffer cost: datagrams, payload bytes, estimated truesize, and when it began and ended.</summary>
    public readonly (long Datagrams, long Bytes, long Truesize, long StartNs, long EndNs) WorstBurst =>
        (_worstDatagrams, _worstBytes, Truesize(_worstDatagrams, _worstBytes), _worstStartNs, _worstEndNs);

    /// <summary>What <paramref name="datagrams"/> datagrams of <paramref name="bytes"/> payload bytes in all cost a receive buffer (<see cref="TruesizeOverhead"/>).</summary>
    private static long Truesize(long datagrams, long bytes) => bytes + datagrams * TruesizeOverhead;

    private void TrackBurst(int payloadLength, long timeNs)
    {
        if (_burstDatagrams == 0 || timeNs - _lastNs > BurstGapNs)
        {
            _burstStartNs = timeNs;
            _burstDatagrams = _burstBytes = 0;
        }
        _lastNs = timeNs;
        _burstDatagrams++;
        _burstBytes += payloadLength;
        if (Truesize(_burstDatagrams, _burstBytes) > Truesize(_worstDatagrams, _worstBytes))
        {
            (_worstDatagrams, _worstBytes, _worstStartNs, _worstEndNs) = (_burstDatagrams, _burstBytes, _burstStartNs, timeNs);
        }
    }

    /// <summary>One datagram's payload of this direction (the whole datagram when it was reassembled).</summary>
    internal void OnDatagram(ReadOnlySpan<byte> payload, long timeNs, UdpSequenceSpec? custom, ushort srcPort, ushort dstPort)
    {
        TrackBurst(payload.Length, timeNs);
        if (_followed is { Kind: "rtp" } rtp)
        {
            if (payload.Length >= 12 && BinaryPrimitives.ReadUInt32BigEndian(payload[8..]) == rtp.Ssrc)
            {
                ushort seq = BinaryPrimitives.ReadUInt16BigEndian(payload[2..]);
                bool fresh = rtp.Tracker.Add(seq, timeNs);
                if (fresh && rtp.ClockRate > 0)
                {
                    Jitter(rtp, BinaryPrimitives.ReadUInt32BigEndian(payload[4..]), timeNs);
                }
            }
            return;
        }
        if (_followed is { } numbered)
        {
            if (custom!.TryRead(payload, out ulong n))
            {
                numbered.Tracker.Add(n, timeNs);
            }
            return;
        }
        if (custom is not null && (custom.Port == 0 || custom.Port == srcPort || custom.Port == dstPort) && custom.TryRead(payload, out ulong first))
        {
            _followed = new Followed("custom", new SequenceTracker(custom.Bits));
            _followed.Tracker.Add(first, timeNs);
            return;
        }
        DetectRtp(payload, timeNs);
    }

    /// <summary>
    /// RTP is taken as found when one direction sends <see cref="RtpConfirmations"/> datagrams in a row that look
    /// like RTP version 2 with one SSRC and one payload type and sequence numbers that step by small amounts (RTCP's
    /// packet types 200-204 excluded), as tshark's heuristic RTP dissector does; the counting starts with them.
    /// </summary>
    private void DetectRtp(ReadOnlySpan<byte> payload, long timeNs)
    {
        if (payload.Length < 12 || payload[0] >> 6 != 2 || payload[1] is >= 200 and <= 204)
        {
            _candidateRun = 0;
            return;
        }
        sbyte pt = (sbyte)(payload[1] & 0x7F);
        uint ssrc = BinaryPrimitives.ReadUInt32BigEndian(payload[8..]);
        ushort seq = BinaryPrimitives.ReadUInt16BigEndian(payload[2..]);
        if (_candidateRun > 0 && ssrc == _candidateSsrc && pt == _candidatePt && (ushort)(seq - _candidateSeq) is > 0 and < 100)
        {
            _candidateRun++;
        }
        else
        {
            _candidateRun = 1;
            _candidateSsrc = ssrc;
            _candidatePt = pt;
        }
        _candidateSeq = seq;
        if (_candidateRun < RtpConfirmations)
        {
            return;
        }
        var rtp = new Followed("rtp", new SequenceTracker(16)) { Ssrc = ssrc, PayloadType = pt, ClockRate = StaticClockRate(pt) };
        _followed = rtp;
        // The confirming datagrams count: the tracker starts at the first of the run.
        for (int i = RtpConfirmations - 1; i >= 0; i--)
        {
            rtp.Tracker.Add((ushort)(seq - i), timeNs);
        }
        if (rtp.ClockRate > 0)
        {
            Jitter(rtp, BinaryPrimitives.ReadUInt32BigEndian(payload[4..]), timeNs);
        }
    }

    /// <summary>RFC 3550 6.4.1: J += (|D| - J) / 16, D the difference of transit times, in timestamp units.</summary>
    private static void Jitter(Followed rtp, uint rtpTimestamp, long arrivalNs)
    {
        // In timestamp units, kept fractional: rounding the arrival to whole units would add up to one unit of
        // noise (125 µs at 8 kHz) to every difference.
        double arrival = arrivalNs / 1e9 * rtp.ClockRate;
        double transit = arrival - rtpTimestamp;
        if (rtp.HaveTransit)
        {
            double d = Math.Abs(transit - rtp.LastTransit);
            rtp.Jitter += (d - rtp.Jitter) / 16.0;
        }
        rtp.HaveTransit = true;
        rtp.LastTransit = transit;
    }

    /// <summary>The RTP clock of the static payload types of RFC 3551; 0 for dynamic ones (96-127) and unknown ones.</summary>
    private static int StaticClockRate(int pt) => pt switch
    {
        0 or 3 or 4 or 5 or 7 or 8 or 9 or 12 or 13 or 15 or 18 => 8000,
        6 => 16000,
        10 or 11 => 44100,
        16 => 11025,
        17 => 22050,
        14 or 25 or 26 or 28 or 31 or 32 or 33 or 34 => 90000,
        _ => 0,
    };
}

/// <summary>
/// What a UDP flow carried: datagrams, sizes, fragmentation, and each direction's sequence evidence. One per UDP
/// flow, made with it or reused from a released one.
/// </summary>
public sealed class UdpFlowStats
{
    /// <summary>Largest datagram payload seen, bytes.</summary>
    public int MaxDatagram { get; internal set; }

    /// <summary>Datagrams that arrived in IP fragments.</summary>
    public long FragmentedDatagrams { get; internal set; }

    /// <summary>Datagrams of this flow lost with a fragment (their first fragment came; the datagram never completed).</summary>
    public long LostWithFragment { get; internal set; }

    /// <summary>The flow's first datagram too large for its path has been reported (<c>udp.oversized</c>: one row a flow).</summary>
    internal bool OversizedReported { get; set; }

    // The two directions are values inside the stats: one object a UDP flow's figures instead of three.
    private UdpStream _c2s = new();
    private UdpStream _s2c = new();

    /// <summary>Client to server (a read-only reference into these figures).</summary>
    public ref readonly UdpStream C2S => ref _c2s;

    /// <summary>Server to client.</summary>
    public ref readonly UdpStream S2C => ref _s2c;

    /// <summary>The directions whose sequence numbers are followed.</summary>
    public IEnumerable<(bool FromClient, UdpStream Stream)> Streams()
    {
        if (C2S.Sequence is not null)
        {
            yield return (true, C2S);
        }
        if (S2C.Sequence is not null)
        {
            yield return (false, S2C);
        }
    }

    /// <summary>Queries to port 53 not answered (yet): DNS id → query time and frame.</summary>
    internal Dictionary<ushort, (long TimeNs, long Frame, int File)>? PendingDns;

    /// <summary>
    /// Makes these figures as new, for the next UDP flow of a recycled flow object (<see cref="Flows.Flow.ResetForReuse"/>).
    /// The pending DNS table has been given back by then (the flow's close spares it).
    /// </summary>
    internal void ResetForReuse()
    {
        MaxDatagram = 0;
        FragmentedDatagrams = 0;
        LostWithFragment = 0;
        OversizedReported = false;
        _c2s = new();
        _s2c = new();
        PendingDns = null;
    }

    internal void OnDatagram(ReadOnlySpan<byte> payload, bool fromClient, long timeNs, UdpSequenceSpec? custom, ushort srcPort, ushort dstPort)
    {
        MaxDatagram = Math.Max(MaxDatagram, payload.Length);
        (fromClient ? ref _c2s : ref _s2c).OnDatagram(payload, timeNs, custom, srcPort, dstPort);
    }
}

