using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Flows;
using PcapInsight.TestKit;
using Xunit;
using static PcapInsight.TestKit.FrameBuilder;

namespace PcapInsight.Core.Tests.Flows;

public class FlowTableTests
{
    private const string C = "192.0.2.1";
    private const string S = "192.0.2.200";   // numerically larger: the canonical key puts C first

    private static long _frame;

    private static Flow Feed(FlowTable table, double seconds, byte[] frame, out bool fromClient)
    {
        var p = new DecodedPacket();
        FrameDecoder.Decode(frame, LinkType.Ethernet, ref p);
        var info = new CaptureInfo(++_frame, (long)(seconds * 1e9), frame.Length, frame.Length, 0, LinkType.Ethernet);
        return table.Update(p, info, out fromClient, out _);
    }

    private static int PartitionOf(byte[] frame, FlowPartitions partitions)
    {
        var p = new DecodedPacket();
        FrameDecoder.Decode(frame, LinkType.Ethernet, ref p);
        return partitions.Of(FlowKey.From(p, out _));
    }

    private static byte[] TcpFrame(string src, ushort sp, string dst, ushort dp, TcpFlags flags, uint seq = 1000, int payload = 0, byte[]? options = null) =>
        Ethernet(0x0800, Ipv4(src, dst, 6, Tcp(sp, dp, seq: seq, flags: flags, options: options, payloadLength: payload)));

    [Fact]
    public void Update_Handshake_ClientIsTheSynSenderWithBothDirectionsCounted()
    {
        var table = new FlowTable(new FlowTableOptions());

        Flow f = Feed(table, 0.000, TcpFrame(C, 50000, S, 443, TcpFlags.Syn, options: Concat(MssOption(1460), WindowScaleOption(7))), out bool c1);
        Feed(table, 0.010, TcpFrame(S, 443, C, 50000, TcpFlags.Syn | TcpFlags.Ack, seq: 9000, options: Concat(MssOption(1400), WindowScaleOption(9))), out bool c2);
        Feed(table, 0.011, TcpFrame(C, 50000, S, 443, TcpFlags.Ack, seq: 1001), out _);
        Feed(table, 0.012, TcpFrame(C, 50000, S, 443, TcpFlags.Ack | TcpFlags.Psh, seq: 1001, payload: 100), out _);
        table.FinishAll();

        Assert.True(c1);
        Assert.False(c2);
        Assert.Equal(IpAddr.Parse(C), f.Client);
        Assert.Equal((ushort)50000, f.ClientPort);
        Assert.Equal((ushort)443, f.ServerPort);
        Assert.Equal(3, f.PacketsC2S);
        Assert.Equal(1, f.PacketsS2C);
        Assert.Equal(100, f.PayloadBytesC2S);
        Assert.Equal(1460, f.Tcp!.MssC2S);
        Assert.Equal(1400, f.Tcp.MssS2C);
        Assert.Equal(7, f.Tcp.WindowScaleC2S);
        Assert.Equal(9, f.Tcp.WindowScaleS2C);
        Assert.Equal(11_000_000, f.Tcp.InitialRttNs);
        Assert.Equal(FlowCloseReason.Open, f.Close);
    }

    [Theory]
    [InlineData(true)]   // the server, numerically larger, is source of the SYN-ACK seen first
    [InlineData(false)]
    public void Update_SynAckSeenFirst_ItsReceiverIsTheClient(bool serverIsLarger)
    {
        string server = serverIsLarger ? S : "192.0.2.0";
        var table = new FlowTable(new FlowTableOptions());

        Flow f = Feed(table, 0, TcpFrame(server, 80, C, 40000, TcpFlags.Syn | TcpFlags.Ack), out bool fromClient);

        Assert.False(fromClient);
        Assert.Equal(IpAddr.Parse(C), f.Client);
        Assert.Equal((ushort)80, f.ServerPort);
    }

    [Fact]
    public void Update_NoHandshake_ClientIsTheFirstSenderAndWindowScaleUnknown()
    {
        var table = new FlowTable(new FlowTableOptions());

        Flow f = Feed(table, 0, TcpFrame(S, 8080, C, 1234, TcpFlags.Ack, payload: 10), out bool fromClient);

        Assert.True(fromClient);
        Assert.Equal(IpAddr.Parse(S), f.Client);
        Assert.Equal(-1, f.Tcp!.WindowScaleC2S);
        Assert.Equal(-1, f.Tcp.InitialRttNs);
    }

