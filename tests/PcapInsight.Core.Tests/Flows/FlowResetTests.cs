using System.Reflection;
using System.Runtime.CompilerServices;
using PcapInsight.Core.Flows;
using PcapInsight.Core.TcpAnalysis;
using PcapInsight.Core.UdpAnalysis;
using Xunit;

namespace PcapInsight.Core.Tests.Flows;

/// <summary>
/// The flow table reuses released flows' objects (<see cref="FlowTableTests"/> tests when): a reset object must be
/// indistinguishable from a new one, field by field, whatever fields are added later.
/// </summary>
public class FlowResetTests
{
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
            // The TCP facts' two directions are values: NonDefault dirties every field of each.
            f.SetValue(target, NonDefault(f.FieldType));
        }
    }

    private static void AssertAsNew(object expected, object actual, string path)
    {
        foreach (FieldInfo f in Fields(expected.GetType()))
        {
            object? e = f.GetValue(expected), a = f.GetValue(actual);
            string where = $"{path}.{f.Name}";
            if (f.Name.Contains(nameof(Flow.SpareUdp)))
            {
                continue;   // a released UDP flow's figures, kept aside through resets on purpose (the UDP test follows them)
            }
            if ((e is TcpFlowFacts && a is TcpFlowFacts) || f.FieldType == typeof(TcpDirection))
            {
                // Field by field, so that a failure names the field (a direction is a value inside the facts).
                AssertAsNew(e!, a!, where);
            }
            else if (f.FieldType.IsValueType)
            {
                Assert.True(Equals(e, a), $"{where}: {a} after the reset, {e} when new");
            }
            else
            {
                Assert.True(ReferenceEquals(a, e), $"{where}: still set after the reset");
            }
        }
    }

    /// <summary>Each recycled object: a used one (every field dirtied), reset, against a new one.</summary>
    public static TheoryData<string> Objects() => [nameof(TcpDirection), nameof(TcpFlowFacts), nameof(UdpFlowStats)];

    [Theory]
    [MemberData(nameof(Objects))]
    public void ResetForReuse_EveryField_IsAsNew(string type)
    {
        (object used, Action reset, object fresh) = type switch
        {
            nameof(TcpDirection) => UsedValue<TcpDirection>(nameof(TcpDirection.ResetForReuse)),
            nameof(UdpFlowStats) => Used(new UdpFlowStats(), u => u.ResetForReuse(), new UdpFlowStats()),
            _ => Used(new TcpFlowFacts(), f => f.ResetForReuse(), new TcpFlowFacts()),
        };

        reset();

        AssertAsNew(fresh, used, type);
    }

    private static (object Used, Action Reset, object Fresh) Used<T>(T used, Action<T> reset, T fresh) where T : class
    {
        Dirty(used);
        return (used, () => reset(used), fresh);
    }

    // A value is dirtied and reset in its box (a method called through reflection on a boxed value changes the box),
    // and compared with `new T()`: should a field initializer and a constructor come, a reset to `default` fails.
    private static (object Used, Action Reset, object Fresh) UsedValue<T>(string resetMethod) where T : struct
    {
        object used = new T();
        Dirty(used);
        MethodInfo reset = typeof(T).GetMethod(resetMethod, BindingFlags.Instance | BindingFlags.NonPublic)!;
        return (used, () => reset.Invoke(used, null), new T());
    }

    [Fact]
    public void ResetForReuse_EveryFieldOfAFlow_IsAsNew_AndItsTcpFactsAreKeptReset()
    {
        var facts = new TcpFlowFacts();
        Dirty(facts);
        var used = new Flow();
        Dirty(used);
        used.Tcp = facts;
        used.Udp = null;   // a TCP flow

        used.ResetForReuse();

        Assert.Same(facts, used.Tcp);   // kept for the next TCP flow
        AssertAsNew(new Flow { Tcp = new TcpFlowFacts() }, used, nameof(Flow));
    }

    [Fact]
    public void ResetForReuse_AUdpFlow_KeepsItsFiguresResetForTheNextUdpFlow()
    {
        var figures = new UdpFlowStats();
        Dirty(figures);
        var used = new Flow();
        Dirty(used);
        used.Tcp = null;
        used.Udp = figures;

        used.ResetForReuse();

        Assert.Null(used.Udp);
        Assert.Same(figures, used.SpareUdp);
        AssertAsNew(new UdpFlowStats(), figures, nameof(UdpFlowStats));
        Assert.Same(figures, used.TakeUdp());   // the next UDP flow's
        Assert.Null(used.SpareUdp);
        Assert.Same(figures, used.TakeUdp());   // made once a flow
        AssertAsNew(new Flow { Udp = figures }, used, nameof(Flow));
    }
}
