using CsvHelper;

namespace PcapInsight.Reporting;

/// <summary>One column of a CSV table: its header name and how a row writes its cell.</summary>
/// <typeparam name="TRow">The row type.</typeparam>
public sealed record CsvColumn<TRow>(string Name, Action<CsvWriter, TRow> Write);

/// <summary>
/// The column lists of flows.csv and events.csv: CONTRACT.md's required columns first, in its order, then our
/// extensions. The order here is the order in the file; tests pin it.
/// </summary>
public static class CsvColumns
{
    /// <summary>flows.csv. An empty cell means "not known" (no handshake captured, or an analysis this build does not run).</summary>
    public static IReadOnlyList<CsvColumn<FlowRow>> Flows { get; } =
    [
        new("flow_id", (w, r) => w.WriteField(r.FlowId, default)),
        new("proto", (w, r) => w.WriteField(r.Proto)),
        new("client", (w, r) => CsvCells.Address(w, r.Client)),
        new("client_port", (w, r) => w.WriteField(r.ClientPort, default)),
        new("server", (w, r) => CsvCells.Address(w, r.Server)),
        new("server_port", (w, r) => w.WriteField(r.ServerPort, default)),
        new("first_time", (w, r) => CsvCells.Time(w, r.FirstTimeNs, r.TimestampDigits)),
        new("last_time", (w, r) => CsvCells.Time(w, r.LastTimeNs, r.TimestampDigits)),
        new("packets_c2s", (w, r) => w.WriteField(r.PacketsC2S, default)),
        new("packets_s2c", (w, r) => w.WriteField(r.PacketsS2C, default)),
        new("bytes_c2s", (w, r) => w.WriteField(r.BytesC2S, default)),
        new("bytes_s2c", (w, r) => w.WriteField(r.BytesS2C, default)),
        new("mss_c2s", (w, r) => w.WriteField(r.MssC2S, default)),
        new("mss_s2c", (w, r) => w.WriteField(r.MssS2C, default)),
        new("wscale_c2s", (w, r) => w.WriteField(r.WscaleC2S, default)),
        new("wscale_s2c", (w, r) => w.WriteField(r.WscaleS2C, default)),
        new("irtt_ms", (w, r) => CsvCells.Milliseconds(w, r.IrttNs)),
        new("retransmissions", (w, r) => w.WriteField(r.Retransmissions, default)),
        new("zero_window_episodes", (w, r) => w.WriteField(r.ZeroWindowEpisodes, default)),
        new("zero_window_ms", (w, r) => CsvCells.Milliseconds(w, r.ZeroWindowNs)),
        new("nagle_stalls", (w, r) => w.WriteField(r.NagleStalls, default)),
        new("nagle_stall_ms", (w, r) => CsvCells.Milliseconds(w, r.NagleStallNs)),
        new("close", (w, r) => w.WriteField(r.Close)),
        new("vlan", (w, r) => w.WriteField(r.Vlan, default)),
        new("payload_bytes_c2s", (w, r) => w.WriteField(r.PayloadBytesC2S, default)),
        new("payload_bytes_s2c", (w, r) => w.WriteField(r.PayloadBytesS2C, default)),
        new("duration_s", (w, r) => CsvCells.Seconds(w, r.DurationNs)),
        new("first_frame", (w, r) => w.WriteField(r.FirstFrame, default)),
        new("rtt_c2s_min_ms", (w, r) => CsvCells.Milliseconds(w, r.RttC2SMinNs)),
        new("rtt_c2s_avg_ms", (w, r) => CsvCells.Milliseconds(w, r.RttC2SAvgNs)),
        new("rtt_c2s_max_ms", (w, r) => CsvCells.Milliseconds(w, r.RttC2SMaxNs)),
        new("rtt_s2c_min_ms", (w, r) => CsvCells.Milliseconds(w, r.RttS2CMinNs)),
        new("rtt_s2c_avg_ms", (w, r) => CsvCells.Milliseconds(w, r.RttS2CAvgNs)),
        new("rtt_s2c_max_ms", (w, r) => CsvCells.Milliseconds(w, r.RttS2CMaxNs)),
        new("max_in_flight_c2s", (w, r) => w.WriteField(r.MaxInFlightC2S, default)),
        new("max_in_flight_s2c", (w, r) => w.WriteField(r.MaxInFlightS2C, default)),
        new("window_full_c2s", (w, r) => w.WriteField(r.WindowFullC2S, default)),
        new("window_full_s2c", (w, r) => w.WriteField(r.WindowFullS2C, default)),
        new("zero_window_probes", (w, r) => w.WriteField(r.ZeroWindowProbes, default)),
        new("sack", (w, r) => CsvCells.Flag(w, r.Sack)),
        new("timestamps", (w, r) => CsvCells.Flag(w, r.Timestamps)),
        new("pmtu_messages", (w, r) => w.WriteField(r.PmtuMessages, default)),
        new("lowest_pmtu", (w, r) => w.WriteField(r.LowestPmtu, default)),
    ];

