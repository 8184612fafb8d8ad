using System.Buffers.Binary;

namespace PcapInsight.Cli.Tests.Robustness;

/// <summary>
/// Deterministic damage to a capture file, as a crash, a bad disk or an attacker would leave it (Wireshark's
/// <c>editcap -E</c> and its fuzz farm): cuts at and around block boundaries, bit flips, and length fields set to 0,
/// to the maximum and past the end. Seeded by the file's name, so a failure names a mutation that can be replayed.
/// </summary>
internal static class CaptureMutator
{
    /// <summary>Every mutation of <paramref name="file"/>: a short name (for the failure message) and the bytes.</summary>
    public static IEnumerable<(string Name, byte[] Bytes)> Mutations(string name, byte[] file, int boundaries = 12, int flips = 24, int lengthFields = 6)
    {
        var rng = new Random(StableHash(name));
        List<(int Offset, int LengthAt)> blocks = Blocks(file);

        // Cuts: at a block's start (a clean end), one byte into it, and inside its header.
        foreach ((int offset, _) in Pick(blocks, boundaries, rng))
        {
            foreach (int cut in (int[])[offset, offset + 1, offset + 7])
            {
                if (cut > 0 && cut < file.Length)
                {
                    yield return ($"cut@{cut}", file[..cut]);
                }
            }
        }
        // Bit flips: half in the first block headers (where lengths and magic live), half anywhere.
        for (int i = 0; i < flips && file.Length > 0; i++)
        {
            byte[] m = (byte[])file.Clone();
            int bits = 1 + rng.Next(8);
            for (int b = 0; b < bits; b++)
            {
                int at = i % 2 == 0 && blocks.Count > 0 ? Math.Min(file.Length - 1, blocks[rng.Next(Math.Min(blocks.Count, 32))].Offset + rng.Next(32)) : rng.Next(file.Length);
                m[at] ^= (byte)(1 << rng.Next(8));
            }
            yield return ($"flip#{i}", m);
        }
        // Length fields: 0, the largest unsigned and signed values, and just past the end of the file.
        foreach ((int offset, int lengthAt) in Pick(blocks, lengthFields, rng))
        {
            foreach (uint value in (uint[])[0, uint.MaxValue, int.MaxValue, (uint)(file.Length - offset + 4), 3])
            {
                byte[] m = (byte[])file.Clone();
                if (lengthAt + 4 <= m.Length)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(m.AsSpan(lengthAt), value);
                    yield return ($"len@{lengthAt}={value}", m);
                }
            }
        }
    }

    /// <summary>
    /// Block starts and where each keeps its length: pcap records (caplen at +8) or pcapng blocks (total length at +4).
    /// Little-endian files only (the sweep's inputs); a damaged chain simply ends the list.
    /// </summary>
    private static List<(int Offset, int LengthAt)> Blocks(byte[] f)
    {
        var blocks = new List<(int, int)>();
        if (f.Length < 24)
        {
            return blocks;
        }
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(f);
        if (magic is 0xA1B2C3D4 or 0xA1B23C4D)
        {
            for (int at = 24; at + 16 <= f.Length && blocks.Count < 100_000;)
            {
                blocks.Add((at, at + 8));
                int caplen = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(f.AsSpan(at + 8)), int.MaxValue - 64);
                at += 16 + caplen;
            }
        }
        else if (magic == 0x0A0D0D0A)
        {
            for (int at = 0; at + 12 <= f.Length && blocks.Count < 100_000;)
            {
                blocks.Add((at, at + 4));
                int length = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(f.AsSpan(at + 4)), int.MaxValue - 64);
                if (length < 12)
                {
                    break;
                }
                at += length;
            }
        }
        return blocks;
    }

    private static IEnumerable<T> Pick<T>(List<T> items, int count, Random rng)
    {
        if (items.Count <= count)
        {
            return items;
        }
        // The first few (headers), the last, and the rest spread evenly: damage where readers are most fragile.
        var chosen = new SortedSet<int> { 0, 1, items.Count - 1 };
        while (chosen.Count < count)
        {
            chosen.Add(rng.Next(items.Count));
        }
        return chosen.Select(i => items[i]);
    }

    private static int StableHash(string s)
    {
        uint h = 2166136261;
        foreach (char c in s)
        {
            h = (h ^ c) * 16777619;
        }
        return (int)h;
    }
}
