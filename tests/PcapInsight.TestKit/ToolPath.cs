namespace PcapInsight.TestKit;

/// <summary>Finds programs on the PATH, as a shell would: for tests that need a tool and skip, saying so, without it.</summary>
public static class ToolPath
{
    /// <summary>The full path of the first of <paramref name="names"/> found on the PATH, or null.</summary>
    public static string? Find(params string[] names)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (string name in names)
            {
                string candidate = Path.Combine(dir, name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }
        return null;
    }

    /// <summary>Whether <paramref name="name"/> is on the PATH.</summary>
    public static bool Has(string name) => Find(name) is not null;
}
