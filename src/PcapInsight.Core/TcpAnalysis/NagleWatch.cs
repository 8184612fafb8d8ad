namespace PcapInsight.Core.TcpAnalysis;

/// <summary>
/// The small segment a sender is watched for; its stage is <see cref="TcpDirection.NagleStage"/>, kept apart so the
/// common "nothing watched" check touches one field. A direction holds one only while it watches (the stage is not
/// <see cref="None"/>); <see cref="TcpTimingAnalyzer"/> lends them from a pool and takes them back when the watch ends,
/// so a steady capture makes none.
/// </summary>
internal sealed class NagleWatch
{
    public const byte None = 0, AwaitingAck = 1, AwaitingRelease = 2, AwaitingAnswer = 3;

    public long SmallSentNs;
    public long SmallFrame;
    public int SmallFile;
    public int SmallBytes;
    public SeqNum SmallEnd;
    public long AckNs;
    public long HoldNs;
    public long ReleaseNs;
    public long ReleaseBytes;
}
