using System.CommandLine;
using Optimizer.Cli.Zoo;
using Optimizer.Onnx.Errors;

namespace Optimizer.Cli.Commands;

/// <summary>
/// <c>optimize merge-reports DIR... [-o DIR]</c>: the zoo reports of a run's shards (<c>optimize run ZOO --shard i/N</c>)
/// joined into one table (<see cref="ZooReportMerge"/>). Shards that are not one whole zoo (one missing or given
/// twice, another zoo's, a job twice or in no report) are exit 1 with one line naming them, and nothing is written.
/// </summary>
public static class MergeReportsCommand
{
    public static Command Create()
    {
        var dirs = new Argument<string[]>("DIR") { Arity = ArgumentArity.OneOrMore, Description = "The shards' report folders (each holds zoo-report.json)." };
        var output = new Option<string?>("--output", "-o") { HelpName = "DIR", Description = "Where the merged zoo-report.json, zoo-report.md and zoo-junit.xml go (default: the current folder)." };
        var command = new Command("merge-reports", "Join the zoo reports of a sharded run (optimize run ZOO --shard i/N) into one report of the whole zoo.") { dirs, output };
        command.SetAction((ParseResult parse, CancellationToken cancel) =>
        {
            var folders = parse.GetValue(dirs)!;
            var target = Path.GetFullPath(parse.GetValue(output) ?? ".");
            if (folders.Any(d => Path.GetFullPath(d) == target))
                throw new InvalidInputException($"-o {target}: is one of the shards' folders; give another folder for the merged report");
            if (File.Exists(target)) throw new InvalidInputException($"-o {target}: is a file; give a folder");
            var shards = folders.Select(d => (Dir: d, Report: ZooReport.Read(d))).ToList();
            var problems = ZooReportMerge.Problems(shards);
            var stderr = parse.InvocationConfiguration.Error;
            if (problems.Count > 0)
            {
                stderr.WriteLine($"error: the reports are not one whole zoo: {string.Join("; ", problems)}");
                return Task.FromResult(ExitCodes.GateFailed);
            }
            var merged = ZooReportMerge.Merge(shards.Select(s => s.Report).ToList());
            ZooReportFiles.Write(merged, target);
            stderr.WriteLine($"merged {shards.Count} shards of zoo {merged.Zoo.Id[..12]} into {target}: {merged.Summary.Describe()} "
                + $"(the jobs' highest exit code: {merged.ExitCode})");
            return Task.FromResult(0);
        });
        return command;
    }
}
