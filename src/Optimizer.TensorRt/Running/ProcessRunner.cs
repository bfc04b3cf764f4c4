using CliWrap;
using Optimizer.Onnx.Errors;
using Optimizer.TensorRt.Logs;

namespace Optimizer.TensorRt.Running;

/// <summary>How a run ended. <see cref="TimedOut"/>: it was stopped after the time limit.</summary>
public sealed record ProcessResult(int ExitCode, IReadOnlyList<LogLine> Lines, bool TimedOut, TimeSpan Elapsed);

/// <summary>
/// Runs an executable with an argument array (never a shell string), hands every output line to a callback as it
/// arrives, and returns the exit code and the lines. It never throws on a non-zero exit (a file that cannot be
/// started at all is an <see cref="ExternalToolException"/>). At the time limit it asks the
/// process to stop (SIGINT), and kills it if it is still there after a grace period; the caller's cancellation does the
/// same and then throws <see cref="OperationCanceledException"/>.
/// </summary>
public static class ProcessRunner
{
    public static readonly TimeSpan GracePeriod = TimeSpan.FromSeconds(5);

    public static async Task<ProcessResult> RunAsync(string executable, IReadOnlyList<string> args, Action<LogLine>? onLine,
        TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var lines = new List<LogLine>();
        var gate = new object();
        void Collect(OutputStream stream, string raw)
        {
            var line = LogLine.Parse(stream, raw);
            lock (gate)
            {
                lines.Add(line);
                onLine?.Invoke(line);
            }
        }

        using var timeoutSource = timeout is { } t ? new CancellationTokenSource(t) : new CancellationTokenSource();
        using var graceful = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
        using var forceful = new CancellationTokenSource();
        using var escalate = graceful.Token.Register(() => forceful.CancelAfter(GracePeriod));
        var started = DateTime.UtcNow;
        var command = Cli.Wrap(executable)
            .WithArguments(args)
            .WithValidation(CommandResultValidation.None)
            .WithStandardOutputPipe(PipeTarget.ToDelegate(l => Collect(OutputStream.Stdout, l)))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(l => Collect(OutputStream.Stderr, l)));
        try
        {
            var result = await command.ExecuteAsync(forceful.Token, graceful.Token);
            return new ProcessResult(result.ExitCode, Snapshot(), false, result.RunTime);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && timeoutSource.IsCancellationRequested)
        {
            return new ProcessResult(-1, Snapshot(), true, DateTime.UtcNow - started);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ExternalToolException($"could not start {executable}: {e.Message}", e);
        }

        List<LogLine> Snapshot() { lock (gate) return lines.ToList(); }
    }
}
