using PcapInsight.Live;
using Xunit;

namespace PcapInsight.Cli.Tests;

/// <summary>The hand-over between the capture thread and the analysis: bounded, never waiting, every drop counted.</summary>
public class FrameQueueTests
{
    [Theory]
    [InlineData(64, 1 << 30, 64)]     // the frame limit binds
    [InlineData(100_000, 6400, 64)]   // the byte limit binds (100-byte frames)
    public void Full_TheProducerDropsAndCounts_NeverWaits(int maxFrames, long maxBytes, int kept)
    {
        var queue = new FrameQueue(maxFrames, maxBytes);
        var frame = new byte[100];

        int accepted = Enumerable.Range(0, 1000).Count(i => queue.TryEnqueue(frame, 100, i));

        Assert.Equal(kept, accepted);
        Assert.Equal(1000 - kept, queue.Dropped);
        Assert.Equal(kept * 100L, queue.Bytes);
    }

    [Fact]
    public void Consumer_GetsFramesInOrder_ThenEnded_AndTheBytesAreGivenBack()
    {
        var queue = new FrameQueue(16, 1 << 20);
        for (int i = 0; i < 3; i++)
        {
            Assert.True(queue.TryEnqueue([(byte)i, 9], 60, 1000 + i));
        }
        queue.Complete();

        var got = new List<(byte, long, int)>();
        while (queue.TryDequeue(TimeSpan.FromSeconds(5), out PooledFrame f, out bool ended) || !ended)
        {
            got.Add((f.Buffer[0], f.TimestampNs, f.OriginalLength));
            FrameQueue.Release(f);
        }

        Assert.Equal([(0, 1000, 60), (1, 1001, 60), (2, 1002, 60)], got);
        Assert.Equal(0, queue.Bytes);
    }

    [Fact]
    public void Empty_TheConsumerWaitsOnlyAsLongAsAsked()
    {
        var queue = new FrameQueue(4, 1 << 20);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        Assert.False(queue.TryDequeue(TimeSpan.FromMilliseconds(50), out _, out bool ended));
        Assert.False(ended);
        Assert.False(queue.TryDequeue(TimeSpan.FromMilliseconds(50), out _, out _));   // the pending wait is reused, not piled up
        Assert.InRange(clock.ElapsedMilliseconds, 90, 5000);
        Assert.True(queue.TryEnqueue([7], 1, 1));
        Assert.True(queue.TryDequeue(TimeSpan.FromSeconds(5), out PooledFrame f, out _));
        Assert.Equal(7, f.Buffer[0]);
    }
}
