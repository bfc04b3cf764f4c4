using System.CommandLine;
using System.Text;
using System.Text.RegularExpressions;
using Optimizer.Cli.Pipeline;
using Optimizer.Cli.Zoo;

namespace Optimizer.Cli.Commands;

/// <summary>
/// <c>optimize run PIPELINE.yaml</c>: runs the jobs of a pipeline file in order. Each job is turned into the arguments
/// of the root command (<see cref="PipelineFile"/>) and run through <see cref="CommandLineApp.Run"/>, the same parser
/// and action as <c>optimize MODEL ...</c> typed by hand. A file of several jobs is a zoo: <see cref="ZooRun"/> runs
/// all of them or one shard's slice, in order or in parallel, and writes the zoo report (<see cref="ZooOptionSet"/>).
/// </summary>
public static partial class RunCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("PIPELINE") { Description = "A pipeline file (YAML): one job's options as keys, or several under 'jobs:' (see pipelines/README.md)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print each job's equivalent command line and run nothing." };
        var json = new Option<bool>("--json") { Description = "Passed to each job: a machine-readable summary on stdout." };
        var cache = new Option<DirectoryInfo?>("--cache") { HelpName = "DIR", Description = "Passed to each job without a 'cache:' of its own: reuse step results from DIR." };
        var zoo = new ZooOptionSet();
        var command = new Command("run", "Run the jobs of a pipeline file: each is 'optimize MODEL ...' with its options from the file.") { file, dryRun, json, cache };
        zoo.AddTo(command);
        command.SetAction((ParseResult parse, CancellationToken cancel) =>
        {
            var shown = parse.GetValue(file)!;
            var extra = parse.GetValue(json) ? new[] { "--json" } : [];
            var options = zoo.Options(parse, shown, parse.GetValue(dryRun), extra);
            // Every job of the file is read and checked before the first one runs.
            var jobs = PipelineFile.Read(shown, shown);
            // --cache DIR goes to every job that does not name a cache of its own.
            if (parse.GetValue(cache) is { } dir)
                jobs = jobs.Select(j => j.Arguments.Contains("--cache") ? j : j with { Arguments = [.. j.Arguments, "--cache", dir.FullName] }).ToList();
            return Task.FromResult(ZooRun.Run(options, jobs, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, cancel));
        });
        return command;
    }

    /// <summary>The job as one shell command line, each argument quoted where a POSIX shell needs it.</summary>
    internal static string CommandLine(IEnumerable<string> args) =>
        string.Join(" ", new[] { "optimize" }.Concat(args).Select(a => PlainWord().IsMatch(a) ? a : "'" + a.Replace("'", "'\\''") + "'"));

    [GeneratedRegex(@"^[A-Za-z0-9_@%+=:,./-]+$")]
    private static partial Regex PlainWord();

    /// <summary>
    /// The job's stderr: every <c>error: </c> line (the root command's one-line refusals) says which file and job it
    /// belongs to; everything else passes through as it comes.
    /// </summary>
    internal sealed class JobErrors(TextWriter inner, string context) : TextWriter
    {
        private const string Prefix = "error: ";
        private readonly StringBuilder _start = new(); // the start of the current line, while it could still be Prefix
        private bool _decided;

        public override Encoding Encoding => inner.Encoding;

        public override void Write(char value)
        {
            if (!_decided)
            {
                _start.Append(value);
                var start = _start.ToString();
                if (start == Prefix) inner.Write(Prefix + context);
                else if (Prefix.StartsWith(start, StringComparison.Ordinal)) return;
                else inner.Write(start);
                _start.Clear();
                _decided = value != '\n';
                return;
            }
            inner.Write(value);
            if (value == '\n') _decided = false;
        }

        public override void Write(string? value)
        {
            foreach (var c in value ?? "") Write(c);
        }

        public override void Flush() => inner.Flush();

        protected override void Dispose(bool disposing)
        {
            if (disposing && _start.Length > 0) inner.Write(_start.ToString());
            base.Dispose(disposing);
        }
    }
}
