using System.CommandLine;
using System.Text;
using System.Text.RegularExpressions;
using Optimizer.Cli.Pipeline;

namespace Optimizer.Cli.Commands;

/// <summary>
/// <c>optimize run PIPELINE.yaml</c>: runs the jobs of a pipeline file in order. Each job is turned into the arguments
/// of the root command (<see cref="PipelineFile"/>) and run through <see cref="CommandLineApp.Run"/>, the same parser
/// and action as <c>optimize MODEL ...</c> typed by hand. The first job that exits non-zero stops the pipeline and
/// its exit code is the command's.
/// </summary>
public static partial class RunCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("PIPELINE") { Description = "A pipeline file (YAML): one job's options as keys, or several under 'jobs:' (see pipelines/README.md)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print each job's equivalent command line and run nothing." };
        var json = new Option<bool>("--json") { Description = "Passed to each job: a machine-readable summary on stdout." };
        var cache = new Option<DirectoryInfo?>("--cache") { HelpName = "DIR", Description = "Passed to each job without a 'cache:' of its own: reuse step results from DIR." };
        var command = new Command("run", "Run the jobs of a pipeline file: each is 'optimize MODEL ...' with its options from the file.") { file, dryRun, json, cache };
        command.SetAction((ParseResult parse, CancellationToken cancel) =>
        {
            var shown = parse.GetValue(file)!;
            // Every job of the file is read and checked before the first one runs.
            var jobs = PipelineFile.Read(shown, shown);
            var extra = parse.GetValue(json) ? new[] { "--json" } : [];
            var (stdout, stderr) = (parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
            var several = jobs.Count > 1;
            foreach (var (job, index) in jobs.Select((j, i) => (j, i)))
            {
                string[] args = [.. job.Arguments, .. extra, .. parse.GetValue(cache) is { } dir && !job.Arguments.Contains("--cache") ? new[] { "--cache", dir.FullName } : []];
                if (parse.GetValue(dryRun))
                {
                    if (several) stdout.WriteLine($"# job {job.Name}");
                    stdout.WriteLine(CommandLine(args));
                    continue;
                }
                cancel.ThrowIfCancellationRequested();
                if (several) stderr.WriteLine($"job {job.Name}: {CommandLine(args)}");
                int code;
                using (var errors = new JobErrors(stderr, job.Name is null ? $"{shown}: " : $"{shown}:{job.Line}: job {job.Name}: "))
                    code = CommandLineApp.Run(args, stdout, errors);
                if (code == 0) continue;
                if (index + 1 < jobs.Count)
                    stderr.WriteLine($"job {job.Name}: exit code {code}; not running {string.Join(", ", jobs.Skip(index + 1).Select(j => j.Name))}");
                return Task.FromResult(code);
            }
            return Task.FromResult(0);
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
    private sealed class JobErrors(TextWriter inner, string context) : TextWriter
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
