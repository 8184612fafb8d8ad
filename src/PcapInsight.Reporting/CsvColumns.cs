using CsvHelper;
using EventColumn = PcapInsight.Reporting.CsvColumn<PcapInsight.Reporting.EventRow>;
using FlowColumn = PcapInsight.Reporting.CsvColumn<PcapInsight.Reporting.FlowRow>;
using FragmentColumn = PcapInsight.Reporting.CsvColumn<PcapInsight.Reporting.FragmentRow>;
using SeriesColumn = PcapInsight.Reporting.CsvColumn<PcapInsight.Reporting.SeriesRow>;
using UdpColumn = PcapInsight.Reporting.CsvColumn<PcapInsight.Reporting.UdpRow>;

namespace PcapInsight.Reporting;

/// <summary>One column of a CSV table: its header name and how a row writes its cell.</summary>
/// <typeparam name="TRow">The row type.</typeparam>
public sealed record CsvColumn<TRow>(string Name, Action<CsvWriter, TRow> Write)
{
    /// <summary>
    /// The cell as plain UTF-8 (<see cref="Utf8Cells"/>), for a column whose cells never need quoting or escaping;
    /// <see cref="Write"/> then writes the same text through CsvHelper (see <see cref="Plain(string, Utf8CellFormatter{TRow})"/>). A table of such
    /// columns only is written without the general CSV writer (<see cref="Utf8CsvTable"/>), and flows.parquet is
    /// typed from these bytes.
    /// </summary>
    public Utf8CellFormatter<TRow>? Utf8 { get; init; }

    /// <summary>
    /// A column of plain cells. Through CsvHelper (a table with text columns too) the cell is written as text, so a
    /// negative value gets the formula escape any text starting with '-' gets; flows.csv is all plain and never is.
    /// </summary>
    public static CsvColumn<TRow> Plain(string name, Utf8CellFormatter<TRow> format) => new(name, (w, row) =>
    {
        Span<byte> cell = stackalloc byte[Utf8Cells.MaxBytes];
        Span<char> text = stackalloc char[Utf8Cells.MaxBytes];
        System.Text.Ascii.ToUtf16(cell[..format(cell, row)], text, out int length);
        w.WriteField(text[..length]);
    })
    {
        Utf8 = format,
    };

    /// <summary>
    /// The cell as text of any length that may need quoting or escaping (a detail, a file name): a table of plain and
    /// such columns is still written straight as UTF-8, each text cell with the bytes CsvHelper gives it (<see cref="CsvText"/>).
    /// A plain column of text (an address, a name) may have it too, as its typed value: the CSV writers then use
    /// <see cref="Utf8"/>, the Parquet writer this string (a name's is the one string of the name, not a new one a row).
    /// </summary>
    public Func<TRow, string?>? Text { get; init; }

    /// <summary>
    /// What the cells are, for a typed format (flows.parquet, events.parquet): the type is the column's, not its
    /// values', so every report has the same schema and an engine can read thousands of them as one table.
    /// </summary>
    public CellKind Kind { get; init; }

    /// <summary>
    /// The cell's value as an <see cref="CellKind.Integer"/> column's whole number, for a typed format (Parquet); null
    /// is an empty cell. Without it, the Parquet writer parses the cell's text (the reference its value must equal: a test).
    /// </summary>
    public Func<TRow, long?>? Whole { get; init; }

    /// <summary>The cell's value as a <see cref="CellKind.Number"/> column's decimal number: the number its text says exactly.</summary>
    public Func<TRow, double?>? Number { get; init; }

    /// <summary>A column of plain cells of <paramref name="kind"/> whose typed value the Parquet writer reads from their text.</summary>
    public static CsvColumn<TRow> Plain(string name, Utf8CellFormatter<TRow> format, CellKind kind) => Plain(name, format) with { Kind = kind };

    // The plain columns with their typed values (flows.csv, udp.csv, events.csv): the formatter and the value given side
    // by side, not one made from the other (a formatter calling a value delegate would be two calls a cell on
    // flows.csv's path). A test holds the two equal on every sample (ParquetTests: the file from the values is the file
    // from the text read back).

    /// <summary>A column of plain whole numbers with their value.</summary>
    public static CsvColumn<TRow> IntegerCell(string name, Utf8CellFormatter<TRow> format, Func<TRow, long?> value) =>
        Plain(name, format) with { Kind = CellKind.Integer, Whole = value };

    /// <summary>A column of plain decimal numbers with their value.</summary>
    public static CsvColumn<TRow> NumberCell(string name, Utf8CellFormatter<TRow> format, Func<TRow, double?> value) =>
        Plain(name, format) with { Kind = CellKind.Number, Number = value };