    [Fact]
    public void Update_NewSynWithAnotherIsnOnTheSameTuple_StartsASecondFlow()
    {
        var table = new FlowTable(new FlowTableOptions());
        Flow first = Feed(table, 0, TcpFrame(C, 1000, S, 80, TcpFlags.Syn, seq: 1), out _);
        Feed(table, 0.1, TcpFrame(C, 1000, S, 80, TcpFlags.Syn, seq: 1), out _);        // retransmitted SYN: same flow
        Feed(table, 0.2, TcpFrame(C, 1000, S, 80, TcpFlags.Rst, seq: 2), out _);
        Flow second = Feed(table, 5, TcpFrame(C, 1000, S, 80, TcpFlags.Syn, seq: 777), out _);
        table.FinishAll();

        Assert.NotSame(first, second);
        Assert.Same(first, table.ReplacedFlow);
        Assert.Equal(3, first.PacketsC2S);
        Assert.Equal(FlowCloseReason.Reset, first.Close);
        Assert.Equal(2, second.Id);
        Assert.Equal(2, table.FinishedCount);
    }

    /// <summary>
    /// The end of a capture closes the open flows least recently active first over all partitions, as one list would
    /// hold them: ties in time go to the lower partition, then to the earlier place in a partition's list.
    /// </summary>
    [Fact]
    public void FinishAll_ClosesTheLeastRecentlyActiveFirst_OverAllPartitions()
    {
        var options = new FlowTableOptions();
        FlowPartitions partitions = FlowPartitions.For(options.MaxFlows);
        var table = new FlowTable(options);
        var closed = new List<int>();
        table.Closing = flow => closed.Add(flow.Id);
        const int Flows = 600;
        var listedAt = new double[Flows + 1];
        var partitionOf = new int[Flows + 1];
        for (int k = 1; k <= Flows; k++)
        {
            byte[] frame = TcpFrame(C, (ushort)(10_000 + k), S, 80, TcpFlags.Ack, payload: 10);
            listedAt[k] = k / 7 * 0.01;   // seven flows a time: ties within and across partitions
            Assert.Equal(k, Feed(table, listedAt[k], frame, out _).Id);
            partitionOf[k] = PartitionOf(frame, partitions);
        }
        for (int k = 3; k <= Flows; k += 3)   // a third active again, later, all at one time, in id order
        {
            Feed(table, 10, TcpFrame(C, (ushort)(10_000 + k), S, 80, TcpFlags.Ack, payload: 10), out _);
            listedAt[k] = 10;
        }
        Assert.True(partitionOf.Distinct().Count() > 32);

        table.FinishAll();

        int[] expected = Enumerable.Range(1, Flows).OrderBy(k => listedAt[k]).ThenBy(k => partitionOf[k]).ThenBy(k => k).ToArray();
        Assert.Equal(expected, closed);
    }

    [Fact]
    public void Expire_IdleFlow_ClosesItAndALaterPacketStartsANewOne()
    {
        var table = new FlowTable(new FlowTableOptions { IdleTimeout = TimeSpan.FromSeconds(60) });
        byte[] query = Ethernet(0x0800, Ipv4(C, S, 17, Udp(5000, 53, 20)));
        Flow first = Feed(table, 0, query, out _);
        table.Expire(59_000_000_000);
        Assert.Equal(1, table.ActiveCount);

        table.Expire(61_000_000_000);
        Flow second = Feed(table, 61, query, out _);

        Assert.Equal(FlowCloseReason.Timeout, first.Close);
        Assert.NotSame(first, second);
        Assert.Equal(1, table.Expired);
    }

