using PcapInsight.Core.Capture;
using PcapInsight.Core.Collections;
using PcapInsight.Core.Decoding;

namespace PcapInsight.Core.Fragments;

/// <summary>
/// Rebuilds IPv4 and IPv6 datagrams from their fragments, in bounded memory: at most
/// <see cref="FragmentOptions.MaxDatagrams"/> datagrams and <see cref="FragmentOptions.MaxBytes"/> bytes at once
/// (past either, the oldest is given up and counted), each given up when its timeout passes in capture time. Every
/// datagram, complete or not, is handed to <see cref="Finished"/> exactly once.
/// </summary>
public sealed class IpReassembler
{
    private readonly FragmentOptions _options;
    private readonly long _v4TimeoutNs;
    private readonly long _v6TimeoutNs;
    private readonly ValueMap<FragmentKey, FragmentedDatagram> _open = new();
    // Open datagrams by age, oldest first, linked through the datagrams themselves: no node a datagram.
    private FragmentedDatagram? _oldest;
    private FragmentedDatagram? _newest;
    private readonly Stack<FragmentedDatagram> _pool = new();
    private long _bytes;

    // What a datagram can hold without a flood: 64 KiB of payload, the log of its fragments as much again with some
    // copies, the lists of a few thousand fragments. Only past this is a datagram given up for the byte limit alone.
    private const long MostAnHonestDatagramHolds = 1L << 20;

    // Whatever --max-frag-bytes allows: a datagram's log is one array with 32-bit offsets.
    private const long MostOneDatagramMayHold = 1L << 30;

    public IpReassembler(FragmentOptions options)
    {
        _options = options;
        _v4TimeoutNs = (long)options.Ipv4Timeout.TotalMilliseconds * 1_000_000;
        _v6TimeoutNs = (long)options.Ipv6Timeout.TotalMilliseconds * 1_000_000;
    }

    /// <summary>Called once per datagram when it completes, times out, is evicted or the capture ends; <c>reason</c> says which.</summary>
    public Action<FragmentedDatagram, string>? Finished { get; set; }

    /// <summary>Datagrams given up because a limit was reached.</summary>
    public long Evicted { get; private set; }

    /// <summary>Bytes held now.</summary>
    public long BytesHeld => _bytes;

    /// <summary>Datagrams being reassembled now.</summary>
    public int Open => _open.Count;

    /// <summary>
    /// Adds the fragment <paramref name="p"/> of <paramref name="frame"/>. Returns the datagram when this fragment
    /// completed it (valid until the next call); it has then already been handed to <see cref="Finished"/>.
    /// </summary>
    public FragmentedDatagram? Add(ReadOnlySpan<byte> frame, in DecodedPacket p, in CaptureInfo info)
    {
        ReleasePending();
        int payloadStart = p.NetworkOffset + p.IpHeaderLength;
        int length = Math.Max(0, p.IpTotalLength - p.IpHeaderLength);
        ReadOnlySpan<byte> captured = payloadStart < frame.Length ? frame[payloadStart..Math.Min(frame.Length, payloadStart + length)] : [];
        var key = new FragmentKey(p.IpVersion, p.Src, p.Dst, p.IpId, p.IpVersion == 4 ? p.Protocol : (byte)0);
        long t = info.TimestampNs;

        if (!_open.TryGetValue(key, out FragmentedDatagram? datagram))
        {
            while (_open.Count >= _options.MaxDatagrams)
            {
                Give(_oldest!, "evicted");
                Evicted++;
            }
            datagram = _pool.Count > 0 ? _pool.Pop() : new FragmentedDatagram();
            datagram.Begin(key, t, info.FrameNumber, info.FileIndex);
            _open.TryAdd(key, datagram);
            AppendNewest(datagram);
        }
        datagram.VlanId = p.VlanId;
        if (p.FragmentOffset == 0 && p.HasPorts)
        {
            datagram.HasPorts = true;
            datagram.SrcPort = p.SrcPort;
            datagram.DstPort = p.DstPort;
        }
        _bytes += datagram.Add(t, p.Protocol, p.FragmentOffset, captured, length, !p.MoreFragments, p.IpTotalLength, p.IpVersion == 4 && p.DontFragment, _options.TinyBytes);
        while (_bytes > _options.MaxBytes && _oldest is { } oldest && !ReferenceEquals(oldest, datagram))
        {
            Give(oldest, "evicted");
            Evicted++;
        }
        if (datagram.IsComplete)
        {
            datagram.ApplyPolicies(_options.Policy);
            Give(datagram, "complete", keepBytes: true);
            return datagram;
        }
        if (datagram.HeldBytes > MostAnHonestDatagramHolds && (_bytes > _options.MaxBytes || datagram.HeldBytes > MostOneDatagramMayHold))
        {
            // Alone past the limit: the same fragments sent over and over (each copy is logged to replay the
            // policies). Given up like the oldest, or one datagram would grow without bound.
            Give(datagram, "evicted");
            Evicted++;
        }
        return null;
    }

    /// <summary>Gives up the datagrams whose timeout has passed at capture time <paramref name="nowNs"/>.</summary>
    public void Expire(long nowNs)
    {
        while (_oldest is { } d)
        {
            long timeout = d.Key.IpVersion == 4 ? _v4TimeoutNs : _v6TimeoutNs;
            if (nowNs - d.FirstTimeNs <= timeout)
            {
                return;   // the list is in order of first fragment; later ones are younger
            }
            Give(d, "timeout");
        }
    }

    /// <summary>The capture ended: every datagram still open is given up.</summary>
    public void FinishAll()
    {
        while (_oldest is { } oldest)
        {
            Give(oldest, "capture_end");
        }
        ReleasePending();
    }

    private FragmentedDatagram? _pendingRelease;

    private void Give(FragmentedDatagram d, string reason, bool keepBytes = false)
    {
        ReleasePending();
        _open.Remove(d.Key);
        Unlink(d);
        Finished?.Invoke(d, reason);
        if (keepBytes)
        {
            _pendingRelease = d;   // its bytes are read by the caller until the next call
            return;
        }
        _bytes -= d.Release();
        _pool.Push(d);
    }

    private void AppendNewest(FragmentedDatagram d)
    {
        d.Older = _newest;
        d.Newer = null;
        if (_newest is not null)
        {
            _newest.Newer = d;
        }
        _newest = d;
        _oldest ??= d;
    }

    private void Unlink(FragmentedDatagram d)
    {
        if (d.Older is not null)
        {
            d.Older.Newer = d.Newer;
        }
        else
        {
            _oldest = d.Newer;
        }
        if (d.Newer is not null)
        {
            d.Newer.Older = d.Older;
        }
        else
        {
            _newest = d.Older;
        }
        d.Older = d.Newer = null;
    }

    private void ReleasePending()
    {
        if (_pendingRelease is { } d)
        {
            _pendingRelease = null;
            _bytes -= d.Release();
            _pool.Push(d);
        }
    }
}
