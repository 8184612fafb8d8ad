namespace PcapInsight.Reporting;

/// <summary>One row of flows.csv, already formatted; column order is fixed by <see cref="CsvColumns.Flows"/>.</summary>
public sealed record FlowRow
{
    public int FlowId { get; init; }
    public string Proto { get; init; } = "";
    public string Client { get; init; } = "";
    public int ClientPort { get; init; }
    public string Server { get; init; } = "";
    public int ServerPort { get; init; }
    public string FirstTime { get; init; } = "";
    public string LastTime { get; init; } = "";
    public long PacketsC2S { get; init; }
    public long PacketsS2C { get; init; }
    public long BytesC2S { get; init; }
    public long BytesS2C { get; init; }
    public int? MssC2S { get; init; }
    public int? MssS2C { get; init; }
    public int? WscaleC2S { get; init; }
    public int? WscaleS2C { get; init; }
    public string? IrttMs { get; init; }
    public long? Retransmissions { get; init; }
    public long? ZeroWindowEpisodes { get; init; }
    public string? ZeroWindowMs { get; init; }
    public long? NagleStalls { get; init; }
    public string? NagleStallMs { get; init; }
    public string Close { get; init; } = "";
    public int Vlan { get; init; }
    public long PayloadBytesC2S { get; init; }
    public long PayloadBytesS2C { get; init; }
    public string DurationS { get; init; } = "";
    public long FirstFrame { get; init; }
    public string? RttC2SMinMs { get; init; }
    public string? RttC2SAvgMs { get; init; }
    public string? RttC2SMaxMs { get; init; }
    public string? RttS2CMinMs { get; init; }
    public string? RttS2CAvgMs { get; init; }
    public string? RttS2CMaxMs { get; init; }
    public long? MaxInFlightC2S { get; init; }
    public long? MaxInFlightS2C { get; init; }
    public long? WindowFullC2S { get; init; }
    public long? WindowFullS2C { get; init; }
    public long? ZeroWindowProbes { get; init; }
    public string? Sack { get; init; }
    public string? Timestamps { get; init; }
    public int PmtuMessages { get; init; }
    public int? LowestPmtu { get; init; }
}
