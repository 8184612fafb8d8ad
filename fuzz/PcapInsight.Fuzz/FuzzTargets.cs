using System.Buffers.Binary;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Flows;
using PcapInsight.Core.TcpAnalysis;

namespace PcapInsight.Fuzz;

/// <summary>
/// What the fuzzer drives. An input passes when it is analysed or refused as "not a capture"
/// (<see cref="CaptureFormatException"/>, exit code 3 in the CLI); any other exception is a crash, and a run that
/// does not end is a hang. Both become regression captures (fuzz/README.md).
/// </summary>
public static class FuzzTargets
{
    /// <summary>Link types the <c>frames</c> target chooses from with its first byte: every one the decoder knows.</summary>
    private static readonly LinkType[] LinkTypes = Enum.GetValues<LinkType>();

    /// <summary>
    /// The whole file path, as <c>pcapinsight analyze</c> and <c>follow</c> take it: reader (pcap, pcapng, gzip),
    /// decoder, flow table, TCP analyses, IP reassembly, UDP analyses, and the TCP stream assembler on the client
    /// side of the first TCP flow.
    /// </summary>
    public static void Capture(Stream input)
    {
        IPacketSource source;
        try
        {
            source = CaptureFile.Open(input, "fuzz");
        }
        catch (CaptureFormatException)
        {
            return; // refused with a message: the defined outcome for a file that is not a capture
        }
        using (source)
        {
            // A small hold limit so the assembler's overflow path is reached by small inputs too.
            var assembler = new TcpStreamAssembler(Stream.Null, maxHeldBytes: 64 << 10, recentBytes: 4 << 10);
            long followed = -1;
            var analyzer = new CaptureAnalyzer
            {
                OnTcpSegment = (Flow flow, bool fromClient, in DecodedPacket p, ReadOnlySpan<byte> frame) =>
                {
                    if (followed < 0)
                    {
                        followed = flow.Id;
                    }
                    if (flow.Id == followed && fromClient)
                    {
                        assembler.Add(p.Seq, (p.Flags & TcpFlags.Syn) != 0, frame.Slice(p.PayloadOffset, p.CapturedPayloadLength), p.PayloadLength);
                    }
                },
            };
            analyzer.RunAll(source, [source.Stats]);
            assembler.Finish();
        }
    }

    /// <summary>
    /// Frames without a file around them, so that mutations land in packet bytes rather than in record headers.
    /// Layout: one byte choosing the link type, then records of [time step in 10 ms units: 1 byte]
    /// [length: 2 bytes, big-endian] [frame bytes]. Turned into a pcap and analysed as <see cref="Capture"/> does,
    /// so a crash it finds is already a capture file.
    /// </summary>
    public static void Frames(ReadOnlySpan<byte> input) => Capture(new MemoryStream(FramesToPcap(input), writable: false));

    /// <summary>Writes the <see cref="Frames"/> layout as a nanosecond pcap.</summary>
    public static byte[] FramesToPcap(ReadOnlySpan<byte> input)
    {
        var output = new MemoryStream();
        LinkType linkType = input.Length > 0 ? LinkTypes[input[0] % LinkTypes.Length] : LinkType.Ethernet;
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xA1B23C4D); // pcap, nanosecond timestamps
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], 262_144);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], (uint)linkType);
        output.Write(header);
        long t = 1_700_000_000_000_000_000;
        Span<byte> record = stackalloc byte[16];
        int i = 1;
        while (i + 3 <= input.Length)
        {
            t += input[i] * 10_000_000L;
            int length = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(input[(i + 1)..]), input.Length - i - 3);
            ReadOnlySpan<byte> frame = input.Slice(i + 3, length);
            i += 3 + length;
            BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)(t / 1_000_000_000));
            BinaryPrimitives.WriteUInt32LittleEndian(record[4..], (uint)(t % 1_000_000_000));
            BinaryPrimitives.WriteUInt32LittleEndian(record[8..], (uint)frame.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(record[12..], (uint)frame.Length);
            output.Write(record);
            output.Write(frame);
        }
        return output.ToArray();
    }
}
