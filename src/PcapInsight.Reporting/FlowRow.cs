using PcapInsight.Core.Decoding;
using PcapInsight.Core.Flows;

namespace PcapInsight.Reporting;

/// <summary>
/// One row of flows.csv: the values of its cells, typed, as a view over the flow's summary (nothing is copied or
/// formatted until a writer asks). Column order and text are <see cref="CsvColumns.Flows"/>'s. A null value is an
/// empty cell: not known (no handshake captured) or not TCP.
/// </summary>
/// <remarks>
/// A view and not a record of strings: flows.csv of a million flows wrote 45 million cells, and a string for each
/// cost more than the analysis of the flows. The CSV columns format straight into the writer's buffer.
/// </remarks>
/// <param name="Flow">The flow's summary.</param>
/// <param name="TimestampDigits">Fraction digits of the times.</param>
/// <param name="File">The name of the input file <see cref="FirstFrame"/> counts in (one string a file).</param>
public readonly record struct FlowRow(FlowSummary Flow, int TimestampDigits, string File = "")
{
    private TcpSummary? Tcp => Flow.Tcp;

    public int FlowId => Flow.Id;
    public string Proto => ProtocolNames.Name(Flow.Protocol);
    public IpAddr Client => Flow.Client;
    public ushort ClientPort => Flow.ClientPort;
    public IpAddr Server => Flow.Server;
    public ushort ServerPort => Flow.ServerPort;
    public long FirstTimeNs => Flow.FirstTimeNs;
    public long LastTimeNs => Flow.LastTimeNs;
    public long PacketsC2S => Flow.PacketsC2S;
    public long PacketsS2C => Flow.PacketsS2C;
    public long BytesC2S => Flow.BytesC2S;
    public long BytesS2C => Flow.BytesS2C;
    public int? MssC2S => Tcp is { SawSyn: true, MssC2S: > 0 } t ? t.MssC2S : null;
    public int? MssS2C => Tcp is { SawSynAck: true, MssS2C: > 0 } t ? t.MssS2C : null;
    public int? WscaleC2S => Tcp is { SawSyn: true, WindowScaleC2S: >= 0 } t ? t.WindowScaleC2S : null;
    public int? WscaleS2C => Tcp is { SawSynAck: true, WindowScaleS2C: >= 0 } t ? t.WindowScaleS2C : null;
    public long? IrttNs => Tcp is { InitialRttNs: >= 0 } t ? t.InitialRttNs : null;
    public long? Retransmissions => Tcp is { } t ? t.C2S.Retransmissions + t.S2C.Retransmissions : null;
    public long? ZeroWindowEpisodes => Tcp is { } t ? t.C2S.ZeroWindowEpisodes + t.S2C.ZeroWindowEpisodes : null;
    public long? ZeroWindowNs => Tcp is { } t ? t.C2S.ZeroWindowNs + t.S2C.ZeroWindowNs : null;
    public long? NagleStalls => Tcp is { } t ? t.C2S.NagleStalls + t.S2C.NagleStalls : null;
    public long? NagleStallNs => Tcp is { } t ? t.C2S.NagleStallNs + t.S2C.NagleStallNs : null;
    public string Close => ReportRows.CloseName(Flow.Close);
    public int Vlan => Flow.Vlan;
    public string Tunnel => Flow.Tunnels == TunnelKinds.None ? "" : TunnelKindNames.Of(Flow.Tunnels);
    public long PayloadBytesC2S => Flow.PayloadBytesC2S;
    public long PayloadBytesS2C => Flow.PayloadBytesS2C;
    public long DurationNs => Flow.LastTimeNs - Flow.FirstTimeNs;
    public long FirstFrame => Flow.FirstFrame;
    public long? RttC2SMinNs => Tcp?.C2S is { RttSamples: > 0 } d ? d.RttMinNs : null;
    public long? RttC2SAvgNs => Tcp?.C2S is { RttSamples: > 0 } d ? d.RttSumNs / d.RttSamples : null;
    public long? RttC2SMaxNs => Tcp?.C2S is { RttSamples: > 0 } d ? d.RttMaxNs : null;
    public long? RttS2CMinNs => Tcp?.S2C is { RttSamples: > 0 } d ? d.RttMinNs : null;
    public long? RttS2CAvgNs => Tcp?.S2C is { RttSamples: > 0 } d ? d.RttSumNs / d.RttSamples : null;
    public long? RttS2CMaxNs => Tcp?.S2C is { RttSamples: > 0 } d ? d.RttMaxNs : null;
    public long? MaxInFlightC2S => Tcp?.C2S.MaxBytesInFlight;
    public long? MaxInFlightS2C => Tcp?.S2C.MaxBytesInFlight;
    public long? WindowFullC2S => Tcp?.C2S.WindowFull;
    public long? WindowFullS2C => Tcp?.S2C.WindowFull;
    public long? ZeroWindowProbes => Tcp is { } t ? t.C2S.ZeroWindowProbes + t.S2C.ZeroWindowProbes : null;

    /// <summary>Negotiated when both SYNs offered it; null when the handshake was not captured.</summary>
    public bool? Sack => Tcp is { SawSyn: true, SawSynAck: true } t ? t.SackPermittedC2S && t.SackPermittedS2C : null;

    /// <summary>Negotiated when both SYNs offered them; null when the handshake was not captured.</summary>
    public bool? Timestamps => Tcp is { SawSyn: true, SawSynAck: true } t ? t.TimestampsC2S && t.TimestampsS2C : null;

    public int PmtuMessages => Flow.PmtuMessages;
    public int? LowestPmtu => Flow.LowestPmtu > 0 ? Flow.LowestPmtu : null;
}
