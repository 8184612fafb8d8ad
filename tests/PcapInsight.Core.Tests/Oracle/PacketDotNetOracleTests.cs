using System.Net;
using PacketDotNet;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using PcapInsight.TestKit;
using Xunit;
using Xunit.Abstractions;

namespace PcapInsight.Core.Tests.Oracle;

/// <summary>
/// Decodes every frame of every sample and corpus capture with both our decoder and PacketDotNet, and requires
/// them to agree on addresses, ports, seq, ack, flags, window, payload length, IP id and fragment fields wherever
/// PacketDotNet parses the frame without throwing. Where PacketDotNet is known to be wrong the comparison is
/// skipped for that field with the reason in <see cref="CompareFrame"/>.
/// </summary>
public class PacketDotNetOracleTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> SampleFiles() =>
        Directory.GetFiles(RepoPaths.SampleCaptures).Where(f => f.EndsWith(".pcap", StringComparison.Ordinal) || f.EndsWith(".pcapng", StringComparison.Ordinal))
            .Select(f => new object[] { Path.GetFileName(f) });

    [Theory]
    [MemberData(nameof(SampleFiles))]
    public void Decode_SampleCapture_AgreesWithPacketDotNet(string file) => CompareFile(RepoPaths.Sample(file), requireCompared: true);

    [CorpusTheory]
    [MemberData(nameof(CorpusManifest.FileNames), MemberType = typeof(CorpusManifest))]
    public void Decode_CorpusCapture_AgreesWithPacketDotNet(string file) => CompareFile(CorpusManifest.Get(file).Path, requireCompared: false);

    private void CompareFile(string path, bool requireCompared)
    {
        IPacketSource source;
        try
        {
            source = CaptureFile.Open(path);
        }
        catch (CaptureFormatException)
        {
            return; // not a capture we read; the corpus tests hold the reason
        }
        var disagreements = new List<string>();
        int compared = 0;
        int oracleThrew = 0;
        var p = new DecodedPacket();
        using (source)
        {
            while (source.TryRead(out CaptureInfo info, out ReadOnlySpan<byte> data))
            {
                // Tunnels shut: PacketDotNet reads the outer datagram (CorpusTunnelTests holds the inner ones to tshark's).
                FrameDecoder.Decode(data, info.LinkType, ref p, tunnelDepth: 0);
                if (p.Status != DecodeStatus.Ok || p.IpVersion == 0 || !ToLinkLayer(info.LinkType, out LinkLayers link))
                {
                    continue;
                }
                Packet oracle;
                try
                {
                    oracle = Packet.ParsePacket(link, data.ToArray());
                }
                catch (Exception)
                {
                    oracleThrew++;
                    continue;
                }
                try
                {
                    if (CompareFrame(p, oracle, info.FrameNumber, disagreements))
                    {
                        compared++;
                    }
                }
                catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
                {
                    oracleThrew++; // PacketDotNet parses lazily: its exceptions can surface on a property read
                }
            }
        }
        output.WriteLine($"{Path.GetFileName(path)}: {compared} frames compared, {oracleThrew} where PacketDotNet threw");
        Assert.True(disagreements.Count == 0, $"{Path.GetFileName(path)}: {disagreements.Count} disagreements, first: {string.Join("; ", disagreements.Take(5))}");
        if (requireCompared)
        {
            Assert.True(compared > 0, "no frame was compared");
        }
    }

    /// <summary>Compares one frame; returns false when PacketDotNet found no IP layer to compare with.</summary>
    private static bool CompareFrame(in DecodedPacket p, Packet oracle, long frame, List<string> disagreements)
    {
        var ip = oracle.Extract<IPPacket>();
        if (ip is null)
        {
            return false;
        }
        void Check<T>(string field, T ours, T theirs)
        {
            if (!EqualityComparer<T>.Default.Equals(ours, theirs))
            {
                disagreements.Add($"frame {frame} {field}: ours {ours}, PacketDotNet {theirs}");
            }
        }
        if (ip.Version == IPVersion.IPv4 && p.IpVersion != 4 || ip.Version == IPVersion.IPv6 && p.IpVersion != 6)
        {
            // PacketDotNet found the first IP header of a tunnel or a different layer; compare only like with like.
            return false;
        }
        Check("src", p.Src.ToString(), ip.SourceAddress.ToString());
        Check("dst", p.Dst.ToString(), ip.DestinationAddress.ToString());
        if (ip is IPv4Packet v4)
        {
            Check("ip.id", p.IpId, (uint)v4.Id);
            Check("ip.frag_offset", p.FragmentOffset, v4.FragmentOffset * 8);
            Check("ip.mf", p.MoreFragments, (v4.FragmentFlags & 0x1) != 0);
            Check("ip.df", p.DontFragment, (v4.FragmentFlags & 0x2) != 0);
            Check("ip.proto", p.Protocol, (byte)v4.Protocol);
        }
        if (p.IsFragment || p.HasIpv6FragmentHeader)
        {
            // PacketDotNet does not reassemble: it reads a fragment's payload as if it were a whole transport
            // header (for later fragments, random bytes). Only the IP fields above are comparable.
            return true;
        }
        if (p.Protocol == 6 && p.HasTransport && oracle.Extract<TcpPacket>() is { } tcp && ReferenceEquals(tcp.ParentPacket, ip))
        {
            Check("tcp.srcport", p.SrcPort, tcp.SourcePort);
            Check("tcp.dstport", p.DstPort, tcp.DestinationPort);
            Check("tcp.seq", p.Seq, tcp.SequenceNumber);
            Check("tcp.ack", p.Ack, tcp.AcknowledgmentNumber);
            Check("tcp.flags", (ushort)p.Flags, (ushort)tcp.Flags);
            Check("tcp.window", p.Window, tcp.WindowSize);
            Check("tcp.hdr_len", p.TcpHeaderLength, tcp.DataOffset * 4);
            // PacketDotNet's payload is what the frame holds after the header, bounded by the IP length. A BIG TCP
            // (or TSO) IPv4 datagram has total length 0 and is longer than 65535 bytes: we take the frame length,
            // as the kernel that wrote it does; PacketDotNet wraps the length modulo 65536.
            // Where the IP length runs past the frame (or past a PPPoE length), we clamp to what was on the wire,
            // as tshark does; PacketDotNet keeps whatever bytes follow.
            if (p.IpTotalLength <= 65535 && !p.IpLengthExceedsFrame)
            {
                Check("tcp.captured_len", p.CapturedPayloadLength, tcp.PayloadData?.Length ?? 0);
            }
        }
        else if (p.Protocol == 17 && p.HasTransport && oracle.Extract<UdpPacket>() is { } udp && ReferenceEquals(udp.ParentPacket, ip))
        {
            Check("udp.srcport", p.SrcPort, udp.SourcePort);
            Check("udp.dstport", p.DstPort, udp.DestinationPort);
            // PacketDotNet returns the 16-bit UDP length as a signed short: lengths above 32767 come back negative.
            Check("udp.length", p.UdpLength, unchecked((ushort)udp.Length));
        }
        return true;
    }

    private static bool ToLinkLayer(LinkType link, out LinkLayers layers)
    {
        LinkLayers? mapped = link switch
        {
            LinkType.Ethernet => LinkLayers.Ethernet,
            LinkType.LinuxSll => LinkLayers.LinuxSll,
            LinkType.LinuxSll2 => LinkLayers.LinuxSll2,
            LinkType.Null => LinkLayers.Null,
            LinkType.Loop => LinkLayers.Loop,
            LinkType.Raw => LinkLayers.RawLegacy,
            LinkType.Ppp => LinkLayers.Ppp,
            _ => null,
        };
        layers = mapped.GetValueOrDefault();
        return mapped is not null;
    }
}
