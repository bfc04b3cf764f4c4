using Optimizer.Runtime.Benchmark;
using Spectre.Console;

namespace Optimizer.Cli.Commands;

/// <summary>
/// Shows benchmark progress on stderr: a Spectre.Console progress bar on a terminal, plain lines (one per phase)
/// when the output is redirected.
/// </summary>
public static class BenchProgressDisplay
{
    public static T Run<T>(TextWriter stderr, Func<IProgress<BenchProgress>, T> work)
    {
        var interactive = ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected;
        if (!interactive)
            return work(new PlainLines(stderr));
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        T result = default!;
        console.Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var tasks = new Dictionary<(int, string), ProgressTask>();
                result = work(new Inline<BenchProgress>(p =>
                {
                    if (!tasks.TryGetValue((p.BatchSize, p.Phase), out var task))
                        tasks[(p.BatchSize, p.Phase)] = task = context.AddTask($"batch {p.BatchSize}: {p.Phase}", maxValue: Math.Max(p.Total, 1));
                    task.Value = p.Done;
                }));
                foreach (var task in tasks.Values) task.Value = task.MaxValue;
            });
        return result;
    }

    /// <summary>Reports synchronously on the calling thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class Inline<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    private sealed class PlainLines(TextWriter writer) : IProgress<BenchProgress>
    {
        private (int, string)? _last;

        public void Report(BenchProgress value)
        {
            if (_last == (value.BatchSize, value.Phase)) return;
            _last = (value.BatchSize, value.Phase);
            writer.WriteLine($"batch {value.BatchSize}: {value.Phase}");
        }
    }
}