    /// <summary>A column of plain texts (an address, a name) with their string for Parquet.</summary>
    public static CsvColumn<TRow> NameCell(string name, Utf8CellFormatter<TRow> format, Func<TRow, string?> text) =>
        Plain(name, format) with { Kind = CellKind.Text, Text = text };

    /// <summary>A column of text cells (<see cref="Text"/>); null is an empty cell.</summary>
    public static CsvColumn<TRow> OfText(string name, Func<TRow, string?> text) => new(name, (w, row) => w.WriteField(text(row) ?? ""))
    {
        Text = text,
    };
}

/// <summary>What a column's cells are: text, whole numbers or decimal numbers (Parquet's STRING, INT64 and DOUBLE).</summary>
public enum CellKind
{
    /// <summary>Text: times, addresses, names (the default).</summary>
    Text,
    /// <summary>Whole numbers: ids, counts, ports, bytes, flags as 0 or 1.</summary>
    Integer,
    /// <summary>Decimal numbers: milliseconds, seconds.</summary>
    Number,
}

/// <summary>
/// The column lists of flows.csv and events.csv: CONTRACT.md's required columns first, in its order, then our
/// extensions. The order here is the order in the file; tests pin it.
/// </summary>
public static class CsvColumns
{
    /// <summary>
    /// flows.csv. An empty cell means "not known" (no handshake captured, or an analysis this build does not run).
    /// Every cell is plain (numbers, times, addresses, our names), so the table is written straight as UTF-8.
    /// </summary>
    public static IReadOnlyList<CsvColumn<FlowRow>> Flows { get; } =
    [
        FlowColumn.IntegerCell("flow_id", (d, r) => Utf8Cells.Number(d, r.FlowId), r => r.FlowId),
        FlowColumn.NameCell("proto", (d, r) => Utf8Cells.Name(d, r.Proto), r => r.Proto),
        FlowColumn.NameCell("client", (d, r) => Utf8Cells.Address(d, r.Client), r => r.Client.ToString()),
        FlowColumn.IntegerCell("client_port", (d, r) => Utf8Cells.Number(d, r.ClientPort), r => r.ClientPort),
        FlowColumn.NameCell("server", (d, r) => Utf8Cells.Address(d, r.Server), r => r.Server.ToString()),
        FlowColumn.IntegerCell("server_port", (d, r) => Utf8Cells.Number(d, r.ServerPort), r => r.ServerPort),
        // Times stay text in Parquet too: Parquet.Net 6.1 writes a TIMESTAMP column's row-group statistics in
        // milliseconds whatever its unit (aloneguid/parquet-dotnet#769), so an engine's time filter would skip groups.
        FlowColumn.Plain("first_time", (d, r) => Utf8Cells.Time(d, r.FirstTimeNs, r.TimestampDigits), CellKind.Text),
        FlowColumn.Plain("last_time", (d, r) => Utf8Cells.Time(d, r.LastTimeNs, r.TimestampDigits), CellKind.Text),
        FlowColumn.IntegerCell("packets_c2s", (d, r) => Utf8Cells.Number(d, r.PacketsC2S), r => r.PacketsC2S),
        FlowColumn.IntegerCell("packets_s2c", (d, r) => Utf8Cells.Number(d, r.PacketsS2C), r => r.PacketsS2C),
        FlowColumn.IntegerCell("bytes_c2s", (d, r) => Utf8Cells.Number(d, r.BytesC2S), r => r.BytesC2S),
        FlowColumn.IntegerCell("bytes_s2c", (d, r) => Utf8Cells.Number(d, r.BytesS2C), r => r.BytesS2C),
        FlowColumn.IntegerCell("mss_c2s", (d, r) => Utf8Cells.Number(d, r.MssC2S), r => r.MssC2S),
        FlowColumn.IntegerCell("mss_s2c", (d, r) => Utf8Cells.Number(d, r.MssS2C), r => r.MssS2C),
        FlowColumn.IntegerCell("wscale_c2s", (d, r) => Utf8Cells.Number(d, r.WscaleC2S), r => r.WscaleC2S),
        FlowColumn.IntegerCell("wscale_s2c", (d, r) => Utf8Cells.Number(d, r.WscaleS2C), r => r.WscaleS2C),
        FlowColumn.NumberCell("irtt_ms", (d, r) => Utf8Cells.Milliseconds(d, r.IrttNs), r => CellValues.Milliseconds(r.IrttNs)),
        FlowColumn.IntegerCell("retransmissions", (d, r) => Utf8Cells.Number(d, r.Retransmissions), r => r.Retransmissions),
        FlowColumn.IntegerCell("zero_window_episodes", (d, r) => Utf8Cells.Number(d, r.ZeroWindowEpisodes), r => r.ZeroWindowEpisodes),
        FlowColumn.NumberCell("zero_window_ms", (d, r) => Utf8Cells.Milliseconds(d, r.ZeroWindowNs), r => CellValues.Milliseconds(r.ZeroWindowNs)),
        FlowColumn.IntegerCell("nagle_stalls", (d, r) => Utf8Cells.Number(d, r.NagleStalls), r => r.NagleStalls),
        FlowColumn.NumberCell("nagle_stall_ms", (d, r) => Utf8Cells.Milliseconds(d, r.NagleStallNs), r => CellValues.Milliseconds(r.NagleStallNs)),
        FlowColumn.NameCell("close", (d, r) => Utf8Cells.Name(d, r.Close), r => r.Close),
        FlowColumn.IntegerCell("vlan", (d, r) => Utf8Cells.Number(d, r.Vlan), r => r.Vlan),
        FlowColumn.IntegerCell("payload_bytes_c2s", (d, r) => Utf8Cells.Number(d, r.PayloadBytesC2S), r => r.PayloadBytesC2S),
        FlowColumn.IntegerCell("payload_bytes_s2c", (d, r) => Utf8Cells.Number(d, r.PayloadBytesS2C), r => r.PayloadBytesS2C),
        FlowColumn.NumberCell("duration_s", (d, r) => Utf8Cells.Seconds(d, r.DurationNs), r => CellValues.Seconds(r.DurationNs)),
        FlowColumn.IntegerCell("first_frame", (d, r) => Utf8Cells.Number(d, r.FirstFrame), r => r.FirstFrame),
        FlowColumn.NumberCell("rtt_c2s_min_ms", (d, r) => Utf8Cells.Milliseconds(d, r.RttC2SMinNs), r => CellValues.Milliseconds(r.RttC2SMinNs)),
        FlowColumn.NumberCell("rtt_c2s_avg_ms", (d, r) => Utf8Cells.Milliseconds(d, r.RttC2SAvgNs), r => CellValues.Milliseconds(r.RttC2SAvgNs)),
        FlowColumn.NumberCell("rtt_c2s_max_ms", (d, r) => Utf8Cells.Milliseconds(d, r.RttC2SMaxNs), r => CellValues.Milliseconds(r.RttC2SMaxNs)),
        FlowColumn.NumberCell("rtt_s2c_min_ms", (d, r) => Utf8Cells.Milliseconds(d, r.RttS2CMinNs), r => CellValues.Milliseconds(r.RttS2CMinNs)),
        FlowColumn.NumberCell("rtt_s2c_avg_ms", (d, r) => Utf8Cells.Milliseconds(d, r.RttS2CAvgNs), r => CellValues.Milliseconds(r.RttS2CAvgNs)),
        FlowColumn.NumberCell("rtt_s2c_max_ms", (d, r) => Utf8Cells.Milliseconds(d, r.RttS2CMaxNs), r => CellValues.Milliseconds(r.RttS2CMaxNs)),
        FlowColumn.IntegerCell("max_in_flight_c2s", (d, r) => Utf8Cells.Number(d, r.MaxInFlightC2S), r => r.MaxInFlightC2S),
        FlowColumn.IntegerCell("max_in_flight_s2c", (d, r) => Utf8Cells.Number(d, r.MaxInFlightS2C), r => r.MaxInFlightS2C),
        FlowColumn.IntegerCell("window_full_c2s", (d, r) => Utf8Cells.Number(d, r.WindowFullC2S), r => r.WindowFullC2S),
        FlowColumn.IntegerCell("window_full_s2c", (d, r) => Utf8Cells.Number(d, r.WindowFullS2C), r => r.WindowFullS2C),
        FlowColumn.IntegerCell("zero_window_probes", (d, r) => Utf8Cells.Number(d, r.ZeroWindowProbes), r => r.ZeroWindowProbes),
        FlowColumn.IntegerCell("sack", (d, r) => Utf8Cells.Flag(d, r.Sack), r => CellValues.Flag(r.Sack)),
        FlowColumn.IntegerCell("timestamps", (d, r) => Utf8Cells.Flag(d, r.Timestamps), r => CellValues.Flag(r.Timestamps)),
        FlowColumn.IntegerCell("pmtu_messages", (d, r) => Utf8Cells.Number(d, r.PmtuMessages), r => r.PmtuMessages),
        FlowColumn.IntegerCell("lowest_pmtu", (d, r) => Utf8Cells.Number(d, r.LowestPmtu), r => r.LowestPmtu),
        // Before file, which stays the last column of every table (a rotated set's part, or live:IFACE).
        FlowColumn.NameCell("tunnel", (d, r) => Utf8Cells.Name(d, r.Tunnel), r => r.Tunnel),
        FlowColumn.OfText("file", r => r.File),
    ];