    [Fact]
    public void Expire_BusyFlowAmongIdleOnes_OnlyTheIdleOnesClose()
    {
        // A flow with a packet every 50 ms (faster than the activity list's 100 ms granularity) for 5 minutes
        // must survive a 60 s timeout, while a flow idle since the start closes.
        var table = new FlowTable(new FlowTableOptions { IdleTimeout = TimeSpan.FromSeconds(60) });
        Flow idle = Feed(table, 0, Ethernet(0x0800, Ipv4(C, S, 17, Udp(9, 53))), out _);
        byte[] busy = Ethernet(0x0800, Ipv4(C, S, 17, Udp(1, 53)));
        Flow busyFlow = Feed(table, 0, busy, out _);
        for (int i = 1; i <= 6_000; i++)
        {
            double t = i * 0.05;
            Feed(table, t, busy, out _);
            if (i % 20 == 0)
            {
                table.Expire((long)(t * 1e9));
            }
        }

        Assert.Equal(FlowCloseReason.Timeout, idle.Close);
        Assert.Equal(1, table.ActiveCount);
        Assert.Equal(6_001, busyFlow.PacketsC2S);
    }

    [Fact]
    public void Update_TableFull_EvictsTheLeastRecentlyActiveAndCountsIt()
    {
        var table = new FlowTable(new FlowTableOptions { MaxFlows = 2 });
        Flow a = Feed(table, 0, Ethernet(0x0800, Ipv4(C, S, 17, Udp(1, 53))), out _);
        Flow b = Feed(table, 1, Ethernet(0x0800, Ipv4(C, S, 17, Udp(2, 53))), out _);
        Feed(table, 2, Ethernet(0x0800, Ipv4(C, S, 17, Udp(1, 53))), out _);           // a is fresher than b now
        Feed(table, 3, Ethernet(0x0800, Ipv4(C, S, 17, Udp(3, 53))), out _);

        Assert.Equal(1, table.Evicted);
        Assert.Equal(2, table.ActiveCount);
        Assert.Equal(FlowCloseReason.Evicted, b.Close);
        Assert.Same(b, Assert.Single(table.Finished));
        Assert.Equal(2, a.PacketsC2S);
    }

    [Fact]
    public void Update_PartitionFull_EvictsThatPartitionsLeastRecentlyActive_NotTheTables()
    {
        // 8,192 flows: two partitions of 4,096 (FlowPartitions). The table's oldest flow is in one partition; the
        // partition that fills first evicts its own oldest, however fresh, and the other keeps its flows.
        var table = new FlowTable(new FlowTableOptions { MaxFlows = 8_192 });
        var partitions = FlowPartitions.For(8_192);
        var flows = new List<Flow>();
        var full = new int[2];
        int fullPartition = -1;
        for (int i = 0; fullPartition < 0; i++)
        {
            Flow f = Feed(table, i * 0.001, Ethernet(0x0800, Ipv4($"192.0.2.{1 + i / 60_000}", S, 17, Udp((ushort)(1024 + i % 60_000), 53))), out _);
            flows.Add(f);
            if (++full[f.Partition] == 4_096)
            {
                fullPartition = f.Partition;
            }
        }
        Flow tableOldest = flows[0];
        Flow partitionOldest = flows.First(f => f.Partition == fullPartition);
        Assert.Equal(0, table.Evicted);

        // One more flow of the full partition (the other one's are skipped: it may be as full).
        byte[] frame;
        int n = flows.Count;
        do
        {
            frame = Ethernet(0x0800, Ipv4($"192.0.2.{1 + n / 60_000}", S, 17, Udp((ushort)(1024 + n % 60_000), 53)));
            n++;
        }
        while (PartitionOf(frame, partitions) != fullPartition);
        Flow next = Feed(table, n * 0.001, frame, out _);

        Assert.Equal(fullPartition, next.Partition);
        Assert.Equal(1, table.Evicted);
        Assert.Equal(FlowCloseReason.Evicted, partitionOldest.Close);
        Assert.Same(partitionOldest, Assert.Single(table.Finished));
        Assert.True(table.ActiveCount < 8_192);   // the other partition had room: the table as a whole was not full
        if (!ReferenceEquals(tableOldest, partitionOldest))
        {
            Assert.Equal(default, tableOldest.Close);   // still in the table
        }
    }

    [Fact]
    public void Update_SameTupleOnTwoVlans_IsTwoFlows()
    {
        var table = new FlowTable(new FlowTableOptions());
        Flow v10 = Feed(table, 0, Ethernet(0x0800, Ipv4(C, S, 17, Udp(1, 2)), 10), out _);
        Flow v20 = Feed(table, 0, Ethernet(0x0800, Ipv4(C, S, 17, Udp(1, 2)), 20), out _);

        Assert.NotSame(v10, v20);
        Assert.Equal((ushort)20, v20.Key.Vlan);
    }

