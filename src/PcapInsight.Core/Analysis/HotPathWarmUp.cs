using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace PcapInsight.Core.Analysis;

/// <summary>
/// Compiles the per-packet methods on another core while the command line is read and the files opened. They are
/// marked <c>[AggressiveOptimization]</c> (fully optimised at once: the large captures' speed, bench/RESULTS.md), which
/// also means they have no precompiled code: on their first call the reading thread waited for the JIT, 25-45 ms of a
/// small capture's run. A method the reading thread reaches while it is being compiled here waits for that one
/// compilation, as it would have compiled it itself; none is compiled twice. A native (ahead-of-time) build has
/// nothing to compile: there it does nothing.
/// </summary>
public static class HotPathWarmUp
{
    /// <summary>Starts compiling the marked methods of the given assemblies on the thread pool; returns at once.</summary>
    public static void Start(params Assembly[] assemblies)
    {
        if (!RuntimeFeature.IsDynamicCodeCompiled)
        {
            return;   // native code already, and a trimmed build may lack the metadata the search below reads
        }
        ThreadPool.UnsafeQueueUserWorkItem(_ =>
        {
            try
            {
                Compile(assemblies);
            }
            catch (Exception)
            {
                // Never the run's failure: an exception on a pool thread would end the process (a type that cannot be
                // loaded, say); the methods then compile at their first call, as without the warm-up.
            }
        }, null);
    }

    /// <summary>Compiles the marked methods now; returns those compiled.</summary>
    internal static List<MethodInfo> Compile(Assembly[] assemblies)
    {
        var compiled = new List<MethodInfo>();
        foreach (MethodInfo method in MarkedMethods(assemblies))
        {
            try
            {
                RuntimeHelpers.PrepareMethod(method.MethodHandle);
                compiled.Add(method);
            }
            catch (Exception ex) when (ex is ArgumentException or BadImageFormatException or TypeLoadException)
            {
                // Nothing lost: the method compiles at its first call as before.
            }
        }
        return compiled;
    }

    /// <summary>The assembly's types that load (a type whose dependency is missing is left out, not the rest).</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = TrimmedBuildSkips)]
    private static IEnumerable<Type> TypesOf(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            return ex.Types.OfType<Type>();
        }
    }

    /// <summary>The methods marked <c>[AggressiveOptimization]</c>, outside generic types and generic methods.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = TrimmedBuildSkips)]
    internal static IEnumerable<MethodInfo> MarkedMethods(Assembly[] assemblies)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        return assemblies.SelectMany(TypesOf).Where(t => !t.ContainsGenericParameters).SelectMany(t => t.GetMethods(all))
            .Where(m => (m.MethodImplementationFlags & MethodImplAttributes.AggressiveOptimization) != 0 && !m.ContainsGenericParameters);
    }

    // Only a build whose code is JIT-compiled searches its methods (Start returns at once otherwise), and such a build
    // is never trimmed: a type or method the search cannot see is one the warm-up leaves to its first call, as before.
    private const string TrimmedBuildSkips = "Runs only where code is JIT-compiled (never trimmed); a method missed compiles at its first call.";
}
