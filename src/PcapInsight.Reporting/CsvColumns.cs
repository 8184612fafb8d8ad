using CsvHelper;

namespace PcapInsight.Reporting;

/// <summary>One column of a CSV table: its header name and how a row writes its cell.</summary>
/// <typeparam name="TRow">The row type.</typeparam>
public sealed record CsvColumn<TRow>(string Name, Action<CsvWriter, TRow> Write)
{
    /// <summary>
    /// The cell as plain UTF-8 (<see cref="Utf8Cells"/>), for a column whose cells never need quoting or escaping;
    /// <see cref="Write"/> then writes the same text through CsvHelper (see <see cref="Plain"/>). A table of such
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
        WholeCell("flow_id", (d, r) => Utf8Cells.Number(d, r.FlowId), r => r.FlowId),
        NameCell("proto", (d, r) => Utf8Cells.Name(d, r.Proto), r => r.Proto),
        NameCell("client", (d, r) => Utf8Cells.Address(d, r.Client), r => r.Client.ToString()),
        WholeCell("client_port", (d, r) => Utf8Cells.Number(d, r.ClientPort), r => r.ClientPort),
        NameCell("server", (d, r) => Utf8Cells.Address(d, r.Server), r => r.Server.ToString()),
        WholeCell("server_port", (d, r) => Utf8Cells.Number(d, r.ServerPort), r => r.ServerPort),
        TextCell("first_time", (d, r) => Utf8Cells.Time(d, r.FirstTimeNs, r.TimestampDigits)),
        TextCell("last_time", (d, r) => Utf8Cells.Time(d, r.LastTimeNs, r.TimestampDigits)),
        WholeCell("packets_c2s", (d, r) => Utf8Cells.Number(d, r.PacketsC2S), r => r.PacketsC2S),
        WholeCell("packets_s2c", (d, r) => Utf8Cells.Number(d, r.PacketsS2C), r => r.PacketsS2C),
        WholeCell("bytes_c2s", (d, r) => Utf8Cells.Number(d, r.BytesC2S), r => r.BytesC2S),
        WholeCell("bytes_s2c", (d, r) => Utf8Cells.Number(d, r.BytesS2C), r => r.BytesS2C),
        WholeCell("mss_c2s", (d, r) => Utf8Cells.Number(d, r.MssC2S), r => r.MssC2S),
        WholeCell("mss_s2c", (d, r) => Utf8Cells.Number(d, r.MssS2C), r => r.MssS2C),
        WholeCell("wscale_c2s", (d, r) => Utf8Cells.Number(d, r.WscaleC2S), r => r.WscaleC2S),
        WholeCell("wscale_s2c", (d, r) => Utf8Cells.Number(d, r.WscaleS2C), r => r.WscaleS2C),
        NumberCell("irtt_ms", (d, r) => Utf8Cells.Milliseconds(d, r.IrttNs), r => CellValues.Milliseconds(r.IrttNs)),
        WholeCell("retransmissions", (d, r) => Utf8Cells.Number(d, r.Retransmissions), r => r.Retransmissions),
        WholeCell("zero_window_episodes", (d, r) => Utf8Cells.Number(d, r.ZeroWindowEpisodes), r => r.ZeroWindowEpisodes),
        NumberCell("zero_window_ms", (d, r) => Utf8Cells.Milliseconds(d, r.ZeroWindowNs), r => CellValues.Milliseconds(r.ZeroWindowNs)),
        WholeCell("nagle_stalls", (d, r) => Utf8Cells.Number(d, r.NagleStalls), r => r.NagleStalls),
        NumberCell("nagle_stall_ms", (d, r) => Utf8Cells.Milliseconds(d, r.NagleStallNs), r => CellValues.Milliseconds(r.NagleStallNs)),
        NameCell("close", (d, r) => Utf8Cells.Name(d, r.Close), r => r.Close),
        WholeCell("vlan", (d, r) => Utf8Cells.Number(d, r.Vlan), r => r.Vlan),
        WholeCell("payload_bytes_c2s", (d, r) => Utf8Cells.Number(d, r.PayloadBytesC2S), r => r.PayloadBytesC2S),
        WholeCell("payload_bytes_s2c", (d, r) => Utf8Cells.Number(d, r.PayloadBytesS2C), r => r.PayloadBytesS2C),
        NumberCell("duration_s", (d, r) => Utf8Cells.Seconds(d, r.DurationNs), r => CellValues.Seconds(r.DurationNs)),
        WholeCell("first_frame", (d, r) => Utf8Cells.Number(d, r.FirstFrame), r => r.FirstFrame),
        NumberCell("rtt_c2s_min_ms", (d, r) => Utf8Cells.Milliseconds(d, r.RttC2SMinNs), r => CellValues.Milliseconds(r.RttC2SMinNs)),
        NumberCell("rtt_c2s_avg_ms", (d, r) => Utf8Cells.Milliseconds(d, r.RttC2SAvgNs), r => CellValues.Milliseconds(r.RttC2SAvgNs)),
        NumberCell("rtt_c2s_max_ms", (d, r) => Utf8Cells.Milliseconds(d, r.RttC2SMaxNs), r => CellValues.Milliseconds(r.RttC2SMaxNs)),
        NumberCell("rtt_s2c_min_ms", (d, r) => Utf8Cells.Milliseconds(d, r.RttS2CMinNs), r => CellValues.Milliseconds(r.RttS2CMinNs)),
        NumberCell("rtt_s2c_avg_ms", (d, r) => Utf8Cells.Milliseconds(d, r.RttS2CAvgNs), r => CellValues.Milliseconds(r.RttS2CAvgNs)),
        NumberCell("rtt_s2c_max_ms", (d, r) => Utf8Cells.Milliseconds(d, r.RttS2CMaxNs), r => CellValues.Milliseconds(r.RttS2CMaxNs)),
        WholeCell("max_in_flight_c2s", (d, r) => Utf8Cells.Number(d, r.MaxInFlightC2S), r => r.MaxInFlightC2S),
        WholeCell("max_in_flight_s2c", (d, r) => Utf8Cells.Number(d, r.MaxInFlightS2C), r => r.MaxInFlightS2C),
        WholeCell("window_full_c2s", (d, r) => Utf8Cells.Number(d, r.WindowFullC2S), r => r.WindowFullC2S),
        WholeCell("window_full_s2c", (d, r) => Utf8Cells.Number(d, r.WindowFullS2C), r => r.WindowFullS2C),
        WholeCell("zero_window_probes", (d, r) => Utf8Cells.Number(d, r.ZeroWindowProbes), r => r.ZeroWindowProbes),
        WholeCell("sack", (d, r) => Utf8Cells.Flag(d, r.Sack), r => CellValues.Flag(r.Sack)),
        WholeCell("timestamps", (d, r) => Utf8Cells.Flag(d, r.Timestamps), r => CellValues.Flag(r.Timestamps)),
        WholeCell("pmtu_messages", (d, r) => Utf8Cells.Number(d, r.PmtuMessages), r => r.PmtuMessages),
        WholeCell("lowest_pmtu", (d, r) => Utf8Cells.Number(d, r.LowestPmtu), r => r.LowestPmtu),
        CsvColumn<FlowRow>.OfText("file", r => r.File),
    ];

    // Each plain column of flows.csv with its formatter (the CSV text) and its value (Parquet's cell), given side by side
    // and not one made from the other: a formatter calling a value delegate would be two calls a cell on flows.csv's
    // path. A test holds the two equal on every sample (ParquetTests: the file from the values is the file from the
    // text read back).
    private static CsvColumn<FlowRow> WholeCell(string name, Utf8CellFormatter<FlowRow> format, Func<FlowRow, long?> value) =>
        CsvColumn<FlowRow>.Plain(name, format) with { Kind = CellKind.Integer, Whole = value };

    private static CsvColumn<FlowRow> NumberCell(string name, Utf8CellFormatter<FlowRow> format, Func<FlowRow, double?> value) =>
        CsvColumn<FlowRow>.Plain(name, format) with { Kind = CellKind.Number, Number = value };

    // Times stay text in Parquet too: Parquet.Net 6.1 writes a TIMESTAMP column's row-group statistics in milliseconds
    // whatever its unit (aloneguid/parquet-dotnet#769), so an engine's time filter would skip groups that match.
    private static CsvColumn<FlowRow> TextCell(string name, Utf8CellFormatter<FlowRow> format) => CsvColumn<FlowRow>.Plain(name, format) with { Kind = CellKind.Text };

    private static CsvColumn<FlowRow> NameCell(string name, Utf8CellFormatter<FlowRow> format, Func<FlowRow, string?> text) =>
        CsvColumn<FlowRow>.Plain(name, format) with { Kind = CellKind.Text, Text = text };

    /// <summary>events.csv; <c>file</c> names the input a frame number refers to.</summary>
    public static IReadOnlyList<CsvColumn<EventRow>> Events { get; } =
    [
        EventCell("time", (d, r) => r.TimestampNs == 0 ? 0 : Utf8Cells.Time(d, r.TimestampNs, r.TimestampDigits), CellKind.Text),
        EventCell("flow_id", (d, r) => Utf8Cells.Number(d, r.FlowId), CellKind.Integer),
        EventCell("event", (d, r) => Utf8Cells.Name(d, r.Event), CellKind.Text) with { Text = r => r.Event },
        EventCell("severity", (d, r) => Utf8Cells.Name(d, r.Severity), CellKind.Text) with { Text = r => r.Severity },
        EventCell("frame", (d, r) => Utf8Cells.Number(d, r.Frame), CellKind.Integer),
        EventCell("src", (d, r) => Utf8Cells.Address(d, r.SrcAddress), CellKind.Text) with { Text = r => r.Src },
        EventCell("src_port", (d, r) => Utf8Cells.Number(d, r.SrcPort), CellKind.Integer),
        EventCell("dst", (d, r) => Utf8Cells.Address(d, r.DstAddress), CellKind.Text) with { Text = r => r.Dst },
        EventCell("dst_port", (d, r) => Utf8Cells.Number(d, r.DstPort), CellKind.Integer),
        EventCell("duration_ms", (d, r) => r.DurationNs < 0 ? 0 : Utf8Cells.Milliseconds(d, r.DurationNs), CellKind.Number)
            with { Number = r => r.DurationNs < 0 ? null : CellValues.Milliseconds(r.DurationNs) },
        CsvColumn<EventRow>.OfText("detail", r => r.Detail),
        CsvColumn<EventRow>.OfText("advice", r => r.Advice),
        CsvColumn<EventRow>.OfText("file", r => r.File),
    ];

    private static CsvColumn<EventRow> EventCell(string name, Utf8CellFormatter<EventRow> format, CellKind kind) => CsvColumn<EventRow>.Plain(name, format) with { Kind = kind };

    /// <summary>tcp_series.csv: the recorded time series, one row per point. Every cell is plain.</summary>
    public static IReadOnlyList<CsvColumn<SeriesRow>> Series { get; } =
    [
        SeriesCell("flow_id", (d, r) => Utf8Cells.Number(d, r.FlowId)),
        SeriesCell("direction", (d, r) => Utf8Cells.Name(d, r.Direction)),
        SeriesCell("time", (d, r) => Utf8Cells.Time(d, r.TimeNs, r.TimestampDigits)),
        SeriesCell("kind", (d, r) => Utf8Cells.Name(d, r.Kind)),
        SeriesCell("seq", (d, r) => Utf8Cells.Number(d, r.Seq)),
        SeriesCell("length", (d, r) => Utf8Cells.Number(d, r.Length)),
        SeriesCell("in_flight_bytes", (d, r) => Utf8Cells.Number(d, r.InFlight)),
        SeriesCell("window_bytes", (d, r) => Utf8Cells.Number(d, r.Window)),
        SeriesCell("rtt_ms", (d, r) => Utf8Cells.Milliseconds(d, r.RttNs)),
    ];

    private static CsvColumn<SeriesRow> SeriesCell(string name, Utf8CellFormatter<SeriesRow> format) => CsvColumn<SeriesRow>.Plain(name, format);

    /// <summary>fragments.csv: CONTRACT.md's columns, then ours. Plain cells but for the missing ranges, the policies and the file name.</summary>
    public static IReadOnlyList<CsvColumn<FragmentRow>> Fragments { get; } =
    [
        FragmentCell("first_time", (d, r) => Utf8Cells.Time(d, r.FirstTimeNs, r.TimestampDigits), CellKind.Text),
        FragmentCell("last_time", (d, r) => Utf8Cells.Time(d, r.LastTimeNs, r.TimestampDigits), CellKind.Text),
        FragmentCell("ip_version", (d, r) => Utf8Cells.Number(d, r.IpVersion), CellKind.Integer),
        FragmentCell("src", (d, r) => Utf8Cells.Address(d, r.Src), CellKind.Text),
        FragmentCell("dst", (d, r) => Utf8Cells.Address(d, r.Dst), CellKind.Text),
        FragmentCell("ip_id", (d, r) => Utf8Cells.Number(d, r.IpId), CellKind.Integer),
        FragmentCell("protocol", (d, r) => Utf8Cells.Number(d, r.Protocol), CellKind.Integer),
        FragmentCell("fragments", (d, r) => Utf8Cells.Number(d, r.Fragments), CellKind.Integer),
        FragmentCell("bytes", (d, r) => Utf8Cells.Number(d, r.Bytes), CellKind.Integer),
        FragmentCell("status", (d, r) => Utf8Cells.Name(d, r.Status), CellKind.Text),
        CsvColumn<FragmentRow>.OfText("missing", r => r.Missing),
        FragmentCell("overlap_bytes", (d, r) => Utf8Cells.Number(d, r.OverlapBytes), CellKind.Integer),
        FragmentCell("conflict_bytes", (d, r) => Utf8Cells.Number(d, r.ConflictBytes), CellKind.Integer),
        FragmentCell("largest_fragment", (d, r) => Utf8Cells.Number(d, r.LargestFragment), CellKind.Integer),
        FragmentCell("first_frame", (d, r) => Utf8Cells.Number(d, r.FirstFrame), CellKind.Integer),
        FragmentCell("ended", (d, r) => Utf8Cells.Name(d, r.Ended), CellKind.Text),
        CsvColumn<FragmentRow>.OfText("policies", r => r.Policies),
        CsvColumn<FragmentRow>.OfText("file", r => r.File),
    ];

    private static CsvColumn<FragmentRow> FragmentCell(string name, Utf8CellFormatter<FragmentRow> format, CellKind kind) =>
        CsvColumn<FragmentRow>.Plain(name, format) with { Kind = kind };

    /// <summary>udp.csv: CONTRACT.md's columns, then ours. Every cell is plain, so the table is written straight as UTF-8.</summary>
    public static IReadOnlyList<CsvColumn<UdpRow>> Udp { get; } =
    [
        UdpWhole("flow_id", (d, r) => Utf8Cells.Number(d, r.FlowId), r => r.FlowId),
        UdpName("src", (d, r) => Utf8Cells.Address(d, r.Src), r => r.Src.ToString()),
        UdpWhole("src_port", (d, r) => Utf8Cells.Number(d, r.SrcPort), r => r.SrcPort),
        UdpName("dst", (d, r) => Utf8Cells.Address(d, r.Dst), r => r.Dst.ToString()),
        UdpWhole("dst_port", (d, r) => Utf8Cells.Number(d, r.DstPort), r => r.DstPort),
        UdpWhole("datagrams", (d, r) => Utf8Cells.Number(d, r.Datagrams), r => r.Datagrams),
        UdpWhole("bytes", (d, r) => Utf8Cells.Number(d, r.Bytes), r => r.Bytes),
        UdpWhole("max_datagram", (d, r) => Utf8Cells.Number(d, r.MaxDatagram), r => r.MaxDatagram),
        UdpWhole("fragmented_datagrams", (d, r) => Utf8Cells.Number(d, r.FragmentedDatagrams), r => r.FragmentedDatagrams),
        UdpWhole("lost_with_fragment", (d, r) => Utf8Cells.Number(d, r.LostWithFragment), r => r.LostWithFragment),
        UdpName("seq_kind", (d, r) => Utf8Cells.Text(d, r.SeqKind), r => r.SeqKind),
        UdpWhole("seq_lost", (d, r) => Utf8Cells.Number(d, r.SeqLost), r => r.SeqLost),
        UdpWhole("seq_duplicates", (d, r) => Utf8Cells.Number(d, r.SeqDuplicates), r => r.SeqDuplicates),
        UdpWhole("seq_reordered", (d, r) => Utf8Cells.Number(d, r.SeqReordered), r => r.SeqReordered),
        UdpCell("jitter_ms", (d, r) => Utf8Cells.ThreeDecimals(d, r.JitterMs), CellKind.Number),
        UdpName("seq_direction", (d, r) => Utf8Cells.Text(d, r.SeqDirection), r => r.SeqDirection),
        UdpName("rtp_ssrc", (d, r) => Utf8Cells.Text(d, r.Ssrc), r => r.Ssrc),
        UdpWhole("rtp_payload_type", (d, r) => Utf8Cells.Number(d, r.PayloadType), r => r.PayloadType),
    ];

    private static CsvColumn<UdpRow> UdpCell(string name, Utf8CellFormatter<UdpRow> format, CellKind kind) => CsvColumn<UdpRow>.Plain(name, format) with { Kind = kind };

    // As flows.csv's (WholeCell, NameCell): the formatter and the value side by side, a test holding them equal.
    private static CsvColumn<UdpRow> UdpWhole(string name, Utf8CellFormatter<UdpRow> format, Func<UdpRow, long?> value) =>
        CsvColumn<UdpRow>.Plain(name, format) with { Kind = CellKind.Integer, Whole = value };

    private static CsvColumn<UdpRow> UdpName(string name, Utf8CellFormatter<UdpRow> format, Func<UdpRow, string?> text) =>
        CsvColumn<UdpRow>.Plain(name, format) with { Kind = CellKind.Text, Text = text };
}
