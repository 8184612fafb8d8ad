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
    /// </summary>
    public Func<TRow, string?>? Text { get; init; }

    /// <summary>
    /// What the cells are, for a typed format (flows.parquet, events.parquet): the type is the column's, not its
    /// values', so every report has the same schema and an engine can read thousands of them as one table.
    /// </summary>
    public CellKind Kind { get; init; }

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
        Cell("flow_id", (d, r) => Utf8Cells.Number(d, r.FlowId), CellKind.Integer),
        Cell("proto", (d, r) => Utf8Cells.Name(d, r.Proto), CellKind.Text),
        Cell("client", (d, r) => Utf8Cells.Address(d, r.Client), CellKind.Text),
        Cell("client_port", (d, r) => Utf8Cells.Number(d, r.ClientPort), CellKind.Integer),
        Cell("server", (d, r) => Utf8Cells.Address(d, r.Server), CellKind.Text),
        Cell("server_port", (d, r) => Utf8Cells.Number(d, r.ServerPort), CellKind.Integer),
        Cell("first_time", (d, r) => Utf8Cells.Time(d, r.FirstTimeNs, r.TimestampDigits), CellKind.Text),
        Cell("last_time", (d, r) => Utf8Cells.Time(d, r.LastTimeNs, r.TimestampDigits), CellKind.Text),
        Cell("packets_c2s", (d, r) => Utf8Cells.Number(d, r.PacketsC2S), CellKind.Integer),
        Cell("packets_s2c", (d, r) => Utf8Cells.Number(d, r.PacketsS2C), CellKind.Integer),
        Cell("bytes_c2s", (d, r) => Utf8Cells.Number(d, r.BytesC2S), CellKind.Integer),
        Cell("bytes_s2c", (d, r) => Utf8Cells.Number(d, r.BytesS2C), CellKind.Integer),
        Cell("mss_c2s", (d, r) => Utf8Cells.Number(d, r.MssC2S), CellKind.Integer),
        Cell("mss_s2c", (d, r) => Utf8Cells.Number(d, r.MssS2C), CellKind.Integer),
        Cell("wscale_c2s", (d, r) => Utf8Cells.Number(d, r.WscaleC2S), CellKind.Integer),
        Cell("wscale_s2c", (d, r) => Utf8Cells.Number(d, r.WscaleS2C), CellKind.Integer),
        Cell("irtt_ms", (d, r) => Utf8Cells.Milliseconds(d, r.IrttNs), CellKind.Number),
        Cell("retransmissions", (d, r) => Utf8Cells.Number(d, r.Retransmissions), CellKind.Integer),
        Cell("zero_window_episodes", (d, r) => Utf8Cells.Number(d, r.ZeroWindowEpisodes), CellKind.Integer),
        Cell("zero_window_ms", (d, r) => Utf8Cells.Milliseconds(d, r.ZeroWindowNs), CellKind.Number),
        Cell("nagle_stalls", (d, r) => Utf8Cells.Number(d, r.NagleStalls), CellKind.Integer),
        Cell("nagle_stall_ms", (d, r) => Utf8Cells.Milliseconds(d, r.NagleStallNs), CellKind.Number),
        Cell("close", (d, r) => Utf8Cells.Name(d, r.Close), CellKind.Text),
        Cell("vlan", (d, r) => Utf8Cells.Number(d, r.Vlan), CellKind.Integer),
        Cell("payload_bytes_c2s", (d, r) => Utf8Cells.Number(d, r.PayloadBytesC2S), CellKind.Integer),
        Cell("payload_bytes_s2c", (d, r) => Utf8Cells.Number(d, r.PayloadBytesS2C), CellKind.Integer),
        Cell("duration_s", (d, r) => Utf8Cells.Seconds(d, r.DurationNs), CellKind.Number),
        Cell("first_frame", (d, r) => Utf8Cells.Number(d, r.FirstFrame), CellKind.Integer),
        Cell("rtt_c2s_min_ms", (d, r) => Utf8Cells.Milliseconds(d, r.RttC2SMinNs), CellKind.Number),
        Cell("rtt_c2s_avg_ms", (d, r) => Utf8Cells.Milliseconds(d, r.RttC2SAvgNs), CellKind.Number),
        Cell("rtt_c2s_max_ms", (d, r) => Utf8Cells.Milliseconds(d, r.RttC2SMaxNs), CellKind.Number),
        Cell("rtt_s2c_min_ms", (d, r) => Utf8Cells.Milliseconds(d, r.RttS2CMinNs), CellKind.Number),
        Cell("rtt_s2c_avg_ms", (d, r) => Utf8Cells.Milliseconds(d, r.RttS2CAvgNs), CellKind.Number),
        Cell("rtt_s2c_max_ms", (d, r) => Utf8Cells.Milliseconds(d, r.RttS2CMaxNs), CellKind.Number),
        Cell("max_in_flight_c2s", (d, r) => Utf8Cells.Number(d, r.MaxInFlightC2S), CellKind.Integer),
        Cell("max_in_flight_s2c", (d, r) => Utf8Cells.Number(d, r.MaxInFlightS2C), CellKind.Integer),
        Cell("window_full_c2s", (d, r) => Utf8Cells.Number(d, r.WindowFullC2S), CellKind.Integer),
        Cell("window_full_s2c", (d, r) => Utf8Cells.Number(d, r.WindowFullS2C), CellKind.Integer),
        Cell("zero_window_probes", (d, r) => Utf8Cells.Number(d, r.ZeroWindowProbes), CellKind.Integer),
        Cell("sack", (d, r) => Utf8Cells.Flag(d, r.Sack), CellKind.Integer),
        Cell("timestamps", (d, r) => Utf8Cells.Flag(d, r.Timestamps), CellKind.Integer),
        Cell("pmtu_messages", (d, r) => Utf8Cells.Number(d, r.PmtuMessages), CellKind.Integer),
        Cell("lowest_pmtu", (d, r) => Utf8Cells.Number(d, r.LowestPmtu), CellKind.Integer),
        CsvColumn<FlowRow>.OfText("file", r => r.File),
    ];

    private static CsvColumn<FlowRow> Cell(string name, Utf8CellFormatter<FlowRow> format, CellKind kind) => CsvColumn<FlowRow>.Plain(name, format) with { Kind = kind };

    /// <summary>events.csv; <c>file</c> names the input a frame number refers to.</summary>
    public static IReadOnlyList<CsvColumn<EventRow>> Events { get; } =
    [
        CsvColumn<EventRow>.OfText("time", r => r.Time),
        EventCell("flow_id", (d, r) => Utf8Cells.Number(d, r.FlowId), CellKind.Integer),
        CsvColumn<EventRow>.OfText("event", r => r.Event),
        CsvColumn<EventRow>.OfText("severity", r => r.Severity),
        EventCell("frame", (d, r) => Utf8Cells.Number(d, r.Frame), CellKind.Integer),
        CsvColumn<EventRow>.OfText("src", r => r.Src),
        EventCell("src_port", (d, r) => Utf8Cells.Number(d, r.SrcPort), CellKind.Integer),
        CsvColumn<EventRow>.OfText("dst", r => r.Dst),
        EventCell("dst_port", (d, r) => Utf8Cells.Number(d, r.DstPort), CellKind.Integer),
        CsvColumn<EventRow>.OfText("duration_ms", r => r.DurationMs) with { Kind = CellKind.Number },
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
        FragmentCell("first_time", (d, r) => Utf8Cells.Time(d, r.FirstTimeNs, r.TimestampDigits)),
        FragmentCell("last_time", (d, r) => Utf8Cells.Time(d, r.LastTimeNs, r.TimestampDigits)),
        FragmentCell("ip_version", (d, r) => Utf8Cells.Number(d, r.IpVersion)),
        FragmentCell("src", (d, r) => Utf8Cells.Address(d, r.Src)),
        FragmentCell("dst", (d, r) => Utf8Cells.Address(d, r.Dst)),
        FragmentCell("ip_id", (d, r) => Utf8Cells.Number(d, r.IpId)),
        FragmentCell("protocol", (d, r) => Utf8Cells.Number(d, r.Protocol)),
        FragmentCell("fragments", (d, r) => Utf8Cells.Number(d, r.Fragments)),
        FragmentCell("bytes", (d, r) => Utf8Cells.Number(d, r.Bytes)),
        FragmentCell("status", (d, r) => Utf8Cells.Name(d, r.Status)),
        CsvColumn<FragmentRow>.OfText("missing", r => r.Missing),
        FragmentCell("overlap_bytes", (d, r) => Utf8Cells.Number(d, r.OverlapBytes)),
        FragmentCell("conflict_bytes", (d, r) => Utf8Cells.Number(d, r.ConflictBytes)),
        FragmentCell("largest_fragment", (d, r) => Utf8Cells.Number(d, r.LargestFragment)),
        FragmentCell("first_frame", (d, r) => Utf8Cells.Number(d, r.FirstFrame)),
        FragmentCell("ended", (d, r) => Utf8Cells.Name(d, r.Ended)),
        CsvColumn<FragmentRow>.OfText("policies", r => r.Policies),
        CsvColumn<FragmentRow>.OfText("file", r => r.File),
    ];

    private static CsvColumn<FragmentRow> FragmentCell(string name, Utf8CellFormatter<FragmentRow> format) => CsvColumn<FragmentRow>.Plain(name, format);

    /// <summary>udp.csv: CONTRACT.md's columns, then ours. Every cell is plain, so the table is written straight as UTF-8.</summary>
    public static IReadOnlyList<CsvColumn<UdpRow>> Udp { get; } =
    [
        UdpCell("flow_id", (d, r) => Utf8Cells.Number(d, r.FlowId)),
        UdpCell("src", (d, r) => Utf8Cells.Address(d, r.Src)),
        UdpCell("src_port", (d, r) => Utf8Cells.Number(d, r.SrcPort)),
        UdpCell("dst", (d, r) => Utf8Cells.Address(d, r.Dst)),
        UdpCell("dst_port", (d, r) => Utf8Cells.Number(d, r.DstPort)),
        UdpCell("datagrams", (d, r) => Utf8Cells.Number(d, r.Datagrams)),
        UdpCell("bytes", (d, r) => Utf8Cells.Number(d, r.Bytes)),
        UdpCell("max_datagram", (d, r) => Utf8Cells.Number(d, r.MaxDatagram)),
        UdpCell("fragmented_datagrams", (d, r) => Utf8Cells.Number(d, r.FragmentedDatagrams)),
        UdpCell("lost_with_fragment", (d, r) => Utf8Cells.Number(d, r.LostWithFragment)),
        UdpCell("seq_kind", (d, r) => Utf8Cells.Text(d, r.SeqKind)),
        UdpCell("seq_lost", (d, r) => Utf8Cells.Number(d, r.SeqLost)),
        UdpCell("seq_duplicates", (d, r) => Utf8Cells.Number(d, r.SeqDuplicates)),
        UdpCell("seq_reordered", (d, r) => Utf8Cells.Number(d, r.SeqReordered)),
        UdpCell("jitter_ms", (d, r) => Utf8Cells.ThreeDecimals(d, r.JitterMs)),
        UdpCell("seq_direction", (d, r) => Utf8Cells.Text(d, r.SeqDirection)),
        UdpCell("rtp_ssrc", (d, r) => Utf8Cells.Text(d, r.Ssrc)),
        UdpCell("rtp_payload_type", (d, r) => Utf8Cells.Number(d, r.PayloadType)),
    ];

    private static CsvColumn<UdpRow> UdpCell(string name, Utf8CellFormatter<UdpRow> format) => CsvColumn<UdpRow>.Plain(name, format);
}