    /// <summary>events.csv; <c>file</c> names the input a frame number refers to.</summary>
    public static IReadOnlyList<CsvColumn<EventRow>> Events { get; } =
    [
        new("time", (w, r) => w.WriteField(r.Time)),
        new("flow_id", (w, r) => w.WriteField(r.FlowId, default)),
        new("event", (w, r) => w.WriteField(r.Event)),
        new("severity", (w, r) => w.WriteField(r.Severity)),
        new("frame", (w, r) => w.WriteField(r.Frame, default)),
        new("src", (w, r) => w.WriteField(r.Src)),
        new("src_port", (w, r) => w.WriteField(r.SrcPort, default)),
        new("dst", (w, r) => w.WriteField(r.Dst)),
        new("dst_port", (w, r) => w.WriteField(r.DstPort, default)),
        new("duration_ms", (w, r) => w.WriteField(r.DurationMs)),
        new("detail", (w, r) => w.WriteField(r.Detail)),
        new("advice", (w, r) => w.WriteField(r.Advice)),
        new("file", (w, r) => w.WriteField(r.File)),
    ];

    /// <summary>tcp_series.csv: the recorded time series, one row per point.</summary>
    public static IReadOnlyList<CsvColumn<SeriesRow>> Series { get; } =
    [
        new("flow_id", (w, r) => w.WriteField(r.FlowId, default)),
        new("direction", (w, r) => w.WriteField(r.Direction)),
        new("time", (w, r) => w.WriteField(r.Time)),
        new("kind", (w, r) => w.WriteField(r.Kind)),
        new("seq", (w, r) => w.WriteField(r.Seq, default)),
        new("length", (w, r) => w.WriteField(r.Length, default)),
        new("in_flight_bytes", (w, r) => w.WriteField(r.InFlight, default)),
        new("window_bytes", (w, r) => w.WriteField(r.Window, default)),
        new("rtt_ms", (w, r) => w.WriteField(r.RttMs)),
    ];

    /// <summary>fragments.csv: CONTRACT.md's columns, then ours.</summary>
    public static IReadOnlyList<CsvColumn<FragmentRow>> Fragments { get; } =
    [
        new("first_time", (w, r) => w.WriteField(r.FirstTime)),
        new("last_time", (w, r) => w.WriteField(r.LastTime)),
        new("ip_version", (w, r) => w.WriteField(r.IpVersion, default)),
        new("src", (w, r) => w.WriteField(r.Src)),
        new("dst", (w, r) => w.WriteField(r.Dst)),
        new("ip_id", (w, r) => w.WriteField(r.IpId, default)),
        new("protocol", (w, r) => w.WriteField(r.Protocol, default)),
        new("fragments", (w, r) => w.WriteField(r.Fragments, default)),
        new("bytes", (w, r) => w.WriteField(r.Bytes, default)),
        new("status", (w, r) => w.WriteField(r.Status)),
        new("missing", (w, r) => w.WriteField(r.Missing)),
        new("overlap_bytes", (w, r) => w.WriteField(r.OverlapBytes, default)),
        new("conflict_bytes", (w, r) => w.WriteField(r.ConflictBytes, default)),
        new("largest_fragment", (w, r) => w.WriteField(r.LargestFragment, default)),
        new("first_frame", (w, r) => w.WriteField(r.FirstFrame, default)),
        new("ended", (w, r) => w.WriteField(r.Ended)),
        new("policies", (w, r) => w.WriteField(r.Policies)),
        new("file", (w, r) => w.WriteField(r.File)),
    ];

    /// <summary>udp.csv: CONTRACT.md's columns, then ours.</summary>
    public static IReadOnlyList<CsvColumn<UdpRow>> Udp { get; } =
    [
        new("flow_id", (w, r) => w.WriteField(r.FlowId, default)),
        new("src", (w, r) => w.WriteField(r.Src)),
        new("src_port", (w, r) => w.WriteField(r.SrcPort, default)),
        new("dst", (w, r) => w.WriteField(r.Dst)),
        new("dst_port", (w, r) => w.WriteField(r.DstPort, default)),
        new("datagrams", (w, r) => w.WriteField(r.Datagrams, default)),
        new("bytes", (w, r) => w.WriteField(r.Bytes, default)),
        new("max_datagram", (w, r) => w.WriteField(r.MaxDatagram, default)),
        new("fragmented_datagrams", (w, r) => w.WriteField(r.FragmentedDatagrams, default)),
        new("lost_with_fragment", (w, r) => w.WriteField(r.LostWithFragment, default)),
        new("seq_kind", (w, r) => w.WriteField(r.SeqKind)),
        new("seq_lost", (w, r) => w.WriteField(r.SeqLost, default)),
        new("seq_duplicates", (w, r) => w.WriteField(r.SeqDuplicates, default)),
        new("seq_reordered", (w, r) => w.WriteField(r.SeqReordered, default)),
        new("jitter_ms", (w, r) => w.WriteField(r.JitterMs)),
        new("seq_direction", (w, r) => w.WriteField(r.SeqDirection)),
        new("rtp_ssrc", (w, r) => w.WriteField(r.Ssrc)),
        new("rtp_payload_type", (w, r) => w.WriteField(r.PayloadType, default)),
    ];
}
