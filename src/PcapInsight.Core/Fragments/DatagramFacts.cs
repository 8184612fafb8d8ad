using PcapInsight.Core.Decoding;

namespace PcapInsight.Core.Fragments;

/// <summary>
/// What the flow analysis needs of a fragmented datagram, copied out of the reassembler (which reuses its objects),
/// so that it can travel from the reading thread to a shard.
/// </summary>
internal readonly record struct DatagramFacts(
    byte IpVersion, IpAddr Src, IpAddr Dst, uint IpId, ushort SrcPort, ushort DstPort, ushort VlanId,
    long FirstTimeNs, long LastTimeNs, long FirstFrame, int FirstFile, int Fragments, int Bytes, int LargestFragment, string Missing,
    bool CarriedTunnel = false, bool TunnelCandidate = false)
{
    // CarriedTunnel: the datagram was a tunnel's (GRE, VXLAN...), and the decoder opened it after reassembly; the
    // datagram analysed is the one inside, which was not fragmented itself. TunnelCandidate: its protocol or ports are a
    // tunnel's, so its first fragment counted in no flow (CarriedTunnel implies it).

    public static DatagramFacts Of(FragmentedDatagram d, string missing) => new(
        d.Key.IpVersion, d.Key.Src, d.Key.Dst, d.Key.Id, d.SrcPort, d.DstPort, d.VlanId,
        d.FirstTimeNs, d.LastTimeNs, d.FirstFrame, d.FirstFile, d.Fragments,
        d.TotalLength >= 0 ? d.TotalLength : d.ReceivedBytes, d.LargestFragment, missing);

    /// <summary>
    /// A complete datagram that would have fitted whole in the largest fragment the path carried (its payload and an
    /// IP header without options, and for IPv6 without the fragment header, within that fragment's size): it was not
    /// too large for the path, its sender or a crafted capture split it anyway (Suricata's fragment spray: 16-byte UDP
    /// datagrams in 64-byte fragments). An incomplete one counts as too large: its size is not known.
    /// </summary>
    public bool FitsWhole => Missing.Length == 0 && Bytes + (IpVersion == 6 ? 40 + 8 : 20) <= LargestFragment;

    /// <summary>The headers that name a UDP datagram's flow (its first fragment gave the ports), to look the flow up by.</summary>
    public DecodedPacket FlowPacket() => new()
    {
        IpVersion = IpVersion, Src = Src, Dst = Dst, Protocol = 17, SrcPort = SrcPort, DstPort = DstPort, HasPorts = true, VlanId = VlanId,
    };
}

/// <summary>Receives a datagram rebuilt from its fragments, decoded as <paramref name="whole"/> over <paramref name="payload"/>.</summary>
internal delegate void ReassembledDatagramHandler(in DecodedPacket whole, in DatagramFacts facts, ReadOnlySpan<byte> payload, in Capture.CaptureInfo info);
