using PcapInsight.Core.Decoding;

namespace PcapInsight.Core.Fragments;

/// <summary>What fragments.csv says of one fragmented datagram (a copy: the reassembler reuses its objects).</summary>
public sealed record DatagramRecord(
    long FirstTimeNs, long LastTimeNs, byte IpVersion, IpAddr Src, IpAddr Dst, uint IpId, byte Protocol, int Fragments, int Bytes,
    FragmentStatus Status, string Missing, int OverlapBytes, int ConflictBytes, int LargestFragment, long FirstFrame, int FirstFile, string Ended, string PolicyGroups = "", int TinyFragments = 0,
    bool CarriedTunnel = false);
