using System.Runtime.ExceptionServices;
using PcapInsight.Core.Analysis;

namespace PcapInsight.Reporting;

/// <summary>
/// Writes a report's tables in two groups at once: those that read the flow spool (flows, udp), one after the other
/// on the calling thread, and those held in memory (events, fragments, series) on another. Each table's rows are
/// formatted on the pool; what a table's writing thread does is mostly the kernel's copy into the page cache, which
/// one thread could not keep up with on a capture of hundreds of thousands of events (its formatted batches waited).
/// </summary>
internal static class TableGroups
{
    /// <summary>
    /// Writes a report's tables through one writer's methods (CSV's or Parquet's), each taking the result and the
    /// folder: <paramref name="flows"/> then <paramref name="udp"/> here, <paramref name="events"/>,
    /// <paramref name="fragments"/> and <paramref name="series"/> (when given) on another thread. Which table goes with
    /// which group is decided here only.
    /// </summary>
    public static void Write(AnalysisResult result, string directory, Action<AnalysisResult, string> flows, Action<AnalysisResult, string> udp,
        Action<AnalysisResult, string> events, Action<AnalysisResult, string> fragments, Action<AnalysisResult, string>? series = null) =>
        InTwoGroups(result,
            spooled: () =>
            {
                flows(result, directory);
                udp(result, directory);
            },
            inMemory: () =>
            {
                events(result, directory);
                fragments(result, directory);
                series?.Invoke(result, directory);
            });

    /// <summary>
    /// Runs <paramref name="spooled"/> here and <paramref name="inMemory"/> on another thread, and returns when both are
    /// done. When one fails, the rest of that group is not written, the other still is and is waited for, and the
    /// failure is thrown: the spooled group's when both fail.
    /// </summary>
    private static void InTwoGroups(AnalysisResult result, Action spooled, Action inMemory)
    {
        _ = result.Events.Rows;   // chosen once, here: the rows are made on first use, not for two threads at once
        // A thread of its own, not one of the pool's: it mostly waits on its tables' formatting, which runs on the
        // pool, and a pool thread waiting there would hold one of the pool's few (one a core) until it adds another.
        Task other = Task.Factory.StartNew(inMemory, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Exception? failure = null;
        try
        {
            spooled();
        }
        catch (Exception ex)
        {
            failure = ex;
        }
        try
        {
            other.GetAwaiter().GetResult();
        }
        catch (Exception ex) when (failure is null)
        {
            failure = ex;
        }
        catch (Exception)
        {
            // The spooled group's failure is the one thrown.
        }
        if (failure is not null)
        {
            ExceptionDispatchInfo.Throw(failure);
        }
    }
}
