using System.CommandLine;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Benchmark;
using Optimizer.Runtime.Reports;
using Optimizer.Runtime.Sessions;

namespace Optimizer.Cli.Commands;

/// <summary>
/// <c>optimize bench MODEL ...</c>: latency and throughput under ONNX Runtime; <c>optimize bench --engine model.plan</c>:
/// trtexec's figures for a TensorRT engine, in the same report format.
/// </summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var model = new Argument<FileInfo?>("MODEL") { Description = "The ONNX model to measure.", Arity = ArgumentArity.ZeroOrOne };
        var engine = new Option<FileInfo?>("--engine") { HelpName = "PLAN", Description = "Measure a TensorRT engine (.plan) with trtexec instead of an ONNX model under ONNX Runtime." };
        var trtexec = new Option<string?>("--trtexec") { HelpName = "PATH", Description = $"Path of trtexec for --engine ({EngineOptions.TrtexecLookup})." };
        var shared = new BenchDataOptions();
        var warmup = new Option<int>("--warmup") { Description = "Untimed runs before the timed ones.", DefaultValueFactory = _ => 10 };
        var runs = new Option<int>("--runs") { Description = "Timed runs per batch size.", DefaultValueFactory = _ => 100 };
        var duration = new Option<double?>("--duration") { Description = "Time each batch size for this many seconds instead of --runs." };
        var batch = new Option<string>("--batch") { HelpName = "N,...|auto", Description = "Batch sizes to sweep, e.g. 1,8,32 (samples stacked along the batch axis); auto with --max-p95 finds the size with the highest throughput within that latency.", DefaultValueFactory = _ => "1" };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON on stdout." };
        var concurrency = new Option<string?>("--concurrency")
        {
            HelpName = "N,...",
            Description = "Also run that many requests in flight on one session (e.g. 1,2,4), as a server does: throughput and per-request latency per level, at the first --batch size.",
        };
        var maxP95 = new Option<double?>("--max-p95") { HelpName = "MS", Description = "With --batch auto: the p95 latency budget per run, in milliseconds." };
        var baseline = new Option<FileInfo?>("--baseline")
        {
            HelpName = "MODEL",
            Description = "Also time this model, side by side with MODEL in one run (alternating turns of settled runs), and give MODEL's speed-up over it per batch size with a 95 % interval.",
        };
        var report = new Option<DirectoryInfo?>("--report") { Description = "Write latency.csv, report.json, report.md and PNG plots into this folder." };
        var level = new Option<string>("--graph-optimization") { HelpName = "all|extended|basic|disabled", Description = "ONNX Runtime's own graph optimization level for the session.", DefaultValueFactory = _ => "all" };
        level.AcceptOnlyFromAmong("all", "extended", "basic", "disabled");
        var overhead = new Option<bool>("--measure-overhead") { Description = "Also compare the timing loop with a bare ONNX Runtime Run loop." };
        var command = new Command("bench", "Measure latency and throughput of a model under ONNX Runtime (or of a TensorRT engine with trtexec).") { model, engine, trtexec, warmup, runs, duration, batch, json, report, level, overhead, baseline, maxP95, concurrency };
        shared.AddTo(command);
        var profile = new BenchProfileOptions();
        profile.AddTo(command);
        command.SetAction(async (ParseResult parse, CancellationToken cancel) =>
        {
            var (modelFile, engineFile) = (parse.GetValue(model), parse.GetValue(engine));
            if ((modelFile is null) == (engineFile is null))
                throw new InvalidInputException("give either MODEL (ONNX Runtime) or --engine model.plan (trtexec)");
            if (modelFile is not null) Optimizer.Onnx.Serialization.ModelReader.CheckModelPath(modelFile.FullName);
            if (engineFile is not null) shared.ProviderOptions.RefuseWith(parse, "bench --engine times the engine with trtexec");
            if (parse.GetValue(baseline) is { } baselineFile)
            {
                if (engineFile is not null) throw new InvalidInputException("--baseline compares two ONNX models under ONNX Runtime; it does not go with --engine");
                if (parse.GetValue(overhead)) throw new InvalidInputException("--measure-overhead does not go with --baseline (it checks one model's timing loop)");
                Optimizer.Onnx.Serialization.ModelReader.CheckModelPath(baselineFile.FullName);
            }
            if (parse.GetValue(report) is { } reportFolder) Output.OutputLocation.CheckFolder(reportFolder.FullName, "--report");
            var durationSeconds = parse.GetValue(duration);
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            var search = parse.GetValue(batch)!.Trim() == "auto";
            if (search != parse.GetValue(maxP95).HasValue)
                throw new InvalidInputException(search ? "--batch auto needs --max-p95 MS, the latency budget the batch size must keep"
                                                       : "--max-p95 goes with --batch auto (it is the budget the search keeps)");
            if (search && (engineFile is not null || parse.GetValue(baseline) is not null))
                throw new InvalidInputException("--batch auto measures one ONNX model under ONNX Runtime; it does not go with --engine or --baseline");
            var levels = parse.GetValue(concurrency) is { } levelText ? ParseBatches(levelText, "--concurrency") : null;
            if (levels is not null && (engineFile is not null || parse.GetValue(baseline) is not null || search))
                throw new InvalidInputException("--concurrency measures one ONNX model under ONNX Runtime; it does not go with --engine, --baseline or --batch auto");
            var profileRuns = profile.Parse(parse, search, levels is not null, parse.GetValue(overhead), engineFile is not null);
            // Read once, when an ONNX Runtime run needs them (--provider auto says its choice once, however many runs follow).
            BenchOptions? ortOptions = null;
            BenchOptions OrtOptions() => ortOptions ??= new()
            {
                ModelPath = modelFile!.FullName,
                Data = shared.ParseData(parse, parse.GetValue(shared.Data)),
                Session = shared.ParseSession(parse, SessionSettings.ForSpeed) with { OptimizationLevel = ParseLevel(parse.GetValue(level)!) },
                Warmup = NonNegative(parse.GetValue(warmup), "--warmup"),
                Runs = Math.Max(1, NonNegative(parse.GetValue(runs), "--runs")),
                Duration = durationSeconds is { } s ? s > 0 ? TimeSpan.FromSeconds(s) : throw new InvalidInputException("--duration must be positive") : null,
                BatchSizes = search ? [1] : ParseBatches(parse.GetValue(batch)!),
                MeasureOverhead = parse.GetValue(overhead),
            };
            if (parse.GetValue(baseline) is { } against)
                return await SideBySide(OrtOptions(), against.FullName, parse.GetValue(report)?.FullName, parse.GetValue(json), stdout, stderr, cancel, profileRuns);
            var result = engineFile is not null
                ? profileRuns is not null ? await EngineProfileRun.RunAsync(parse.GetValue(trtexec), engineFile.FullName, parse.GetValue(shared.Shapes), durationSeconds, cancel)
                : await EngineBenchAdapter.RunAsync(parse.GetValue(trtexec), engineFile.FullName, parse.GetValue(shared.Shapes), 0, durationSeconds, cancel)
                : search ? WithProgress(stderr, progress => BatchSearch.Run(OrtOptions(), parse.GetValue(maxP95)!.Value, progress, cancel))
                : WithProgress(stderr, progress => Benchmarker.Run(OrtOptions(), progress, cancel));
            if (levels is not null && !result.Interrupted)
                result = BenchFollowUp.Run(result, "concurrency", cancel, () =>
                {
                    var levelResults = WithProgress(stderr, progress => ConcurrencyBench.Run(OrtOptions(), levels, progress, cancel));
                    return result with { Concurrency = levelResults, ConcurrencyNote = ConcurrencyBench.WhereGrowthStops(levelResults) ?? "throughput grew at every level" };
                });
            if (profileRuns is { } profiled && !result.Interrupted && engineFile is null)
                result = BenchFollowUp.Run(result, "profile", cancel, () => result with { Profile = BenchProfileOptions.RunOrt(OrtOptions(), profiled, stderr, cancel) });
            foreach (var b in result.Batches.Where(b => b.DistinctSamples is not null))
                stderr.WriteLine($"note: batch {b.BatchSize} repeats the data folder's {b.DistinctSamples} sample(s) to fill it");
            foreach (var shapes in result.Batches.Select(b => b.UndeclaredOutputShapes).OfType<string>().Distinct())
                stderr.WriteLine($"warning: {shapes}: ONNX Runtime runs the model but refuses output buffers of the real shape, so each run allocates its outputs; fix the model's output types");
            // Interrupted after some batch sizes finished: their figures are kept (printed and written), then exit 130.
            var code = ExitCodes.Success;
            if (result.Interrupted)
            {
                stderr.WriteLine(BenchFollowUp.InterruptedLine(result));
                (code, cancel) = (ExitCodes.Cancelled, CancellationToken.None);
            }
            return await Publish(parse.GetValue(report)?.FullName, stdout, stderr, code, cancel, staging => BenchReportWriter.Write(result, staging), output =>
            {
                if (parse.GetValue(json)) output.Write(ReportJson.Serialize(result));
                else BenchSummary.Print(result, output);
                if (!parse.GetValue(json) && result.Profile is { } where) ProfileSummary.Print(where, output);
            });
        });
        return command;
    }

    /// <summary>bench MODEL --baseline OTHER: both timed in one run; one table (and with --report one folder, one plot).</summary>
    private static async Task<int> SideBySide(BenchOptions options, string baseline, string? folder, bool json, TextWriter stdout, TextWriter stderr, CancellationToken cancel, int? profileRuns)
    {
        var comparison = WithProgress(stderr, progress => SideBySideBench.Run(options, baseline, progress, cancel));
        if (profileRuns is { } runs && !comparison.Candidate.Interrupted)
            comparison = BenchFollowUp.Run(comparison, "profile", cancel, () => comparison with { Profile = BenchProfileOptions.RunBoth(options, baseline, runs, stderr, cancel) });
        // Interrupted after some batch sizes (or during the profile run): what was timed side by side is kept, exit 130.
        var code = ExitCodes.Success;
        if (comparison.Candidate.Interrupted)
        {
            stderr.WriteLine(BenchFollowUp.InterruptedLine(comparison.Candidate));
            (code, cancel) = (ExitCodes.Cancelled, CancellationToken.None);
        }
        return await Publish(folder, stdout, stderr, code, cancel, staging => BenchComparisonWriter.Write(comparison, staging), output =>
        {
            if (json) output.Write(ReportJson.Serialize(comparison));
            else BenchSummary.Print(comparison, output);
            if (!json && comparison.Profile is { } where) ProfileSummary.Print(where, output);
        });
    }

    /// <summary>A benchmark's work with its progress on stderr ("batch N: phase", a bar on a terminal).</summary>
    private static T WithProgress<T>(TextWriter stderr, Func<IProgress<BenchProgress>, T> work) =>
        BenchProgressDisplay.Run<BenchProgress, T>(stderr, p => ($"batch {p.BatchSize}: {p.Phase}", p.Done, p.Total), work);

    /// <summary>
    /// Prints the result, and with --report writes its files into the folder as one transaction (the folder changes only
    /// once all are written, see TransactionalRun) before printing; returns <paramref name="code"/>.
    /// </summary>
    private static async Task<int> Publish(string? folder, TextWriter stdout, TextWriter stderr, int code, CancellationToken cancel,
        Func<string, (IReadOnlyList<string> Files, string? Warning)> write, Action<TextWriter> print)
    {
        if (folder is null)
        {
            print(stdout);
            return code;
        }
        return await Output.TransactionalRun.RunAsync(folder, stdout, stderr, cancel, (transaction, output, errors) =>
        {
            var (files, warning) = write(transaction.Staging);
            if (warning is not null) errors.WriteLine(warning);
            errors.WriteLine($"wrote {string.Join(", ", files)} to {folder}");
            print(output);
            return Task.FromResult(code);
        });
    }

    internal static GraphOptimizationLevel ParseLevel(string text) => text switch
    {
        "disabled" => GraphOptimizationLevel.ORT_DISABLE_ALL,
        "basic" => GraphOptimizationLevel.ORT_ENABLE_BASIC,
        "extended" => GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
        _ => GraphOptimizationLevel.ORT_ENABLE_ALL,
    };

    private static int NonNegative(int value, string option) =>
        value >= 0 ? value : throw new InvalidInputException($"{option} must be 0 or more");

    internal static IReadOnlyList<int> ParseBatches(string text, string option = "--batch")
    {
        var sizes = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => int.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out var b) && b > 0 ? b : throw new InvalidInputException($"{option}: '{t}' is not a positive integer"))
            .Distinct().ToList();
        return sizes.Count > 0 ? sizes : throw new InvalidInputException($"{option}: give at least one positive integer");
    }
}
