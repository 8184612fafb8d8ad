namespace PcapInsight.Core.Capture;

/// <summary>
/// Converts a pcapng interface's raw 64-bit timestamp to nanoseconds, from its <c>if_tsresol</c> and
/// <c>if_tsoffset</c> options. The default resolution is microseconds.
/// </summary>
internal readonly struct TimestampScale
{
    private readonly long _multiplier;   // > 0: multiply (resolution coarser than 1 ns)
    private readonly long _divisor;      // > 0: divide (decimal resolution finer than 1 ns)
    private readonly int _binaryShift;   // > 0: resolution is 2^-shift seconds
    private readonly long _offsetNs;

    private TimestampScale(long multiplier, long divisor, int binaryShift, long offsetNs, int digits)
    {
        _multiplier = multiplier;
        _divisor = divisor;
        _binaryShift = binaryShift;
        _offsetNs = offsetNs;
        Digits = digits;
    }

    /// <summary>Decimal digits after the second that this resolution carries (capped at 9).</summary>
    public int Digits { get; }

    public static TimestampScale Microseconds => new(1_000, 0, 0, 0, 6);

    /// <summary>Builds the scale from the raw <c>if_tsresol</c> byte and <c>if_tsoffset</c> seconds.</summary>
    public static TimestampScale From(byte tsresol, long offsetSeconds)
    {
        long offsetNs = unchecked(offsetSeconds * 1_000_000_000L);
        int exponent = tsresol & 0x7F;
        if ((tsresol & 0x80) != 0)
        {
            // 2^-exponent seconds. 0 would be whole seconds; more than 63 bits of fraction is not meaningful.
            exponent = Math.Clamp(exponent, 0, 63);
            int digits = Math.Min(9, (int)Math.Ceiling(exponent * 0.30103));
            return exponent == 0 ? new TimestampScale(1_000_000_000, 0, 0, offsetNs, 0) : new TimestampScale(0, 0, exponent, offsetNs, digits);
        }
        if (exponent <= 9)
        {
            long multiplier = 1;
            for (int i = exponent; i < 9; i++)
            {
                multiplier *= 10;
            }
            return new TimestampScale(multiplier, 0, 0, offsetNs, exponent);
        }
        // Finer than a nanosecond: divide. Past 10^-18 a 64-bit count cannot exceed a second anyway.
        long divisor = 1;
        for (int i = 9; i < Math.Min(exponent, 18); i++)
        {
            divisor *= 10;
        }
        return new TimestampScale(0, divisor, 0, offsetNs, 9);
    }

    public long ToNanoseconds(ulong raw)
    {
        unchecked
        {
            if (_multiplier > 0)
            {
                return (long)raw * _multiplier + _offsetNs;
            }
            if (_divisor > 0)
            {
                return (long)(raw / (ulong)_divisor) + _offsetNs;
            }
            return (long)(((UInt128)raw * 1_000_000_000UL) >> _binaryShift) + _offsetNs;
        }
    }
}