    /// <summary>events.csv; <c>file</c> names the input a frame number refers to.</summary>
    public static IReadOnlyList<CsvColumn<EventRow>> Events { get; } =
    [
        EventColumn.Plain("time", (d, r) => r.TimestampNs == 0 ? 0 : Utf8Cells.Time(d, r.TimestampNs, r.TimestampDigits), CellKind.Text),
        EventColumn.Plain("flow_id", (d, r) => Utf8Cells.Number(d, r.FlowId), CellKind.Integer),
        EventColumn.NameCell("event", (d, r) => Utf8Cells.Name(d, r.Event), r => r.Event),
        EventColumn.NameCell("severity", (d, r) => Utf8Cells.Name(d, r.Severity), r => r.Severity),
        EventColumn.Plain("frame", (d, r) => Utf8Cells.Number(d, r.Frame), CellKind.Integer),
        EventColumn.NameCell("src", (d, r) => Utf8Cells.Address(d, r.SrcAddress), r => r.Src),
        EventColumn.Plain("src_port", (d, r) => Utf8Cells.Number(d, r.SrcPort), CellKind.Integer),
        EventColumn.NameCell("dst", (d, r) => Utf8Cells.Address(d, r.DstAddress), r => r.Dst),
        EventColumn.Plain("dst_port", (d, r) => Utf8Cells.Number(d, r.DstPort), CellKind.Integer),
        EventColumn.NumberCell("duration_ms", (d, r) => r.DurationNs < 0 ? 0 : Utf8Cells.Milliseconds(d, r.DurationNs),
            r => r.DurationNs < 0 ? null : CellValues.Milliseconds(r.DurationNs)),
        EventColumn.OfText("detail", r => r.Detail),
        EventColumn.OfText("advice", r => r.Advice),
        EventColumn.OfText("file", r => r.File),
    ];

