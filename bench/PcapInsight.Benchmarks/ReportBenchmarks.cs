using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using PcapInsight.Core.Analysis;
using PcapInsight.Reporting;
using PcapInsight.TestKit;

namespace PcapInsight.Benchmarks;

/// <summary>
/// Writing the report tables of many flows: flows.csv straight as UTF-8 (its cells are all plain) against the same
/// columns through CsvHelper (what every file took before), and flows.parquet. The rows are the flows of 100,000
/// short TCP connections (ShortConnections, as the million-flow benchmark capture), analysed once in the setup;
/// the files go to a temporary folder. Per 100,000 rows; compare the median.
/// Run: dotnet run -c Release --project bench/PcapInsight.Benchmarks -- --filter '*Report*'
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, warmupCount: 2, iterationCount: 10, invocationCount: 1)]
public class ReportBenchmarks
{
    private const int Flows = 100_000;
    private FlowRow[] _rows = [];
    private CsvColumn<FlowRow>[] _throughCsvHelper = [];
    private string _directory = "";

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("pcapinsight-report-bench-").FullName;
        string capture = Path.Combine(_directory, "connections.pcap");
        ShortConnections.Write(capture, Flows);
        AnalysisResult result = Captures.Analyze(capture, new AnalysisOptions { Flows = new() { MaxListedFlows = Flows } });
        _rows = ReportRows.Flows(result).ToArray();
        // The same columns without their UTF-8 formatters: CsvReportWriter then writes them through CsvHelper.
        _throughCsvHelper = CsvColumns.Flows.Select(c => c with { Utf8 = null }).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_directory, recursive: true);

    [Benchmark(Baseline = true)]
    public void FlowsCsv_ThroughCsvHelper() => CsvReportWriter.Write(Path.Combine(_directory, "general.csv"), _throughCsvHelper, _rows);

    [Benchmark]
    public void FlowsCsv_Plain() => CsvReportWriter.Write(Path.Combine(_directory, "plain.csv"), CsvColumns.Flows, _rows);

    /// <summary>The same, every batch formatted on the writing thread (what it was before batches went to the pool).</summary>
    [Benchmark]
    public void FlowsCsv_PlainOneThread() =>
        AtomicFile.Write(Path.Combine(_directory, "plain1.csv"), stream => Utf8CsvTable.Write(stream, CsvColumns.Flows, _rows, batchesInFlight: 1));

    [Benchmark]
    public void FlowsParquet_Plain() => ParquetReportWriter.Write(Path.Combine(_directory, "plain.parquet"), CsvColumns.Flows, _rows);

    [Benchmark]
    public void FlowsParquet_ThroughCsvHelper() => ParquetReportWriter.Write(Path.Combine(_directory, "general.parquet"), _throughCsvHelper, _rows);
}
