using System.Reflection;
using System.Runtime.CompilerServices;
using PcapInsight.Core.Flows;
using PcapInsight.Core.TcpAnalysis;
using PcapInsight.Core.UdpAnalysis;
using Xunit;

namespace PcapInsight.Core.Tests.Flows;

/// <summary>
/// A connection's directions are values inside its facts (<see cref="TcpDirection"/> in <see cref="TcpFlowFacts"/>,
/// <see cref="UdpStream"/> in <see cref="UdpFlowStats"/>), read through <c>ref readonly</c> properties. Reading a
/// member that is not <c>readonly</c> through such a reference makes the compiler copy the whole value first, without
/// a word: a getter that allocated state on first use (as the directions' out-of-line counters do in their setters)
/// would do it on the copy, and lose it. So every public getter must be a readonly member.
/// </summary>
public class DirectionValueTests
{
    public static TheoryData<Type> Values() => [typeof(TcpDirection), typeof(UdpStream)];

    [Theory]
    [MemberData(nameof(Values))]
    public void EveryPublicGetter_IsReadonly(Type value)
    {
        Assert.True(value.IsValueType, $"{value.Name} is no longer a value: this test no longer applies");
        var notReadonly = value.GetProperties(BindingFlags.Instance | BindingFlags.Public)
            .Where(p => p.GetMethod is { IsPublic: true } get && !IsReadonly(get))
            .Select(p => p.Name)
            .ToList();

        Assert.True(notReadonly.Count == 0, $"{value.Name}: getters that copy the value when read through C2S/S2C: {string.Join(", ", notReadonly)}");
    }

    [Fact]
    public void TheAnalyzersReference_IsThePublicOne()
    {
        var facts = new TcpFlowFacts();

        facts.Direction(fromClient: true).RttSamples = 3;
        facts.Direction(fromClient: false).Retransmissions = 2;   // allocates the out-of-line counters

        Assert.Equal(3, facts.C2S.RttSamples);
        Assert.Equal(2, facts.S2C.Retransmissions);
        Assert.Equal(0, facts.S2C.RttSamples);
        Assert.True(Unsafe.AreSame(ref Unsafe.AsRef(in facts.C2S), ref facts.Direction(fromClient: true)));
    }

    // The compiler marks a readonly member of a struct with IsReadOnlyAttribute (auto-property getters included).
    private static bool IsReadonly(MethodInfo method) =>
        method.GetCustomAttributes(inherit: false).Any(a => a.GetType().FullName == "System.Runtime.CompilerServices.IsReadOnlyAttribute");
}
