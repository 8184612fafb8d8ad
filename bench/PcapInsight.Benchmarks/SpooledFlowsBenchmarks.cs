using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Flows;
using PcapInsight.Reporting;
using PcapInsight.TestKit;

namespace PcapInsight.Benchmarks;

/// <summary>
/// flows.csv of flows read back from the spool, as a capture of many connections writes it: 100,000 short TCP
/// connections (ShortConnections) analysed once with 100 listed, so 99,900 come back from the spool's file. A new
/// summary for each (before FlowSummaryPool) against summaries given back once written (CsvReportWriter.WriteFlows).
/// Per 100,000 rows; compare the median and the allocation.
/// Run: dotnet run -c Release --project bench/PcapInsight.Benchmarks -- --filter '*Spooled*'
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, warmupCount: 2, iterationCount: 10, invocationCount: 1)]
public class SpooledFlowsBenchmarks
{
    private const int Flows = 100_000;
    private string _directory = "";
    private AnalysisResult _result = null!;
    private IDisposable _spools = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("pcapinsight-spool-bench-").FullName;
        string capture = Path.Combine(_directory, "connections.pcap");
        ShortConnections.Write(capture, Flows);
        using IPacketSource source = CaptureFile.Open(capture, 0);
        _result = CaptureAnalyzer.Run(source, [source.Stats],
            new AnalysisOptions { Flows = new() { MaxListedFlows = 100 }, SpoolDirectory = _directory });
        _spools = _result.SpoolFiles();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _spools.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true)]
    public void FlowsCsv_NewSummaries() => CsvReportWriter.Write(Path.Combine(_directory, "new.csv"), CsvColumns.Flows, ReportRows.Flows(_result));

    [Benchmark]
    public void FlowsCsv_SummariesGivenBack() => CsvReportWriter.WriteFlows(_result, _directory);
}
