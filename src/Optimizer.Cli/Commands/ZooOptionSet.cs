using System.CommandLine;
using Optimizer.Cli.Zoo;
using Optimizer.Onnx.Errors;

namespace Optimizer.Cli.Commands;

/// <summary><c>optimize run</c>'s options for a zoo (a file of many jobs), and their reading into <see cref="ZooRunOptions"/>.</summary>
public sealed class ZooOptionSet
{
    private readonly Option<string?> _shard = new("--shard")
    {
        HelpName = "i/N|auto/N",
        Description = "Run only the i-th of N disjoint slices of the jobs (0-based, like Kubernetes' JOB_COMPLETION_INDEX: 0/4 .. 3/4). "
                      + "A job's slice comes from a hash of its name, so adding or removing a model moves only that model. "
                      + "auto/N reads i from JOB_COMPLETION_INDEX. With --dry-run: list the slice.",
    };

    private readonly Option<string?> _report = new("--report")
    {
        HelpName = "DIR",
        Description = "Write the zoo report: DIR/zoo-report.json, zoo-report.md and zoo-junit.xml, one row per job. "
                      + "Default for a file of several jobs: the folder that holds the jobs' output folders.",
    };

    private readonly Option<bool> _failFast = new("--fail-fast")
    {
        Description = "Stop at the first job that fails. By default every job of a zoo runs, so one run (one CI job) reports every "
                      + "failure, not only the first; the exit code is the highest of the jobs' either way.",
    };

    private readonly Option<int?> _jobs = new("--jobs", "-j")
    {
        HelpName = "N",
        Description = "Run up to N jobs at once, each as its own optimize process, within the memory bound (default 1: one after another, in this process).",
    };

    private readonly Option<string?> _maxMemory = new("--max-memory")
    {
        HelpName = "SIZE",
        Description = "With --jobs: start a job only while the running jobs' estimated memory (4 x model size + 256 MiB each) stays "
                      + "within SIZE (e.g. 6G; default: MemAvailable of /proc/meminfo). A larger job runs alone.",
    };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _shard, _report, _failFast, _jobs, _maxMemory }) command.Options.Add(option);
    }

    public ZooRunOptions Options(ParseResult parse, string file, bool dryRun, IReadOnlyList<string> extra)
    {
        var shard = parse.GetValue(_shard) is { } text ? Shard.Parse(text, Environment.GetEnvironmentVariable(Shard.IndexVariable)) : null;
        var jobs = parse.GetValue(_jobs) ?? 1;
        if (jobs < 1) throw new InvalidInputException($"--jobs: {jobs}; expected 1 or more");
        var maxMemory = parse.GetValue(_maxMemory) is { } size ? MemoryBound.Parse(size) : (long?)null;
        if (maxMemory is not null && jobs == 1) throw new InvalidInputException("--max-memory bounds parallel jobs; give it with --jobs N (N > 1)");
        return new ZooRunOptions(file, shard, dryRun, parse.GetValue(_report), parse.GetValue(_failFast), jobs, maxMemory, extra);
    }
}
