using System.Buffers.Binary;
using System.Globalization;

namespace PcapInsight.Core.UdpAnalysis;

/// <summary>How the user's protocol carries a sequence number: <c>--udp-seq [PORT=]OFFSET:WIDTH[:be|le|ascii]</c>.</summary>
/// <param name="Port">Only datagrams to or from this port (0: every UDP flow not recognised as RTP).</param>
/// <param name="Offset">Byte offset in the UDP payload.</param>
/// <param name="Width">Bytes: 1 to 8 for binary, 1 to 19 decimal digits for ascii.</param>
/// <param name="Format">be (network order, the default), le, or ascii (decimal digits).</param>
public sealed record UdpSequenceSpec(ushort Port, int Offset, int Width, string Format)
{
    /// <summary>The width of the number in bits, for wrap-around.</summary>
    public int Bits => Format == "ascii" ? 63 : Width * 8;

    /// <summary>Parses the option's text; null with <paramref name="error"/> when it is wrong.</summary>
    public static UdpSequenceSpec? Parse(string text, out string? error)
    {
        error = null;
        ushort port = 0;
        string rest = text;
        int eq = text.IndexOf('=');
        if (eq >= 0)
        {
            if (!ushort.TryParse(text[..eq], NumberStyles.None, CultureInfo.InvariantCulture, out port) || port == 0)
            {
                error = $"'{text}': the port before '=' must be 1 to 65535";
                return null;
            }
            rest = text[(eq + 1)..];
        }
        string[] parts = rest.Split(':');
        if (parts.Length is < 2 or > 3
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int offset)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int width))
        {
            error = $"'{text}': expected [PORT=]OFFSET:WIDTH[:be|le|ascii], e.g. 0:4 or 5004=4:8:ascii";
            return null;
        }
        string format = parts.Length == 3 ? parts[2].ToLowerInvariant() : "be";
        if (format is not ("be" or "le" or "ascii") || width < 1 || width > (format == "ascii" ? 18 : 8) || offset > 65_507)
        {
            error = $"'{text}': WIDTH is 1-8 bytes for be/le, 1-18 digits for ascii, and the format be, le or ascii";
            return null;
        }
        return new UdpSequenceSpec(port, offset, width, format);
    }

    /// <summary>Reads the number from a payload; false when the payload is too short or not a number.</summary>
    public bool TryRead(ReadOnlySpan<byte> payload, out ulong value)
    {
        value = 0;
        if (payload.Length < Offset + Width)
        {
            return false;
        }
        ReadOnlySpan<byte> field = payload.Slice(Offset, Width);
        switch (Format)
        {
            case "ascii":
                foreach (byte b in field)
                {
                    if (b is < (byte)'0' or > (byte)'9')
                    {
                        return false;
                    }
                    value = value * 10 + (ulong)(b - '0');
                }
                return true;
            case "le":
                for (int i = Width - 1; i >= 0; i--)
                {
                    value = (value << 8) | field[i];
                }
                return true;
            default:
                foreach (byte b in field)
                {
                    value = (value << 8) | b;
                }
                return true;
        }
    }
}
