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

    /// <summary>
    /// The state that lives out of line because an event counted or kept there always comes first (a duplicate ACK's
    /// run, a zero-window episode, a black-hole watch, the count of the SACK blocks kept there): what each analyzer
    /// writes on every segment (a run ended, nothing watched, no SACK) must not make that state on a direction without
    /// it, or every connection would carry it.
    /// </summary>
    public static TheoryData<string, Action<TcpFlowFacts>, Func<TcpFlowFacts, bool>> OutOfLine => new()
    {
        { "dup-ACK run", f => f.Direction(true).DupAcksInARow = 0, f => f.Direction(true).DupAcksInARow == 0 },
        { "last dup ACK", f => f.Direction(true).LastDupAckTimeNs = 0, f => f.Direction(true).LastDupAckTimeNs == 0 },
        { "zero-window episode", f => f.Direction(true).Episode = null, f => f.Direction(true).Episode is null },
        { "black-hole watch", f => f.Direction(true).BlackHole = null, f => f.Direction(true).BlackHole is null },
        { "SACK blocks", f => f.Direction(true).SackBlockCount = 0, f => f.Direction(true).SackBlockCount == 0 },
    };

    [Theory]
    [MemberData(nameof(OutOfLine))]
    public void ItsDefault_OnADirectionWithoutOutOfLineState_MakesNone(string state, Action<TcpFlowFacts> setDefault, Func<TcpFlowFacts, bool> isDefault)
    {
        var facts = new TcpFlowFacts();

        setDefault(facts);

        Assert.True(isDefault(facts), state);
        Assert.False(facts.C2S.HasRarePathState, state);
    }

    [Fact]
    public void OutOfLineState_IsKeptWhereItIsSet()
    {
        var facts = new TcpFlowFacts();
        ref TcpDirection d = ref facts.Direction(fromClient: false);
        var episode = new ZeroWindowEpisode();
        var watch = new PmtuBlackHoleDetector.State();

        d.DupAcksInARow = 3;
        d.LastDupAckTimeNs = 42;
        d.Episode = episode;
        d.BlackHole = watch;
        d.DupAcksInARow = 0;   // a run ends: the rest stays

        Assert.Equal(0, facts.S2C.DupAcksInARow);
        Assert.Equal(42, facts.S2C.LastDupAckTimeNs);
        Assert.Same(episode, facts.S2C.Episode);
        Assert.Same(watch, facts.S2C.BlackHole);
        Assert.False(facts.C2S.HasRarePathState);
    }

    // The compiler marks a readonly member of a struct with IsReadOnlyAttribute (auto-property getters included).
    private static bool IsReadonly(MethodInfo method) =>
        method.GetCustomAttributes(inherit: false).Any(a => a.GetType().FullName == "System.Runtime.CompilerServices.IsReadOnlyAttribute");
}