    [Theory]
    [InlineData(TcpFlags.Fin, TcpFlags.Fin, FlowCloseReason.Fin)]
    [InlineData(TcpFlags.Fin, TcpFlags.Ack, FlowCloseReason.HalfClosed)]
    [InlineData(TcpFlags.Ack, TcpFlags.Rst, FlowCloseReason.Reset)]
    public void FinishAll_CloseReasonComesFromTheFlags(TcpFlags fromClient, TcpFlags fromServer, FlowCloseReason expected)
    {
        var table = new FlowTable(new FlowTableOptions());
        Flow f = Feed(table, 0, TcpFrame(C, 1, S, 2, fromClient | TcpFlags.Ack), out _);
        Feed(table, 1, TcpFrame(S, 2, C, 1, fromServer | TcpFlags.Ack), out _);
        table.FinishAll();

        Assert.Equal(expected, f.Close);
    }
}

public class FlowTableCloseLingerTests
{
    private const string C = "192.0.2.1";
    private const string S = "198.51.100.1";
    private static long _frame;

    private static Flow Feed(FlowTable table, double seconds, TcpFlags flags, ushort clientPort = 40000, bool fromClient = true, uint seq = 1000)
    {
        byte[] frame = fromClient
            ? Ethernet(0x0800, Ipv4(C, S, 6, Tcp(clientPort, 80, seq: seq, flags: flags)))
            : Ethernet(0x0800, Ipv4(S, C, 6, Tcp(80, clientPort, seq: 9000, flags: flags)));
        var p = new DecodedPacket();
        FrameDecoder.Decode(frame, LinkType.Ethernet, ref p);
        var info = new CaptureInfo(++_frame, (long)(seconds * 1e9), frame.Length, frame.Length, 0, LinkType.Ethernet);
        Flow flow = table.Update(p, info, out _, out _);
        table.ExpireClosed(info.TimestampNs);
        return flow;
    }

    private static Flow Handshake(FlowTable table, double t, ushort port = 40000)
    {
        Flow f = Feed(table, t, TcpFlags.Syn, port);
        Feed(table, t + 0.001, TcpFlags.Syn | TcpFlags.Ack, port, fromClient: false);
        Feed(table, t + 0.002, TcpFlags.Ack, port);
        return f;
    }

    public static TheoryData<string, TcpFlags, TcpFlags, FlowCloseReason?> Endings => new()
    {
        // what ended it, client's last flags, server's last flags, how it leaves before the capture ends (null: it stays)
        { "FIN both ways", TcpFlags.Fin | TcpFlags.Ack, TcpFlags.Fin | TcpFlags.Ack, FlowCloseReason.Fin },
        { "reset by the server", TcpFlags.Ack, TcpFlags.Rst, FlowCloseReason.Reset },
        { "half closed", TcpFlags.Fin | TcpFlags.Ack, TcpFlags.Ack, null },
        { "still open", TcpFlags.Ack, TcpFlags.Ack, null },
    };

    [Theory]
    [MemberData(nameof(Endings))]
    public void ExpireClosed_ConnectionThatEnded_LeavesTheTableAfterTheLingerOnly(string why, TcpFlags client, TcpFlags server, FlowCloseReason? expected)
    {
        var table = new FlowTable(new FlowTableOptions { CloseLinger = TimeSpan.FromSeconds(5) });
        Flow f = Handshake(table, 0);
        Feed(table, 1.0, client);
        Feed(table, 1.1, server, fromClient: false);

        Feed(table, 6.0, TcpFlags.Syn, clientPort: 1);      // 4.9 s after its last packet: still lingering
        Assert.Equal(0, table.FinishedCount);

        Feed(table, 6.2, TcpFlags.Syn, clientPort: 2);      // 5.1 s after
        Assert.True(expected is null ? !table.Finished.Contains(f) : table.Finished.Contains(f), why);
        if (expected is { } reason)
        {
            Assert.Equal(reason, f.Close);
            Assert.Equal(1, table.ClosedAfterLinger);
        }
    }

