using System.Reflection;
using System.Runtime.CompilerServices;
using PcapInsight.Core.Flows;
using PcapInsight.Core.TcpAnalysis;
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

    /// <summary>Each recycled object: a used one (every field dirtied), reset, against a new one.</summary>
    public static TheoryData<string> Objects() => [nameof(TcpDirection), nameof(TcpFlowFacts)];

    [Theory]
    [MemberData(nameof(Objects))]
    public void ResetForReuse_EveryField_IsAsNew(string type)
    {
        (object used, Action reset, object fresh) = type switch
        {
            nameof(TcpDirection) => Used(new TcpDirection(), d => d.ResetForReuse(), new TcpDirection()),
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
}
