using System.Reflection;
using System.Runtime.CompilerServices;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using PcapInsight.Core.Flows;
using PcapInsight.Core.TcpAnalysis;
using Xunit;
using static PcapInsight.TestKit.FrameBuilder;

namespace PcapInsight.Core.Tests.Flows;

/// <summary>
/// The flow table reuses released flows' objects. A reused object must be indistinguishable from a new one, and an
/// object something may still refer to must never be reused.
/// </summary>
public class FlowRecyclingTests
{
    private const string C = "192.0.2.1";
    private const string S = "192.0.2.200";
    private static long _frame;

    // Every field set to something other than its default: what a flow leaves behind, whatever it was.
    private static object? NonDefault(Type type, int depth = 0)
    {
        if (type == typeof(bool)) return true;
        if (type == typeof(string)) return "x";
        if (type.IsEnum) return Enum.ToObject(type, 3);
        if (Nullable.GetUnderlyingType(type) is { } inner) return NonDefault(inner, depth);
        if (type.IsPrimitive) return Convert.ChangeType(7, type);
        if (type.IsArray) return Array.CreateInstance(type.GetElementType()!, 1);
        if (!type.IsValueType) return RuntimeHelpers.GetUninitializedObject(type);
        object boxed = Activator.CreateInstance(type)!;
        if (depth < 4)
        {
            foreach (FieldInfo f in Fields(type))
            {
                f.SetValue(boxed, NonDefault(f.FieldType, depth + 1));
            }
        }
        return boxed;
    }

    private static IEnumerable<FieldInfo> Fields(Type type) =>
        type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic).Where(f => !f.IsLiteral);

    private static void Dirty(object target)
    {
        foreach (FieldInfo f in Fields(target.GetType()))
        {
            if (f.IsInitOnly)
            {
                // The TCP facts' two directions: the objects stay, their fields are dirtied in turn.
                Dirty(f.GetValue(target)!);
                continue;
            }
            f.SetValue(target, NonDefault(f.FieldType));
        }
    }

    private static void AssertAsNew(object expected, object actual, string path)
    {
        foreach (FieldInfo f in Fields(expected.GetType()))
        {
            object? e = f.GetValue(expected), a = f.GetValue(actual);
            string where = $"{path}.{f.Name}";
            if (f.IsInitOnly || (e is TcpFlowFacts && a is TcpFlowFacts))
            {
                AssertAsNew(e!, a!, where);
            }
            else if (f.FieldType.IsValueType)
            {
                Assert.True(Equals(e, a), $"{where}: {a} after the reset, {e} when new");
            }
            else
            {
                Assert.True(a is null && e is null, $"{where}: still set after the reset");
            }
        }
    }

    [Fact]
    public void ResetForReuse_EveryFieldOfADirection_IsAsNew()
    {
        var used = new TcpDirection();
        Dirty(used);

        used.ResetForReuse();

        AssertAsNew(new TcpDirection(), used, nameof(TcpDirection));
    }

    [Fact]
    public void ResetForReuse_EveryFieldOfTcpFacts_IsAsNew()
    {
        var used = new TcpFlowFacts();
        Dirty(used);

        used.ResetForReuse();

        AssertAsNew(new TcpFlowFacts(), used, nameof(TcpFlowFacts));
    }

    [Fact]
    public void ResetForReuse_EveryFieldOfAFlow_IsAsNew_AndItsTcpFactsAreKeptReset()
    {
        var facts = new TcpFlowFacts();
        Dirty(facts);
        var used = new Flow();
        Dirty(used);
        used.Tcp = facts;

        used.ResetForReuse();

        Assert.Same(facts, used.Tcp);   // kept for the next TCP flow
        AssertAsNew(new Flow { Tcp = new TcpFlowFacts() }, used, nameof(Flow));
    }

    private static Flow Feed(FlowTable table, double seconds, TcpFlags flags, ushort clientPort, bool fromClient = true, uint seq = 1000)
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

    [Fact]
    public void ReleasedFlow_StillInTheQueueOfClosedConnections_IsNotReused()
    {
        // Closed (FIN both ways) and waiting out a long linger, it is evicted instead: its queue entry stays behind.
        var table = new FlowTable(new FlowTableOptions { MaxListedFlows = 1, MaxFlows = 1, CloseLinger = TimeSpan.FromSeconds(60) }) { RecycleReleased = true };
        Flow closed = Feed(table, 0, TcpFlags.Syn, clientPort: 1);
        Feed(table, 0.1, TcpFlags.Fin | TcpFlags.Ack, clientPort: 1);
        Feed(table, 0.2, TcpFlags.Fin | TcpFlags.Ack, clientPort: 1, fromClient: false);
        Feed(table, 1, TcpFlags.Syn, clientPort: 2);        // evicts the closed one (listed)
        Feed(table, 2, TcpFlags.Syn, clientPort: 3);        // evicts the second: the closed one is released

        Flow next = Feed(table, 3, TcpFlags.Syn, clientPort: 4);
        Feed(table, 100, TcpFlags.Syn, clientPort: 5);      // the stale queue entry comes due

        Assert.NotSame(closed, next);
        Assert.Equal(4, next.Id);
        Assert.Equal(1, closed.Id);                         // untouched: not reset for reuse
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
