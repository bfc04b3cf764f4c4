using System.CommandLine;
using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Sessions;
using Optimizer.Runtime.Validation;

namespace Optimizer.Cli.Commands;

/// <summary><c>optimize validate --baseline A --candidate B --data DIR ...</c>: the accuracy (and latency) drift gate.</summary>
public static class ValidateCommand
{
    public static Command Create()
    {
        var baseline = new Option<FileInfo?>("--baseline") { HelpName = "MODEL", Description = "The reference model (usually the FP32 original)." };
        var candidate = new Option<FileInfo>("--candidate") { HelpName = "MODEL", Description = "The model to check.", Required = true };
        var against = new Option<FileInfo?>("--against") { Description = "Compare with a stored report.json of an earlier validate run instead of running a baseline." };
        var gates = new Option<string[]>("--max-accuracy-drop") { HelpName = "METRIC=VALUE", Description = "A gate METRIC=VALUE, repeatable or comma-separated: top1-agreement, top5-agreement, cosine, min-cosine, min-pooled-cosine (worst cosine of an [N, T, C] output's mean over the tokens its attention_mask (or input_mask) input marks: a sentence embedding), sqnr, mask-agreement@T (fraction of elements on the same side of threshold T, for score maps), ctc-agreement[@K] (fraction of rows of an [N, T, C] output whose greedy CTC decoding is the same; blank class K, default 0, -1 = last) (lower bounds); max-abs, mean-abs, rel-l2, accuracy (drop; upper bounds). An output gate takes the worst output; OUTPUT:METRIC=VALUE judges that output alone (e.g. scores:min-cosine=0.99)." };
        var minSpeedup = new Option<double?>("--min-speedup") { Description = "Gate: baseline p50 / candidate p50 must be at least this." };
        var report = new Option<DirectoryInfo?>("--report") { Description = "Folder for report.json, report.md, predictions.csv (classifiers) and readings.csv (text recognizers) (default: <candidate's folder>/<candidate>.validate/, beside the model it checks, so two optimized model.onnx files never share one)." };
        var junit = new Option<FileInfo?>("--junit") { Description = "Also write the gates as a JUnit XML file." };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON on stdout." };
        var samples = new Option<int>("--samples") { Description = "Random samples to use when no --data is given.", DefaultValueFactory = _ => 16 };
        var feedBack = FeedBackOption.Create();
        var ortOptimizations = new Option<bool>("--ort-optimizations") { Description = "Let ONNX Runtime optimize the graphs (off by default so it cannot hide a difference)." };
        var shared = new BenchDataOptions();
        var command = new Command("validate", "Compare a candidate model with a baseline (or a stored report) on data, and fail when a gate is not met.")
        {
            baseline, candidate, against, gates, minSpeedup, report, junit, json, samples, ortOptimizations, feedBack,
        };
        shared.AddTo(command);
        command.SetAction((ParseResult parse, CancellationToken cancel) =>
        {
            var candidateFile = parse.GetValue(candidate)!;
            var (baselineFile, againstFile) = (parse.GetValue(baseline), parse.GetValue(against));
            if ((baselineFile is null) == (againstFile is null))
                throw new InvalidInputException("give exactly one of --baseline MODEL and --against report.json");
            foreach (var file in new[] { baselineFile, candidateFile }.OfType<FileInfo>())
                Optimizer.Onnx.Serialization.ModelReader.CheckModelPath(file.FullName);
            var gateList = (parse.GetValue(gates) ?? []).SelectMany(Gate.ParseList).ToList();
            if (parse.GetValue(minSpeedup) is { } speedup) gateList.Add(Gate.MinSpeedup(speedup));
            var settings = shared.ParseSession(parse, SessionSettings.ForComparison);
            var options = new ValidateOptions
            {
                BaselinePath = baselineFile?.FullName,
                CandidatePath = candidateFile.FullName,
                AgainstReport = againstFile?.FullName,
                Data = shared.ParseData(parse, parse.GetValue(shared.Data)) with { RandomSamples = Math.Max(1, parse.GetValue(samples)) },
                Session = parse.GetValue(ortOptimizations) ? settings with { OptimizationLevel = SessionSettings.ForSpeed.OptimizationLevel } : settings,
                // Latency as a deployment sees it: ONNX Runtime's full optimizations, both models side by side.
                LatencySession = settings with { OptimizationLevel = SessionSettings.ForSpeed.OptimizationLevel },
                Gates = gateList,
                FeedBack = FeedBackOption.Read(parse, feedBack),
            };
            // Beside the candidate: every optimized model is called model.onnx, so a default in the current folder collided.
            var folder = parse.GetValue(report)?.FullName
                         ?? Path.Combine(candidateFile.DirectoryName ?? ".", Path.GetFileNameWithoutExtension(candidateFile.Name) + ".validate");
            Output.OutputLocation.CheckFolder(folder, parse.GetValue(report) is null ? "the report folder (default; choose one with --report)" : "--report");
            if (parse.GetValue(junit) is { } junitFile) Output.OutputLocation.CheckFile(junitFile.FullName, "--junit");
            // The report folder (and a --junit file) change only when the run is done (see TransactionalRun).
            return Output.TransactionalRun.RunAsync(folder, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, cancel,
                (transaction, stdout, stderr) =>
                {
                    // a run that writes no predictions.csv (or readings.csv) must not leave an earlier run's in the folder
                    foreach (var name in new[] { PredictionsFile.FileName, ReadingsFile.FileName }) transaction.RemoveOnPublish(name);
                    return Task.FromResult(ValidationRun.Run(options, transaction.Staging,
                        parse.GetValue(junit) is { } file ? transaction.StageOutside(file.FullName) : null, parse.GetValue(json), stdout, stderr, cancel));
                });
        });
        return command;
    }
}
