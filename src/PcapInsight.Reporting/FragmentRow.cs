using PcapInsight.Core.Analysis;
using PcapInsight.Core.Fragments;

namespace PcapInsight.Reporting;

/// <summary>One row of fragments.csv.</summary>
public sealed record FragmentRow
{
    public string FirstTime { get; init; } = "";
    public string LastTime { get; init; } = "";
    public int IpVersion { get; init; }
    public string Src { get; init; } = "";
    public string Dst { get; init; } = "";
    public uint IpId { get; init; }
    public int Protocol { get; init; }
    public int Fragments { get; init; }
    public int Bytes { get; init; }
    public string Status { get; init; } = "";
    public string Missing { get; init; } = "";
    public int OverlapBytes { get; init; }
    public int ConflictBytes { get; init; }
    public int LargestFragment { get; init; }
    public long FirstFrame { get; init; }
    public string Ended { get; init; } = "";
    public string Policies { get; init; } = "";
    public string File { get; init; } = "";

    /// <summary>The rows, in order of first fragment.</summary>
    public static IEnumerable<FragmentRow> All(AnalysisResult result)
    {
        int digits = result.TimestampDigits;
        foreach (DatagramRecord d in result.Datagrams.OrderBy(d => d.FirstTimeNs))
        {
            yield return new FragmentRow
            {
                FirstTime = CaptureTime.ToIso(d.FirstTimeNs, digits),
                LastTime = CaptureTime.ToIso(d.LastTimeNs, digits),
                IpVersion = d.IpVersion,
                Src = d.Src.ToString(),
                Dst = d.Dst.ToString(),
                IpId = d.IpId,
                Protocol = d.Protocol,
                Fragments = d.Fragments,
                Bytes = d.Bytes,
                Status = d.Status.ToString().ToLowerInvariant(),
                Missing = d.Missing,
                OverlapBytes = d.OverlapBytes,
                ConflictBytes = d.ConflictBytes,
                LargestFragment = d.LargestFragment,
                FirstFrame = d.FirstFrame,
                Ended = d.Ended,
                Policies = d.PolicyGroups,
                File = result.Files.Count > d.FirstFile ? Path.GetFileName(result.Files[d.FirstFile].Path) : "",
            };
        }
    }
}
