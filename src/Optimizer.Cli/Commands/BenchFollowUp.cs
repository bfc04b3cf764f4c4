using Optimizer.Runtime.Benchmark;

namespace Optimizer.Cli.Commands;

/// <summary>
/// The steps bench runs after the timed ones (<c>--concurrency</c>, <c>--profile</c>). A Ctrl+C during one of them keeps
/// what was measured before it: the report is the timed figures, marked interrupted during that step (exit 130), as an
/// interruption during the timed runs keeps the batch sizes that finished.
/// </summary>
public static class BenchFollowUp
{
    public static BenchReport Run(BenchReport timed, string step, CancellationToken cancel, Func<BenchReport> work) =>
        Run(timed, cancel, work, report => Interrupted(report, step));

    /// <summary>As the other overload, for both models of a side-by-side run (<c>--baseline --profile</c>).</summary>
    public static BenchComparison Run(BenchComparison timed, string step, CancellationToken cancel, Func<BenchComparison> work) =>
        Run(timed, cancel, work, c => c with { Baseline = Interrupted(c.Baseline, step), Candidate = Interrupted(c.Candidate, step) });

    private static T Run<T>(T timed, CancellationToken cancel, Func<T> work, Func<T, T> interrupted)
    {
        try
        {
            return work();
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return interrupted(timed);
        }
    }

    private static BenchReport Interrupted(BenchReport report, string step) => report with { Interrupted = true, InterruptedDuring = step };

    /// <summary>The line on stderr that says what an interrupted report holds.</summary>
    public static string InterruptedLine(BenchReport result)
    {
        var batches = string.Join(", ", result.Batches.Select(b => b.BatchSize));
        return result.InterruptedDuring is { } step
            ? $"interrupted during the {step} run: the report holds the timed figures of every batch size ({batches}), without the {step} figures"
            : $"interrupted: the report holds the batch sizes that finished ({batches})";
    }
}
