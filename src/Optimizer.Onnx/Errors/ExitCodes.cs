namespace Optimizer.Onnx.Errors;

/// <summary>The process exit codes of the command-line contract (DESIGN.md).</summary>
public static class ExitCodes
{
    public const int Success = 0;
    /// <summary>A gate failed: an accuracy or latency budget was not met.</summary>
    public const int GateFailed = 1;
    public const int InvalidInput = 2;
    public const int ExternalToolFailed = 3;
    public const int Cancelled = 130;
}
