using Spectre.Console;

namespace Optimizer.Cli.Commands;

/// <summary>
/// Shows progress of bench and validate on stderr: a Spectre.Console progress bar per task on a terminal, plain
/// lines (one when a task starts) when the output is redirected.
/// </summary>
public static class BenchProgressDisplay
{
    /// <param name="describe">Turns a progress report into its task's name, how far it is and how far it goes.</param>
    public static T Run<TProgress, T>(TextWriter stderr, Func<TProgress, (string Task, int Done, int Total)> describe, Func<IProgress<TProgress>, T> work)
    {
        var interactive = ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected;
        if (!interactive)
            return work(new PlainLines<TProgress>(stderr, describe));
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        T result = default!;
        console.Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                result = work(new Inline<TProgress>(p =>
                {
                    var (name, done, total) = describe(p);
                    if (!tasks.TryGetValue(name, out var task))
                        tasks[name] = task = context.AddTask(Markup.Escape(name), maxValue: Math.Max(total, 1));
                    task.MaxValue = Math.Max(total, 1);
                    task.Value = done;
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

    private sealed class PlainLines<T>(TextWriter writer, Func<T, (string Task, int Done, int Total)> describe) : IProgress<T>
    {
        private string? _last;

        public void Report(T value)
        {
            var (task, _, total) = describe(value);
            if (_last == task) return;
            _last = task;
            writer.WriteLine(total > 1 ? $"{task} ({total})" : task);
        }
    }
}
