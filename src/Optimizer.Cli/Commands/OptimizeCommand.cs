using System.CommandLine;
using Optimizer.Cli.Output;
using Optimizer.Cli.Pipeline;
using Optimizer.Cli.Triton;
using Optimizer.Onnx.Errors;
using Optimizer.Passes.Infrastructure;
using Optimizer.Runtime.Validation;
using Optimizer.TensorRt.Engines;
using Optimizer.TensorRt.Flags;

namespace Optimizer.Cli.Commands;

/// <summary>The root command: <c>optimize MODEL [-o OUT] ...</c> runs the pipeline on MODEL.</summary>
public static class OptimizeCommand
{
    public static RootCommand Create()
    {
        var model = new Argument<FileInfo>("MODEL") { Description = "The FP32 ONNX model to optimize." };
        var output = new Option<DirectoryInfo>("--output", "-o") { Description = "Output folder (default: the model's folder/<stem>.opt/)." };
        var passes = new Option<string>("--passes")
        {
            HelpName = "PASS,...|none",
            Description = "Exactly these passes, comma-separated, in order ('optimize passes' lists them); 'none' only reads and writes the model.",
        };
        var noFuse = new Option<bool>("--no-fuse") { Description = "Skip the default fusion, folding and cleanup passes." };
        var explain = new Option<bool>("--explain") { Description = "Print why each rewrite that matched was declined." };
        var verify = new Option<bool>("--verify") { Description = "Check the model's invariants after every pass." };
        var opset = new Option<long?>("--opset") { Description = "Upgrade the whole model to this ONNX opset first (enables LayerNormalization at 17, Gelu at 20)." };
        var shapes = new Option<string>("--shapes") { HelpName = "NAME:DIMS,...", Description = "Fix input dimensions: name:1x3x224x224[,name2:...]." };
        var json = new Option<bool>("--json") { Description = "Print a machine-readable summary on stdout." };
        var validate = new Option<DirectoryInfo?>("--validate") { HelpName = "DIR", Description = "Check the written model against the input model on this data (OUT/validation/, and in report.json)." };
        var gates = new Option<string[]>("--max-accuracy-drop") { HelpName = "METRIC=VALUE", Description = "An accuracy budget for --validate, repeatable or comma-separated, e.g. cosine=0.99, or ctc-agreement=0.98 for a text or speech recognizer's [N, T, C] output, or scores:min-cosine=0.99 for one output alone (all metrics: 'optimize validate --help'); a miss exits 1." };
        var minSpeedup = new Option<double?>("--min-speedup") { HelpName = "X", Description = "A latency budget for --validate: input p50 / output p50 must be at least X." };
        var junit = new Option<FileInfo?>("--junit") { HelpName = "FILE", Description = "Also write the --validate gates as a JUnit XML file." };
        var feedBack = FeedBackOption.Create();
        var cache = new Option<DirectoryInfo?>("--cache") { HelpName = "DIR", Description = $"Reuse each step's result built from the same inputs and options (default: ${Caching.StepCache.Variable}); engines go to DIR/engines." };
        var wait = new Option<bool>("--wait") { Description = "When another run is writing the output folder, wait for it to finish instead of refusing." };
        var threads = new Option<int?>("--threads")
        {
            HelpName = "N",
            Description = "Intra-op threads of the runs the pipeline makes (calibration, comparisons, the budget, --validate); "
                          + "default: ONNX Runtime's choice. On the CPU with N up to 4, calibration runs N samples at once on one thread each.",
        };
        var quantize = new QuantizeOptionSet();
        var prune = new PruneOptionSet();
        var engine = new EngineOptions(forRoot: true);
        var emitPipeline = PipelineEmitter.Create();
        var triton = new TritonOptionSet();
        var provider = ProviderOption.Create();
        var providerOptions = new ProviderOptionSet();
        var root = new RootCommand("Makes ONNX models fast for deployment: fusion, pruning, INT8/FP16, TensorRT engines, validation.")
        {
            model, output, passes, noFuse, explain, verify, opset, shapes, json, validate, gates, minSpeedup, junit, feedBack, wait, provider, cache, threads,
        };
        quantize.AddTo(root);
        prune.AddTo(root);
        engine.AddTo(root);
        root.Add(emitPipeline);
        triton.AddTo(root);
        providerOptions.AddTo(root);
        root.SetAction(async (ParseResult parse, CancellationToken cancel) =>
        {
            var modelPath = parse.GetValue(model)!.FullName;
            var session = ProviderOption.Read(parse, provider, providerOptions);
            var options = new OptimizeOptions
            {
                ModelPath = modelPath,
                OutDir = parse.GetValue(output)?.FullName ?? OptimizeOptions.DefaultOutDir(modelPath),
                Passes = ParsePasses(parse.GetValue(passes)),
                NoFuse = parse.GetValue(noFuse),
                Explain = parse.GetValue(explain),
                Verify = parse.GetValue(verify),
                Opset = parse.GetValue(opset),
                Shapes = parse.GetValue(shapes),
                Json = parse.GetValue(json),
                Quantize = quantize.Read(parse, pruning: prune.IsRequested(parse)),
                Prune = prune.Read(parse, quantize.Exclude(parse)),
                Provider = session.Provider,
                DeviceId = session.DeviceId,
                ProviderOptions = session.ProviderOptions,
                Threads = parse.GetValue(threads) is { } n ? (n >= 1 ? n : throw new InvalidInputException($"--threads {n}: expected at least 1")) : 0,
                Triton = triton.Read(parse, modelPath),
            };
            var validation = ParseValidation(parse, validate, gates, minSpeedup, junit, feedBack);
            validation?.Check(modelPath);
            PipelineEmitter.Check(parse.GetValue(emitPipeline));
            OutputLocation.CheckFolder(options.OutDir, parse.GetValue(output) is null ? "the output folder (default; choose one with -o)" : "-o");
            var outDir = Path.GetFullPath(options.OutDir);
            var cacheDir = Caching.StepCache.Resolve(parse.GetValue(cache)?.FullName);
            if (cacheDir is not null) OutputLocation.CheckFolder(cacheDir, parse.GetValue(cache) is null ? $"${Caching.StepCache.Variable}" : "--cache");
            var engineRun = engine.IsRequested(parse) ? engine.Read(parse, Path.Combine(outDir, OptimizeRunner.ModelFileName), outDir) : null;
            if (engineRun is not null && options.Quantize is { Half: null, Target: not Passes.Quantization.QuantizationTarget.TensorRt })
                throw new InvalidInputException("--engine with --quantize int8 needs --target tensorrt (and --calibrate DIR): the default target lays the model out for " +
                                                "ONNX Runtime's CPU provider (uint8 activations with zero points, dynamic INT8's integer ops), which TensorRT refuses");
            if (engineRun is not null && cacheDir is not null) engineRun = engineRun with { EngineCache = engineRun.EngineCache ?? cacheDir };
            if (engineRun is not null) engineRun = engineRun with { Settings = PruningStep.EngineSettings(engineRun.Settings, options.Prune), SourceName = Path.GetFileName(modelPath) };
            // Every file of the run is staged and published into OUT at the end (see OutputTransaction); what the run prints
            // names the files in OUT, and its results on stdout appear once they are published.
            using var transaction = new OutputTransaction(outDir, parse.GetValue(wait), parse.InvocationConfiguration.Error);
            var stdout = new StagingPathWriter(parse.InvocationConfiguration.Output, transaction, deferred: true);
            var stderr = new StagingPathWriter(parse.InvocationConfiguration.Error, transaction);
            if (cacheDir is not null) options = options with { Cache = new Caching.StepCache(cacheDir, stderr) };
            // Whatever would stop --validate or --engine for a reason of the input is refused before anything is written.
            ModelFacts? engineFacts = null;
            var code = OptimizeRunner.Run(options, transaction, stdout, cancel, beforeWrite: optimized =>
            {
                validation?.CheckData(options, cancel);
                if (engineRun is not null) EngineRun.Check(engineRun, engineFacts = ModelFactsReader.FromModel(optimized));
                if (options.Triton is not null) TritonStep.Check(options.Triton, optimized, engineRun?.Settings.Shapes);
            }, stderr, validation);
            // A --junit file outside OUT is staged too, and put in place with OUT's files.
            if (code == 0 && validation is not null)
                code = (validation with { JUnit = validation.JUnit is { } junitFile ? transaction.StageOutside(junitFile) : null })
                    .Run(options, transaction.Staging, stdout, stderr, cancel);
            if (engineRun is not null)
            {
                if (code == 0 && engineFacts is not null)
                    engineRun = EngineShapesFromData.Fill(engineRun, engineFacts, options, options.Quantize?.CalibrateDir ?? validation?.DataDir, stderr);
                code = await BuildEngine(engineRun, code, transaction, stdout, stderr, printSummary: !options.Json, cancel);
            }
            if (options.Triton is not null) TritonStep.Run(options.Triton, code, transaction.Staging, engineRun?.Settings.Shapes, stdout, stderr, options.Json, cancel);
            TransactionalRun.Publish(transaction, stdout, stderr, cancel);
            if (parse.GetValue(emitPipeline) is { } emit) PipelineEmitter.Write(parse, modelPath, emit.FullName);
            return code;
        });
        return root;
    }