    [Fact]
    public void ExpireClosed_PacketsAfterTheClose_RestartTheLinger()
    {
        var table = new FlowTable(new FlowTableOptions { CloseLinger = TimeSpan.FromSeconds(5) });
        Flow f = Handshake(table, 0);
        Feed(table, 1.0, TcpFlags.Fin | TcpFlags.Ack);
        Feed(table, 1.1, TcpFlags.Fin | TcpFlags.Ack, fromClient: false);
        Feed(table, 4.0, TcpFlags.Fin | TcpFlags.Ack, fromClient: false);   // the server's FIN again (our last ACK lost)

        Feed(table, 7.0, TcpFlags.Syn, clientPort: 1);
        Assert.DoesNotContain(f, table.Finished);
        Feed(table, 9.1, TcpFlags.Syn, clientPort: 2);
        Assert.Contains(f, table.Finished);
        Assert.Equal(3, f.PacketsS2C);
    }

    [Fact]
    public void ExpireClosed_AConnectionWaitingAgain_LeavesBeforeOneThatClosedLaterThanItsLastPacket()
    {
        // A closes at 1.1 and has a packet at 2.0; B closes at 3.1. With a 5 s linger A is due at 7.0, B at 8.1:
        // A, waiting again, leaves first although B closed before A's wait began.
        var table = new FlowTable(new FlowTableOptions { CloseLinger = TimeSpan.FromSeconds(5) });
        Flow a = Handshake(table, 0, port: 1);
        Feed(table, 1.0, TcpFlags.Fin | TcpFlags.Ack, clientPort: 1);
        Feed(table, 1.1, TcpFlags.Fin | TcpFlags.Ack, clientPort: 1, fromClient: false);
        Flow b = Handshake(table, 2.5, port: 2);
        Feed(table, 2.0, TcpFlags.Ack, clientPort: 1);   // A again (a late ACK, stamped before B's handshake)
        Feed(table, 3.0, TcpFlags.Fin | TcpFlags.Ack, clientPort: 2);
        Feed(table, 3.1, TcpFlags.Fin | TcpFlags.Ack, clientPort: 2, fromClient: false);

        Feed(table, 6.6, TcpFlags.Syn, clientPort: 9);   // a check: A (queued at 1.1) waits again, from 2.0
        Assert.DoesNotContain(a, table.Finished);
        Feed(table, 7.5, TcpFlags.Syn, clientPort: 10);  // A is due, B (queued at 3.1, ahead in the closing order) not yet
        Assert.Contains(a, table.Finished);
        Assert.DoesNotContain(b, table.Finished);
        Feed(table, 8.2, TcpFlags.Syn, clientPort: 11);
        Assert.Contains(b, table.Finished);
    }

    [Fact]
    public void ExpireClosed_ALaterPacketWithoutSyn_StartsANewFlow()
    {
        var table = new FlowTable(new FlowTableOptions { CloseLinger = TimeSpan.Zero });
        Flow first = Handshake(table, 0);
        Feed(table, 1.0, TcpFlags.Rst);
        Feed(table, 1.0001, TcpFlags.Ack, clientPort: 1);   // the next expiry check

        Flow late = Feed(table, 2.0, TcpFlags.Ack);

        Assert.NotSame(first, late);
        Assert.Equal(FlowCloseReason.Reset, first.Close);
        Assert.Equal(3, late.Id);
    }

    [Fact]
    public void Release_PastTheListedLimit_PlainFlowsGoBeforeFlowsWithSomethingToReport()
    {
        var table = new FlowTable(new FlowTableOptions { MaxListedFlows = 2, CloseLinger = TimeSpan.Zero });
        var released = new List<int>();
        table.Releasing = f => released.Add(f.Id);
        Flow reset = Handshake(table, 0, port: 1);
        Feed(table, 0.1, TcpFlags.Rst, clientPort: 1);
        for (ushort port = 2; port <= 5; port++)
        {
            Handshake(table, port, port);
            Feed(table, port + 0.1, TcpFlags.Fin | TcpFlags.Ack, port);
            Feed(table, port + 0.2, TcpFlags.Fin | TcpFlags.Ack, port, fromClient: false);
        }
        Feed(table, 10, TcpFlags.Syn, clientPort: 9);

        Assert.Equal([2, 3, 4], released);                  // the oldest plain ones; the reset (flow 1) stays
        Assert.Equal([1, 5], table.Finished.Select(f => f.Id).Order());
        Assert.Equal((3L, 0L, 0L), table.Released);
        Assert.Same(reset, table.Finished.First());
    }

