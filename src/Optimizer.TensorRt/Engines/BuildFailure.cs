using Optimizer.Onnx.Errors;
using Optimizer.TensorRt.Logs;
using Optimizer.TensorRt.Running;

namespace Optimizer.TensorRt.Engines;

/// <summary>
/// Turns a run that did not produce an engine into one clear error (exit code 3) quoting trtexec's error lines and
/// naming the log: a FAILED line; an exit without a FAILED line (an assertion or CUDA failure); a kill by a signal; a
/// timeout; or success claimed with no engine written.
/// </summary>
public static class BuildFailure
{
    private const int QuotedErrors = 6;

    public static ExternalToolException Describe(ProcessResult run, TrtexecLog log, string logPath, TimeSpan? timeout, string expected = "an engine")
    {
        var what = run switch
        {
            { TimedOut: true } => $"trtexec did not finish within {timeout?.TotalSeconds:0.#} s and was stopped",
            { ExitCode: >= 128 } or { ExitCode: < 0 } => $"trtexec was killed (exit code {run.ExitCode}{Signal(run.ExitCode)})",
            _ when log.Failed => $"trtexec failed (exit code {run.ExitCode})",
            { ExitCode: not 0 } => $"trtexec exited with code {run.ExitCode} without a FAILED line (it crashed: an assertion or CUDA failure)",
            _ => $"trtexec reported success but produced no {expected}",
        };
        var errors = log.Errors.Count == 0 ? "" : ": " + string.Join(" | ", log.Errors.TakeLast(QuotedErrors).Select(e => $"\"{e}\""));
        return new ExternalToolException($"{what}{errors}. Full log: {logPath}");
    }

    private static string Signal(int exitCode) => exitCode >= 128 ? $", signal {exitCode - 128}" : "";
}
