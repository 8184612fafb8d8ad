using PcapInsight.Core.Analysis;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Fragments;

namespace PcapInsight.Reporting;

/// <summary>
/// One row of fragments.csv: the values of its cells, typed, as a view over the datagram's record (nothing is
/// formatted until a writer asks). Column order and text are <see cref="CsvColumns.Fragments"/>'s.
/// </summary>
/// <remarks>
/// A view and not a record of strings, as <see cref="UdpRow"/>: a capture of half a million fragmented datagrams
/// spent 1.7 s writing fragments.csv through CsvHelper from a row of eight strings each; its cells now go straight
/// into the row's bytes (<see cref="Utf8CsvTable"/>).
/// </remarks>
/// <param name="Datagram">The datagram.</param>
/// <param name="TimestampDigits">Fractional digits of the capture's times.</param>
/// <param name="File">The name of the file its first fragment came from (one string a file).</param>
public readonly record struct FragmentRow(DatagramRecord Datagram, int TimestampDigits, string File)
{
    public long FirstTimeNs => Datagram.FirstTimeNs;
    public long LastTimeNs => Datagram.LastTimeNs;
    public int IpVersion => Datagram.IpVersion;
    public IpAddr Src => Datagram.Src;
    public IpAddr Dst => Datagram.Dst;
    public uint IpId => Datagram.IpId;
    public int Protocol => Datagram.Protocol;
    public int Fragments => Datagram.Fragments;
    public int Bytes => Datagram.Bytes;

    /// <summary><c>complete</c>, <c>overlap</c>, <c>conflict</c> or <c>incomplete</c>.</summary>
    public string Status => FragmentStatuses.Name(Datagram.Status);

    /// <summary>The byte ranges never received, as "start-end" pairs separated by spaces; empty when complete.</summary>
    public string Missing => Datagram.Missing;
    public int OverlapBytes => Datagram.OverlapBytes;
    public int ConflictBytes => Datagram.ConflictBytes;
    public int LargestFragment => Datagram.LargestFragment;

    /// <summary>Fragments other than the last under <c>--frag-tiny-bytes</c> of payload (<c>ip.frag_tiny</c>).</summary>
    public int TinyFragments => Datagram.TinyFragments;
    public long FirstFrame => Datagram.FirstFrame;

    /// <summary>How it left the reassembler: <c>complete</c>, <c>timeout</c>, <c>evicted</c> or <c>capture_end</c>.</summary>
    public string Ended => Datagram.Ended;

    /// <summary>Which overlap policies rebuild which bytes (<see cref="FragmentedDatagram.PolicyGroups"/>); empty without overlaps.</summary>
    public string Policies => Datagram.PolicyGroups;

    /// <summary>The rows, in order of first fragment (datagrams of the same time in the order they ended).</summary>
    public static IEnumerable<FragmentRow> All(AnalysisResult result)
    {
        int digits = result.TimestampDigits;
        string[] files = ReportRows.FileNames(result);
        foreach (DatagramRecord d in result.Datagrams.OrderBy(d => d.FirstTimeNs))
        {
            yield return new FragmentRow(d, digits, files.Length > d.FirstFile ? files[d.FirstFile] : "");
        }
    }
}