    // A whole connection: handshake, FIN both ways. With no linger it leaves the table at its last FIN.
    private static Flow Connection(FlowTable table, double t, ushort port)
    {
        Flow f = Feed(table, t, TcpFlags.Syn, port);
        Feed(table, t + 0.001, TcpFlags.Syn | TcpFlags.Ack, port, fromClient: false);
        Feed(table, t + 0.002, TcpFlags.Ack, port);
        Feed(table, t + 0.003, TcpFlags.Fin | TcpFlags.Ack, port);
        Feed(table, t + 0.004, TcpFlags.Fin | TcpFlags.Ack, port, fromClient: false);   // no linger: it leaves now
        return f;
    }

    [Fact]
    public void ReleasedFlow_ItsObjectsCarryTheNextFlow_WithNothingOfTheOld()
    {
        var table = new FlowTable(new FlowTableOptions { MaxListedFlows = 1, CloseLinger = TimeSpan.Zero }) { RecycleReleased = true };
        Flow first = Connection(table, 0, port: 1);
        TcpFlowFacts firstFacts = first.Tcp!;
        Connection(table, 1, port: 2);                      // lists the second: the first is released

        Flow third = Feed(table, 2, TcpFlags.Syn, clientPort: 3, seq: 5000);

        Assert.Equal((1L, 0L, 0L), table.Released);
        Assert.Same(first, third);                          // the same objects ...
        Assert.Same(firstFacts, third.Tcp);
        Assert.Equal(3, third.Id);                          // ... as a new flow
        Assert.Equal((3, 1L, 0L), (third.ClientPort, third.PacketsC2S, third.PacketsS2C));
        Assert.Equal(FlowCloseReason.Open, third.Close);
        Assert.True(third.Tcp!.SawSyn);
        Assert.False(third.Tcp.SawSynAck || third.Tcp.FinC2S || third.Tcp.FinS2C);
        Assert.Equal(-1, third.Tcp.InitialRttNs);
        Assert.Same(third, table.Find(Packet(3), out _));
    }

    // Closed (FIN both ways) and waiting out a long linger, the first connection is evicted and released instead: its
    // queue entry stays behind, and its object carries the third connection.
    private static (FlowTable Table, Flow Closed, Flow Next) EvictedWhileLingering(double closeAt, double nextAt)
    {
        var table = new FlowTable(new FlowTableOptions { MaxListedFlows = 1, MaxFlows = 1, CloseLinger = TimeSpan.FromSeconds(60) }) { RecycleReleased = true };
        Flow closed = Feed(table, 0, TcpFlags.Syn, clientPort: 1);
        Feed(table, closeAt, TcpFlags.Fin | TcpFlags.Ack, clientPort: 1);
        Feed(table, closeAt, TcpFlags.Fin | TcpFlags.Ack, clientPort: 1, fromClient: false);   // queued at closeAt
        Feed(table, nextAt, TcpFlags.Syn, clientPort: 2);   // evicts the closed one (listed)
        Flow next = Feed(table, nextAt, TcpFlags.Syn, clientPort: 3);   // evicts the second: the closed one is released
        return (table, closed, next);
    }

    [Fact]
    public void ReleasedFlow_StillInTheQueueOfClosedConnections_IsReused_AndTheStaleEntryLeavesTheNextFlowAlone()
    {
        (FlowTable table, Flow closed, Flow next) = EvictedWhileLingering(closeAt: 0.2, nextAt: 3);

        Assert.Same(closed, next);                          // reused: a port scan's evicted resets are not held a minute
        Assert.Equal(3, next.Id);
        Feed(table, 61, TcpFlags.Ack, clientPort: 3);       // the stale entry (0.2 s) comes due: not this open flow's
        table.ExpireClosed(125_000_000_000);                // had it taken the entry, it would be queued from 61 s: gone
        Assert.Same(next, table.Find(Packet(3), out _));
        Assert.Equal(0, table.ClosedAfterLinger);

        Feed(table, 126, TcpFlags.Rst, clientPort: 3);      // its own close: queued at 126 s, it leaves at 186 s
        table.ExpireClosed(185_000_000_000);
        Assert.Equal(0, table.ClosedAfterLinger);
        table.ExpireClosed(186_500_000_000);
        Assert.Equal(1, table.ClosedAfterLinger);
        Assert.Null(table.Find(Packet(3), out _));
        Assert.Equal(FlowCloseReason.Reset, table.Finished.Single(f => f.Id == 3).Close);
    }

