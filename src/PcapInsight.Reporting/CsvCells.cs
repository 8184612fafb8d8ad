using CsvHelper;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Decoding;

namespace PcapInsight.Reporting;

/// <summary>
/// Cells formatted straight into the CSV writer's buffer, from a stack buffer and never a string: the cells of
/// flows.csv that are text (times, durations, addresses) in the forms <see cref="CaptureTime"/> and <see cref="IpAddr"/>
/// define. A null value is an empty cell.
/// </summary>
internal static class CsvCells
{
    public static void Time(CsvWriter w, long timestampNs, int digits)
    {
        Span<char> text = stackalloc char[CaptureTime.MaxChars];
        w.WriteField(text[..CaptureTime.FormatIso(text, timestampNs, digits)]);
    }

    public static void Milliseconds(CsvWriter w, long? durationNs)
    {
        Span<char> text = stackalloc char[CaptureTime.MaxChars];
        w.WriteField(durationNs is { } ns ? text[..CaptureTime.FormatMilliseconds(text, ns)] : []);
    }

    public static void Seconds(CsvWriter w, long durationNs)
    {
        Span<char> text = stackalloc char[CaptureTime.MaxChars];
        w.WriteField(text[..CaptureTime.FormatSeconds(text, durationNs)]);
    }

    public static void Address(CsvWriter w, IpAddr address)
    {
        Span<char> text = stackalloc char[IpAddr.MaxChars];
        address.TryFormat(text, out int written);
        w.WriteField(text[..written]);
    }

    /// <summary><c>1</c> or <c>0</c>.</summary>
    public static void Flag(CsvWriter w, bool? value) => w.WriteField(value is { } v ? v ? "1" : "0" : null);
}