    /// <summary>tcp_series.csv: the recorded time series, one row per point. Every cell is plain.</summary>
    public static IReadOnlyList<CsvColumn<SeriesRow>> Series { get; } =
    [
        SeriesColumn.Plain("flow_id", (d, r) => Utf8Cells.Number(d, r.FlowId)),
        SeriesColumn.Plain("direction", (d, r) => Utf8Cells.Name(d, r.Direction)),
        SeriesColumn.Plain("time", (d, r) => Utf8Cells.Time(d, r.TimeNs, r.TimestampDigits)),
        SeriesColumn.Plain("kind", (d, r) => Utf8Cells.Name(d, r.Kind)),
        SeriesColumn.Plain("seq", (d, r) => Utf8Cells.Number(d, r.Seq)),
        SeriesColumn.Plain("length", (d, r) => Utf8Cells.Number(d, r.Length)),
        SeriesColumn.Plain("in_flight_bytes", (d, r) => Utf8Cells.Number(d, r.InFlight)),
        SeriesColumn.Plain("window_bytes", (d, r) => Utf8Cells.Number(d, r.Window)),
        SeriesColumn.Plain("rtt_ms", (d, r) => Utf8Cells.Milliseconds(d, r.RttNs)),
    ];

    /// <summary>fragments.csv: CONTRACT.md's columns, then ours. Plain cells but for the missing ranges, the policies and the file name.</summary>
    public static IReadOnlyList<CsvColumn<FragmentRow>> Fragments { get; } =
    [
        FragmentColumn.Plain("first_time", (d, r) => Utf8Cells.Time(d, r.FirstTimeNs, r.TimestampDigits), CellKind.Text),
        FragmentColumn.Plain("last_time", (d, r) => Utf8Cells.Time(d, r.LastTimeNs, r.TimestampDigits), CellKind.Text),
        FragmentColumn.Plain("ip_version", (d, r) => Utf8Cells.Number(d, r.IpVersion), CellKind.Integer),
        FragmentColumn.Plain("src", (d, r) => Utf8Cells.Address(d, r.Src), CellKind.Text),
        FragmentColumn.Plain("dst", (d, r) => Utf8Cells.Address(d, r.Dst), CellKind.Text),
        FragmentColumn.Plain("ip_id", (d, r) => Utf8Cells.Number(d, r.IpId), CellKind.Integer),
        FragmentColumn.Plain("protocol", (d, r) => Utf8Cells.Number(d, r.Protocol), CellKind.Integer),
        FragmentColumn.Plain("fragments", (d, r) => Utf8Cells.Number(d, r.Fragments), CellKind.Integer),
        FragmentColumn.Plain("bytes", (d, r) => Utf8Cells.Number(d, r.Bytes), CellKind.Integer),
        FragmentColumn.Plain("status", (d, r) => Utf8Cells.Name(d, r.Status), CellKind.Text),
        FragmentColumn.OfText("missing", r => r.Missing),
        FragmentColumn.Plain("overlap_bytes", (d, r) => Utf8Cells.Number(d, r.OverlapBytes), CellKind.Integer),
        FragmentColumn.Plain("conflict_bytes", (d, r) => Utf8Cells.Number(d, r.ConflictBytes), CellKind.Integer),
        FragmentColumn.Plain("largest_fragment", (d, r) => Utf8Cells.Number(d, r.LargestFragment), CellKind.Integer),
        FragmentColumn.Plain("tiny_fragments", (d, r) => Utf8Cells.Number(d, r.TinyFragments), CellKind.Integer),
        FragmentColumn.Plain("first_frame", (d, r) => Utf8Cells.Number(d, r.FirstFrame), CellKind.Integer),
        FragmentColumn.Plain("ended", (d, r) => Utf8Cells.Name(d, r.Ended), CellKind.Text),
        FragmentColumn.OfText("policies", r => r.Policies),
        FragmentColumn.OfText("file", r => r.File),
    ];

