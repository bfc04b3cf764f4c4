using System.Diagnostics;
using System.Runtime.InteropServices;
using Optimizer.Cli.Commands;
using Optimizer.Onnx.Errors;

namespace Optimizer.Cli.Zoo;

/// <summary>
/// <c>optimize run --jobs N</c>: up to N jobs at once, each a child process of this tool (<see cref="ToolProcess"/>)
/// running the job's own command line. Jobs start in the file's order, each only while the estimated memory of the
/// running jobs (<see cref="MemoryBound.Estimate"/>) plus its own stays within the bound; a job larger than the bound
/// runs alone. A child's stdout and stderr are captured and printed whole once it ends, each line prefixed by the job
/// (stdout as it is with --json: one JSON document per job), in the jobs' order. Cancelling (Ctrl+C, or SIGTERM)
/// kills the children.
/// </summary>
internal static class ParallelJobs
{
    private sealed class Running(int index, Process process, long estimate, Stopwatch clock)
    {
        public int Index { get; } = index;
        public Process Process { get; } = process;
        public long Estimate { get; } = estimate;
        public Stopwatch Clock { get; } = clock;
        public Task<string> Stdout { get; } = process.StandardOutput.ReadToEndAsync();
        public Task<string> Stderr { get; } = process.StandardError.ReadToEndAsync();
        /// <summary>Ends with the job's wall time, taken when it exits.</summary>
        public Task<TimeSpan> Exited { get; } = process.WaitForExitAsync().ContinueWith(_ => clock.Elapsed, TaskScheduler.Default);
    }

    public static List<ZooRun.JobOutcome?> Run(List<ZooRun.PlannedJob> slice, ZooRunOptions options, bool failFast, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        // SIGTERM (a CI job cancelled, a Kubernetes pod deleted) stops the children as Ctrl+C does, instead of leaving them orphaned.
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal =>
        {
            signal.Cancel = true;
            stopping.Cancel();
        });
        var cancel = stopping.Token;
        var bound = options.MaxMemory ?? MemoryBound.Available();
        var estimates = slice.Select(j => MemoryBound.Estimate(j.Model)).ToList();
        stderr.WriteLine($"running {slice.Count} jobs, up to {options.Jobs} at once within {MemoryBound.Text(bound)} of memory "
            + $"(estimated {MemoryBound.ModelMultiple} x model size + {MemoryBound.Text(MemoryBound.ProcessBytes)} per job)");
        var outcomes = new ZooRun.JobOutcome?[slice.Count];
        var output = new (string Stdout, string Stderr)?[slice.Count];
        var running = new List<Running>();
        var (next, printed, stop) = (0, 0, false);
        try
        {
            while (true)
            {
                while (!stop && !cancel.IsCancellationRequested && next < slice.Count && running.Count < options.Jobs
                       && (running.Count == 0 || running.Sum(r => r.Estimate) + estimates[next] <= bound))
                {
                    if (running.Count == 0 && estimates[next] > bound)
                        stderr.WriteLine($"job {slice[next].Name}: estimated {MemoryBound.Text(estimates[next])}, more than the bound; running it alone");
                    var process = Process.Start(ToolProcess.StartInfo(slice[next].Arguments(options)))!;
                    process.StandardInput.Close();
                    running.Add(new Running(next, process, estimates[next], Stopwatch.StartNew()));
                    next++;
                }
                if (running.Count == 0) break;
                try
                {
                    Task.WhenAny(running.Select(r => r.Exited)).Wait(cancel);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                foreach (var done in running.Where(r => r.Exited.IsCompleted).ToList())
                {
                    running.Remove(done);
                    var (text, errors) = (done.Stdout.GetAwaiter().GetResult(), done.Stderr.GetAwaiter().GetResult());
                    var code = done.Process.ExitCode;
                    outcomes[done.Index] = new ZooRun.JobOutcome(code, done.Exited.Result.TotalSeconds, ErrorLineTap.LastErrorOf(errors));
                    output[done.Index] = (text, errors);
                    done.Process.Dispose();
                    if (code != 0 && failFast) stop = true;
                }
                // Print in the jobs' order: each job once every job before it is printed.
                while (printed < slice.Count && output[printed] is { } ready)
                {
                    Print(slice[printed], options, ready.Stdout, ready.Stderr, stdout, stderr);
                    printed++;
                }
                if (stop && running.Count == 0) break;
            }
        }
        finally
        {
            foreach (var child in running)
            {
                try
                {
                    child.Process.Kill(entireProcessTree: true);
                    child.Process.WaitForExit();
                }
                catch (InvalidOperationException)
                {
                    // it had exited
                }
                child.Process.Dispose();
            }
        }
        if (cancel.IsCancellationRequested)
        {
            foreach (var child in running) outcomes[child.Index] = new ZooRun.JobOutcome(ExitCodes.Cancelled, child.Clock.Elapsed.TotalSeconds, "cancelled");
            stderr.WriteLine($"cancelled; stopped {running.Count} running jobs");
        }
        // What finished after a job still unprinted (stopped by --fail-fast or cancelled) is printed now, in order.
        for (; printed < slice.Count; printed++)
            if (output[printed] is { } ready) Print(slice[printed], options, ready.Stdout, ready.Stderr, stdout, stderr);
        var notRun = slice.Where((_, i) => outcomes[i] is null).Select(j => j.Name).ToList();
        if (notRun.Count > 0 && !cancel.IsCancellationRequested) stderr.WriteLine($"--fail-fast: not running {string.Join(", ", notRun)}");
        return [.. outcomes];
    }

    private static void Print(ZooRun.PlannedJob job, ZooRunOptions options, string text, string errors, TextWriter stdout, TextWriter stderr)
    {
        stderr.WriteLine($"job {job.Name}: {RunCommand.CommandLine(job.Arguments(options))}");
        var prefix = $"[{job.Name}] ";
        if (options.Json) stdout.Write(text);
        else WriteLines(stdout, text, prefix);
        var withContext = new StringWriter();
        using (var context = new RunCommand.JobErrors(withContext, ZooRun.ErrorContext(options, job))) context.Write(errors);
        WriteLines(stderr, withContext.ToString(), prefix);
    }

    private static void WriteLines(TextWriter writer, string text, string prefix)
    {
        if (text.Length == 0) return;
        foreach (var line in text.Split('\n').Select(l => l.TrimEnd('\r')).SkipLast(text.EndsWith('\n') ? 1 : 0))
            writer.WriteLine(prefix + line);
        writer.Flush();
    }
}
