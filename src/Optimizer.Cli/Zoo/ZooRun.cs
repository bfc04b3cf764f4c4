using System.Diagnostics;
using Optimizer.Cli.Commands;
using Optimizer.Cli.Pipeline;
using Optimizer.Onnx.Errors;

namespace Optimizer.Cli.Zoo;

/// <summary>What <c>optimize run</c> was asked, beyond the pipeline file's own jobs.</summary>
/// <param name="File">The pipeline file as the user named it.</param>
/// <param name="Shard">The slice to run (<c>--shard</c>); null for every job.</param>
/// <param name="ReportDir">Where the zoo report goes (<c>--report</c>); null for the default.</param>
/// <param name="FailFast">Stop at the first failing job (always so for a file of one job).</param>
/// <param name="Jobs">How many jobs run at once (<c>--jobs</c>); 1 runs them in this process, one after another.</param>
/// <param name="MaxMemory">The memory bound for parallel jobs (<c>--max-memory</c>); null for MemAvailable.</param>
/// <param name="Extra">Arguments passed to every job (--json).</param>
public sealed record ZooRunOptions(string File, Shard? Shard, bool DryRun, string? ReportDir, bool FailFast, int Jobs, long? MaxMemory, IReadOnlyList<string> Extra)
{
    public bool Json => Extra.Contains("--json");
}

/// <summary>
/// Runs the jobs of a pipeline file: all of them or one shard's slice, one after another in this process or as
/// child processes in parallel (<see cref="ParallelJobs"/>), and writes the zoo report (<see cref="ZooReport"/>).
/// A file of more than one job is a zoo: a failing job does not stop the others unless <c>--fail-fast</c>, and the
/// report is written by default into the folder that holds the jobs' output folders.
/// </summary>
public static class ZooRun
{
    public static int Run(ZooRunOptions options, IReadOnlyList<PipelineJob> all, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        var fileDir = Path.GetDirectoryName(Path.GetFullPath(options.File))!;
        var planned = all.Select(j => new PlannedJob(j, NameOf(j), OutputOf(j))).ToList();
        var isZoo = all.Count > 1 || options.Shard is not null;
        RefuseSharedOutputs(planned);
        var slice = options.Shard is { } shard ? planned.Where(j => shard.Holds(j.Name)).ToList() : planned;
        var reportDir = options.ReportDir is { } given ? Path.GetFullPath(given) : isZoo ? DefaultReportDir(planned) : null;
        if (reportDir is not null && File.Exists(reportDir)) throw new InvalidInputException($"--report: '{reportDir}' is a file; give a folder");
        var several = isZoo || slice.Count > 1;

        if (options.DryRun)
        {
            if (options.Shard is not null) stdout.WriteLine($"# shard {options.Shard} (0-based): {slice.Count} of {all.Count} jobs");
            foreach (var job in slice)
            {
                if (several) stdout.WriteLine($"# job {job.Name}");
                stdout.WriteLine(RunCommand.CommandLine(job.Arguments(options)));
            }
            return 0;
        }
        if (options.Shard is not null) stderr.WriteLine($"shard {options.Shard} (0-based): {slice.Count} of {all.Count} jobs{(slice.Count == 0 ? "" : ": " + string.Join(", ", slice.Select(j => j.Name)))}");

        var failFast = options.FailFast || !isZoo;
        var outcomes = options.Jobs > 1 && slice.Count > 1
            ? ParallelJobs.Run(slice, options, failFast, stdout, stderr, cancel)
            : RunInProcess(slice, options, failFast, several, stdout, stderr, cancel);

        var rows = slice.Select((job, i) => Row(job, outcomes[i], fileDir)).ToList();
        var report = ZooReport.Create(ZooIdentity.Of(planned.Select(j => j.Name).ToList()), options.Shard ?? Shard.All, null, rows);
        if (reportDir is not null)
        {
            ZooReportFiles.Write(report, reportDir);
            stderr.WriteLine($"wrote {ZooReport.JsonFile}, {ZooReport.MarkdownFile}, {ZooReport.JUnitFile} to {reportDir}: "
                + report.Summary.Describe());
        }
        return cancel.IsCancellationRequested || outcomes.Any(o => o?.ExitCode == ExitCodes.Cancelled) ? ExitCodes.Cancelled : report.ExitCode;
    }

    /// <summary>One job as this run sees it: its name (the model's stem for an unnamed one-job file) and output folder.</summary>
    internal sealed record PlannedJob(PipelineJob Job, string Name, string Output)
    {
        public string Model => Job.Arguments[0];

        public string[] Arguments(ZooRunOptions options) => [.. Job.Arguments, .. options.Extra];
    }

    /// <summary>How a job that ran ended; null for one that did not run.</summary>
    internal sealed record JobOutcome(int ExitCode, double Seconds, string? Message);

