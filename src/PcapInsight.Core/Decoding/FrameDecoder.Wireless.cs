using System.Buffers.Binary;
using PcapInsight.Core.Capture;

namespace PcapInsight.Core.Decoding;

/// <summary>
/// IEEE 802.11 data frames: captured on a Wi-Fi interface in monitor mode (link type 105, or 127 with a radiotap
/// header, or 192 with a PPI header), or carried from an access point to its controller inside Aruba's GRE.
/// </summary>
/// <remarks>
/// Only what carries a datagram is read: a data frame, unprotected (an encrypted body is not IP to us), not a
/// fragment of a larger MSDU, with an LLC/SNAP header and its EtherType. Management and control frames (beacons,
/// probes, ACKs), null data and protected frames count as not IP, as they are for the analysis.
/// </remarks>
public static partial class FrameDecoder
{
    private static void DecodeIeee80211(ReadOnlySpan<byte> frame, int start, ref DecodedPacket p)
    {
        if (frame.Length < start + 24)
        {
            SetLinkTruncated(ref p);
            return;
        }
        byte control = frame[start];
        byte flags = frame[start + 1];
        int type = (control >> 2) & 0x03;
        int subtype = control >> 4;
        bool qos = (subtype & 0x08) != 0;
        // Data (type 2) with a body (null-function subtypes have none), not encrypted, not a fragment: more fragments
        // flag clear and fragment number 0 (the sequence control's low nibble).
        if (type != 2 || (subtype & 0x04) != 0 || (flags & 0x40) != 0 || (flags & 0x04) != 0
            || (frame[start + 22] & 0x0F) != 0)
        {
            p.Status = DecodeStatus.NotIp;
            return;
        }
        int header = 24;
        if ((flags & 0x03) == 0x03)
        {
            header += 6; // to and from the distribution system: a fourth address
        }
        if (qos)
        {
            header += 2;
            if ((flags & 0x80) != 0)
            {
                header += 4; // HT control, present in a QoS data frame with the order bit
            }
        }
        int llc = start + header;
        if (frame.Length < llc + 8)
        {
            SetLinkTruncated(ref p);
            return;
        }
        if (frame[llc] != 0xAA || frame[llc + 1] != 0xAA || frame[llc + 2] != 0x03)
        {
            p.Status = DecodeStatus.NotIp;
            return;
        }
        DecodeEtherType(frame, BinaryPrimitives.ReadUInt16BigEndian(frame[(llc + 6)..]), llc + 8, ref p);
    }

    private static void DecodeRadiotap(ReadOnlySpan<byte> frame, ref DecodedPacket p)
    {
        // Version 0, a pad byte, the header's length (little-endian, the fields it announces included); 802.11 after it.
        if (frame.Length < 8)
        {
            SetLinkTruncated(ref p);
            return;
        }
        int length = BinaryPrimitives.ReadUInt16LittleEndian(frame[2..]);
        if (frame[0] != 0 || length < 8 || length > frame.Length)
        {
            SetLinkTruncated(ref p);
            return;
        }
        DecodeIeee80211(frame, length, ref p);
    }

    private static void DecodePpi(ReadOnlySpan<byte> frame, ref DecodedPacket p)
    {
        // Per-Packet Information: version 0, flags, the header's length and the link type after it (little-endian).
        if (frame.Length < 8)
        {
            SetLinkTruncated(ref p);
            return;
        }
        int length = BinaryPrimitives.ReadUInt16LittleEndian(frame[2..]);
        var inner = (LinkType)BinaryPrimitives.ReadUInt32LittleEndian(frame[4..]);
        if (frame[0] != 0 || length < 8 || length > frame.Length)
        {
            SetLinkTruncated(ref p);
            return;
        }
        DecodeAfterHeader(frame, length, inner, ref p);
    }

    /// <summary>Aruba's GRE protocol types for the 802.11 frames an access point sends its controller (Zeek and Wireshark register these).</summary>
    private static bool IsArubaWlan(ushort protocol) => protocol is >= 0x8200 and <= 0x8400 && (protocol & 0x000F) == 0;
}
