namespace Optimizer.Onnx.Errors;

/// <summary>The process exit codes of the command-line contract (DESIGN.md).</summary>
public static class ExitCodes
{
    public const int Success = 0;
    /// <summary>A gate failed: an accuracy or latency budget was not met.</summary>
    public const int GateFailed = 1;
    public const int InvalidInput = 2;
    public const int ExternalToolFailed = 3;
    /// <summary>
    /// A bug in the tool, not in the input: a pass threw or left an invalid model. Outside DESIGN.md's list so that
    /// scripts never mistake it for a user error; the message says how to go around it.
    /// </summary>
    public const int InternalError = 70;
    public const int Cancelled = 130;
}