    /// <summary>
    /// The --engine step, into the staging folder. An engine from an earlier run leaves OUT with this run (it was not built
    /// from this model). When trtexec fails (exit 3) the ONNX outputs are still published, with trtexec.log.
    /// </summary>
    private static async Task<int> BuildEngine(EngineRunOptions engineRun, int code, OutputTransaction transaction, StagingPathWriter stdout,
        StagingPathWriter stderr, bool printSummary, CancellationToken cancel)
    {
        foreach (var name in EngineRun.EngineFiles) transaction.RemoveOnPublish(name);
        EngineManifest.Forget(transaction.Staging);
        if (code != 0)
        {
            stderr.WriteLine("not building the TensorRT engine: the model did not pass validation");
            return code;
        }
        var staged = engineRun with
        {
            OnnxPath = Path.Combine(transaction.Staging, OptimizeRunner.ModelFileName),
            OutDir = transaction.Staging,
            PrintSummary = printSummary,
        };
        try
        {
            return await EngineRun.RunAsync(staged, stdout, stderr, cancel);
        }
        catch (ExternalToolException e)
        {
            throw TransactionalRun.PublishAnyway(transaction, stdout, stderr, e, cancel);
        }
    }

    private static PipelineValidation? ParseValidation(ParseResult parse, Option<DirectoryInfo?> validate, Option<string[]> gates, Option<double?> minSpeedup, Option<FileInfo?> junit,
        Option<string?> feedBack)
    {
        var gateList = (parse.GetValue(gates) ?? []).SelectMany(Gate.ParseList).ToList();
        if (parse.GetValue(minSpeedup) is { } speedup) gateList.Add(Gate.MinSpeedup(speedup));
        var fed = FeedBackOption.Read(parse, feedBack);
        if (parse.GetValue(validate) is not { } data)
            return gateList.Count > 0 || parse.GetValue(junit) is not null || fed.Count > 0
                ? throw new InvalidInputException("--max-accuracy-drop, --min-speedup, --junit and --feed-back need --validate DIR (the data to check on)")
                : null;
        return new PipelineValidation { DataDir = data.FullName, Gates = gateList, JUnit = parse.GetValue(junit)?.FullName, FeedBack = fed };
    }

    private static IReadOnlyList<string>? ParsePasses(string? text)
    {
        if (text is null) return null;
        if (text.Trim() == "none") return [];
        var names = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        // An empty list is most likely an unset variable in a script: 'none' says "no passes" on purpose.
        if (names.Length == 0) throw new InvalidInputException($"--passes '{text}' names no pass; give pass names ('optimize passes' lists them) or 'none'");
        var known = PassRegistry.All.Select(p => p.Name).ToList();
        if (names.FirstOrDefault(n => !known.Contains(n)) is { } unknown)
            throw new InvalidInputException($"--passes: unknown pass '{unknown}'; " + (Suggestions.Closest(unknown, known) is { } meant
                ? $"did you mean '{meant}'? ('optimize passes' lists them all)"
                : "'optimize passes' lists the passes there are"));
        return names;
    }
}
