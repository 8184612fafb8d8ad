namespace PcapInsight.Cli;

/// <summary>The exit codes of CONTRACT.md.</summary>
public static class ExitCodes
{
    /// <summary>Success, warnings included (a truncated file is a warning).</summary>
    public const int Success = 0;
    /// <summary>An internal error, or the report could not be written.</summary>
    public const int InternalError = 1;
    /// <summary>The command line is wrong.</summary>
    public const int Usage = 2;
    /// <summary>An input is missing, not a capture, or in an unsupported format.</summary>
    public const int InputUnreadable = 3;
    /// <summary>A live capture could not start.</summary>
    public const int LiveCaptureFailed = 4;
    /// <summary>A finding at or above <c>--fail-on</c> exists.</summary>
    public const int FailOnThreshold = 5;
}
