namespace Optimizer.Onnx.Errors;

/// <summary>
/// An error the user can act on. The command line catches it once, prints <see cref="Exception.Message"/>
/// (one line, no stack trace) and exits with <see cref="ExitCode"/>.
/// </summary>
public abstract class OptimizerException(string message, Exception? inner = null) : Exception(message, inner)
{
    public abstract int ExitCode { get; }
}

/// <summary>Bad input or usage: a model, a data file or an option that cannot be used (exit code 2).</summary>
public sealed class InvalidInputException(string message, Exception? inner = null) : OptimizerException(message, inner)
{
    public override int ExitCode => ExitCodes.InvalidInput;
}

/// <summary>An external tool (trtexec) was missing or failed (exit code 3).</summary>
public sealed class ExternalToolException(string message, Exception? inner = null) : OptimizerException(message, inner)
{
    public override int ExitCode => ExitCodes.ExternalToolFailed;
}