    private static List<JobOutcome?> RunInProcess(List<PlannedJob> slice, ZooRunOptions options, bool failFast, bool several, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        var outcomes = new List<JobOutcome?>();
        var stop = false;
        foreach (var (job, index) in slice.Select((j, i) => (j, i)))
        {
            if (stop || cancel.IsCancellationRequested)
            {
                outcomes.Add(null);
                continue;
            }
            var args = job.Arguments(options);
            if (several) stderr.WriteLine($"job {job.Name}: {RunCommand.CommandLine(args)}");
            var clock = Stopwatch.StartNew();
            int code;
            var tap = new ErrorLineTap(new RunCommand.JobErrors(stderr, ErrorContext(options, job)));
            using (tap) code = CommandLineApp.Run(args, stdout, tap, cancel);
            outcomes.Add(new JobOutcome(code, clock.Elapsed.TotalSeconds, tap.LastError));
            if (code == 0) continue;
            if (failFast || code == ExitCodes.Cancelled)
            {
                stop = true;
                if (index + 1 < slice.Count)
                    stderr.WriteLine($"job {job.Name}: exit code {code}; not running {string.Join(", ", slice.Skip(index + 1).Select(j => j.Name))}");
            }
        }
        return outcomes;
    }

    /// <summary>What the job's 'error:' lines start with: the file, and the job's line and name in a file of several.</summary>
    internal static string ErrorContext(ZooRunOptions options, PlannedJob job) =>
        job.Job.Name is null ? $"{options.File}: " : $"{options.File}:{job.Job.Line}: job {job.Name}: ";

    private static ZooJobResult Row(PlannedJob job, JobOutcome? outcome, string fileDir)
    {
        var finished = outcome?.ExitCode is ExitCodes.Success or ExitCodes.GateFailed;
        var figures = finished ? JobFigures.Read(job.Output) : new JobFigures(null, null, null, null, null, null, null);
        return new ZooJobResult(job.Name, Relative(fileDir, job.Model), outcome?.ExitCode, ZooJobResult.StatusOf(outcome?.ExitCode, figures.NothingChecked), Relative(fileDir, job.Output),
            figures.ModelBytes, figures.EngineBytes, figures.Cosine, figures.Top1, figures.GatesPassed, figures.QuantizedNodes, figures.Speedup,
            outcome is null ? null : Math.Round(outcome.Seconds, 3), outcome?.ExitCode is 0 ? null : outcome?.Message);
    }

    /// <summary>
    /// Two jobs writing one output folder would leave only the last one's files (and, run in parallel, meet at its
    /// lock): refused before any job runs, naming them.
    /// </summary>
    private static void RefuseSharedOutputs(IReadOnlyList<PlannedJob> jobs)
    {
        if (jobs.GroupBy(j => j.Output, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } shared)
            throw new InvalidInputException($"jobs {string.Join(" and ", shared.Select(j => j.Name))} would {(shared.Count() == 2 ? "both" : "all")} write '{shared.Key}'; give each its own output "
                                            + "(for a zoo, 'output: out/{model}' under defaults:)");
    }

    private static string NameOf(PipelineJob job) => job.Name ?? Path.GetFileNameWithoutExtension(job.Arguments[0]);

    /// <summary>The job's <c>-o</c>, or the root command's default: MODEL's folder/&lt;stem&gt;.opt.</summary>
    private static string OutputOf(PipelineJob job)
    {
        var args = job.Arguments;
        for (var i = 1; i < args.Count; i++)
        {
            if (args[i] == "-o" && i + 1 < args.Count) return Path.GetFullPath(args[i + 1]);
            if (args[i].StartsWith("-o=", StringComparison.Ordinal)) return Path.GetFullPath(args[i][3..]);
        }
        var model = Path.GetFullPath(args[0]);
        return Path.Combine(Path.GetDirectoryName(model)!, Path.GetFileNameWithoutExtension(model) + ".opt");
    }

    /// <summary>
    /// The deepest folder that holds every job's output folder (of the whole zoo, so every shard agrees); the current
    /// folder when that would be the file system's root.
    /// </summary>
    internal static string DefaultReportDir(IReadOnlyList<PlannedJob> jobs)
    {
        var parents = jobs.Select(j => Path.GetDirectoryName(j.Output) ?? j.Output).ToList();
        var common = parents[0];
        foreach (var parent in parents.Skip(1))
            while (!IsUnder(parent, common)) common = Path.GetDirectoryName(common) ?? common;
        return Path.GetPathRoot(common) == common ? Directory.GetCurrentDirectory() : common;
    }

    private static bool IsUnder(string path, string folder) =>
        path == folder || path.StartsWith(Path.TrimEndingDirectorySeparator(folder) + Path.DirectorySeparatorChar, StringComparison.Ordinal)
        || Path.GetPathRoot(folder) == folder;

    private static string Relative(string fileDir, string path) => Path.GetRelativePath(fileDir, path).Replace(Path.DirectorySeparatorChar, '/');
}