    /// <summary>udp.csv: CONTRACT.md's columns, then ours. Every cell is plain, so the table is written straight as UTF-8.</summary>
    public static IReadOnlyList<CsvColumn<UdpRow>> Udp { get; } =
    [
        UdpColumn.IntegerCell("flow_id", (d, r) => Utf8Cells.Number(d, r.FlowId), r => r.FlowId),
        UdpColumn.NameCell("src", (d, r) => Utf8Cells.Address(d, r.Src), r => r.Src.ToString()),
        UdpColumn.IntegerCell("src_port", (d, r) => Utf8Cells.Number(d, r.SrcPort), r => r.SrcPort),
        UdpColumn.NameCell("dst", (d, r) => Utf8Cells.Address(d, r.Dst), r => r.Dst.ToString()),
        UdpColumn.IntegerCell("dst_port", (d, r) => Utf8Cells.Number(d, r.DstPort), r => r.DstPort),
        UdpColumn.IntegerCell("datagrams", (d, r) => Utf8Cells.Number(d, r.Datagrams), r => r.Datagrams),
        UdpColumn.IntegerCell("bytes", (d, r) => Utf8Cells.Number(d, r.Bytes), r => r.Bytes),
        UdpColumn.IntegerCell("max_datagram", (d, r) => Utf8Cells.Number(d, r.MaxDatagram), r => r.MaxDatagram),
        UdpColumn.IntegerCell("fragmented_datagrams", (d, r) => Utf8Cells.Number(d, r.FragmentedDatagrams), r => r.FragmentedDatagrams),
        UdpColumn.IntegerCell("lost_with_fragment", (d, r) => Utf8Cells.Number(d, r.LostWithFragment), r => r.LostWithFragment),
        UdpColumn.NameCell("seq_kind", (d, r) => Utf8Cells.Text(d, r.SeqKind), r => r.SeqKind),
        UdpColumn.IntegerCell("seq_lost", (d, r) => Utf8Cells.Number(d, r.SeqLost), r => r.SeqLost),
        UdpColumn.IntegerCell("seq_duplicates", (d, r) => Utf8Cells.Number(d, r.SeqDuplicates), r => r.SeqDuplicates),
        UdpColumn.IntegerCell("seq_reordered", (d, r) => Utf8Cells.Number(d, r.SeqReordered), r => r.SeqReordered),
        UdpColumn.Plain("jitter_ms", (d, r) => Utf8Cells.ThreeDecimals(d, r.JitterMs), CellKind.Number),
        UdpColumn.NameCell("seq_direction", (d, r) => Utf8Cells.Text(d, r.SeqDirection), r => r.SeqDirection),
        UdpColumn.NameCell("rtp_ssrc", (d, r) => Utf8Cells.Text(d, r.Ssrc), r => r.Ssrc),
        UdpColumn.IntegerCell("rtp_payload_type", (d, r) => Utf8Cells.Number(d, r.PayloadType), r => r.PayloadType),
    ];
}