    [Fact]
    public void ReusedObject_QueuedAtTheStaleEntrysTime_LeavesOnceAtThatLingersEnd()
    {
        // Everything in the same instant: the stale entry and the next flow's own both say "queued at 5 s".
        (FlowTable table, Flow closed, Flow next) = EvictedWhileLingering(closeAt: 5, nextAt: 5);
        Feed(table, 5, TcpFlags.Rst, clientPort: 3);

        Assert.Same(closed, next);
        table.ExpireClosed(64_900_000_000);
        Assert.Equal(0, table.ClosedAfterLinger);
        table.ExpireClosed(65_000_000_000);
        Assert.Equal(1, table.ClosedAfterLinger);           // once: the second entry finds it gone
        Assert.Equal(FlowCloseReason.Reset, table.Finished.Single(f => f.Id == 3).Close);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ResetsEvictedWhileLingering_LeaveTheQueueBoundedByTheTable_AndTheRestLeaveInTurn(bool recycle)
    {
        // A scan's shape: 5,000 connections refused, one a millisecond, into a table of 512; the evicted ones leave
        // entries behind, whose flows' objects carry later connections (or not: the time tells either way). Eight
        // connections reset first stay in the table, their packets now and then keeping them recent: their entries,
        // at the queue's head, must outlive every pass that drops the left-behind ones.
        var table = new FlowTable(new FlowTableOptions { MaxFlows = 512, MaxListedFlows = 100, CloseLinger = TimeSpan.FromSeconds(60) }) { RecycleReleased = recycle };
        ushort[] keepers = [100, 101, 102, 103, 104, 105, 106, 107];
        foreach (ushort port in keepers)
        {
            Feed(table, 0, TcpFlags.Syn, clientPort: port);
            Feed(table, 0, TcpFlags.Rst | TcpFlags.Ack, clientPort: port, fromClient: false);
        }
        int longest = 0;
        for (int i = 0; i < 5_000; i++)
        {
            Feed(table, i * 0.001, TcpFlags.Syn, clientPort: (ushort)(1024 + i));
            Feed(table, i * 0.001, TcpFlags.Rst | TcpFlags.Ack, clientPort: (ushort)(1024 + i), fromClient: false);
            if (i % 50 == 0)
            {
                Array.ForEach(keepers, port => Feed(table, i * 0.001, TcpFlags.Ack, clientPort: port));
            }
            longest = Math.Max(longest, table.ClosedQueueLength);
        }
        long inTable = 5_008 - table.Evicted;

        Assert.All(keepers, port => Assert.NotNull(table.Find(Packet(port), out _)));
        Assert.InRange(inTable, 9, 512);
        Assert.InRange(longest, 1, 2 * 512 + 1_024);        // not 5,008: the left-behind entries were dropped
        table.ExpireClosed(64_997_500_000);                 // the scan's last two connections (4.998, 4.999 s) still linger
        Assert.Equal(inTable - 2, table.ClosedAfterLinger);
        table.ExpireClosed(65_000_000_000);
        Assert.Equal(inTable, table.ClosedAfterLinger);     // every one still in the table, each at its own linger's end
        Assert.Equal(0, table.ClosedQueueLength);
    }

    [Fact]
    public void RecycleReleased_Off_EveryFlowIsANewObject()
    {
        var table = new FlowTable(new FlowTableOptions { MaxListedFlows = 1, CloseLinger = TimeSpan.Zero });
        Flow first = Connection(table, 0, port: 1);
        Connection(table, 1, port: 2);

        Flow third = Feed(table, 2, TcpFlags.Syn, clientPort: 3);

        Assert.NotSame(first, third);
        Assert.Equal(1, first.Id);
    }

    private static DecodedPacket Packet(ushort clientPort)
    {
        var p = new DecodedPacket();
        FrameDecoder.Decode(Ethernet(0x0800, Ipv4(C, S, 6, Tcp(clientPort, 80, seq: 5000, flags: TcpFlags.Syn))), LinkType.Ethernet, ref p);
        return p;
    }
}
