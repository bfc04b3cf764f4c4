using Optimizer.Cli.Output;
using Optimizer.Onnx.Errors;
using Optimizer.Onnx.Serialization;
using Optimizer.TensorRt.Engines;
using Optimizer.TensorRt.Flags;
using Optimizer.TensorRt.Locating;
using Optimizer.TensorRt.Logs;

namespace Optimizer.Cli.Commands;

/// <summary>What an engine step was asked to do (parsed from <see cref="EngineOptions"/>).</summary>
public sealed record EngineRunOptions
{
    public required string OnnxPath { get; init; }
    public required string OutDir { get; init; }
    /// <summary>The input model's file name when <see cref="OnnxPath"/> is a file the run wrote (for the engine cache's listing).</summary>
    public string? SourceName { get; init; }
    public string? Trtexec { get; init; }
    public string? EngineCache { get; init; }
    public bool RequireInt8 { get; init; }
    public TimeSpan? Timeout { get; init; }
    public string? CalibrationCache { get; init; }
    public bool Json { get; init; }
    public bool PrintSummary { get; init; } = true;
    /// <summary>The option that sets the engine's fixed shapes on this command (--shapes, or --engine-shapes on the root).</summary>
    public string ShapesOption { get; init; } = "--shapes";
    public BuildSettings Settings { get; init; } = new();
}

/// <summary>
/// The engine step: read the model's facts, find trtexec, build (or reuse) the engine, record it in OUT/manifest.json,
/// print the summary, and apply --require-int8 (exit 1 when quantized layers fell back).
/// </summary>
public static class EngineRun
{
    public const string CalibrationCacheFile = "calibration.cache";

    /// <summary>The files of OUT an engine build replaces: an engine from an earlier build leaves OUT with this one, even when it fails.</summary>
    public static IReadOnlyList<string> EngineFiles { get; } = [EngineBuilder.EngineFile, EngineBuilder.LogFile, EngineBuilder.LayerFile, EngineBuilder.TimesFile];

    public static async Task<int> RunAsync(EngineRunOptions options, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var facts = ModelFactsReader.FromModel(ModelReader.Read(options.OnnxPath));
        Check(options, facts);
        var trtexec = TrtexecLocator.Locate(options.Trtexec);
        var defaultCalibration = Path.Combine(options.OutDir, CalibrationCacheFile);
        var request = new EngineBuildRequest(trtexec, options.OnnxPath, facts, options.OutDir, options.Settings)
        {
            EngineCacheDir = options.EngineCache,
            SourceName = options.SourceName,
            CalibrationCache = options.CalibrationCache ?? (File.Exists(defaultCalibration) ? defaultCalibration : null),
            Timeout = options.Timeout,
            OnPhase = phase => { if (Describe(phase) is { } text) stderr.WriteLine($"trtexec: {text}"); },
        };
        stderr.WriteLine($"trtexec: {trtexec}");
        if (facts is { WidenedFromHalf: true, IsQdq: true } && options.Settings.Precision == EnginePrecision.Auto)
            stderr.WriteLine("note: the model was quantized from a float16 one: where trtexec takes precision flags (TensorRT 8.6 to 10.11) the engine gets --fp16 "
                             + "beside --int8, so the layers left out of INT8 run in FP16 as they did (--precision int8, --engine-precision int8 on optimize MODEL, keeps them FP32)");
        EngineBuildResult result;
        try
        {
            result = await EngineBuilder.BuildAsync(request, cancellationToken);
        }
        catch (Exception e) when (e is OptimizerException or OperationCanceledException)
        {
            EngineManifest.Forget(options.OutDir);
            throw;
        }
        if (result.FromCache) stderr.WriteLine($"trtexec: engine reused from the cache ({result.CacheKey![..12]})");
        if (options.EngineCache is not null && result.CacheKey is { } key)
            stderr.WriteLine($"cache: engine {(result.FromCache ? "hit" : "miss")} (key {Caching.StepCache.Short(key)})");
        foreach (var warning in result.Warnings) stderr.WriteLine($"warning: {warning}");
        if (result.Warnings.Any(w => w.Contains("no shapes were given", StringComparison.Ordinal)))
            stderr.WriteLine($"hint: {options.ShapesOption} NAME:DIMS[,NAME:DIMS] sets the engine's shapes");

        if (options.RequireInt8 && result.Layers is { NotFound.Count: > 0 } layers)
            stderr.WriteLine($"warning: --require-int8 cannot check {layers.NotFound.Count} quantized node(s) that no engine layer names " +
                $"({string.Join(", ", layers.NotFound.Take(5))}{(layers.NotFound.Count > 5 ? ", ..." : "")}); their precision is not known");
        var gate = options.RequireInt8 ? Int8Gate.Check(result, facts.IsQdq) : null;
        EngineManifest.Write(options.OutDir, result, options, gate);
        if (options.Json) stdout.WriteLine(EngineManifest.Section(result, options, gate).ToJsonString(JsonOutput));
        else if (options.PrintSummary) EngineSummary.Print(result, facts, stdout);
        if (gate is null) return ExitCodes.Success;
        stderr.WriteLine($"error: {gate}");
        return ExitCodes.GateFailed;
    }

    /// <summary>
    /// Refuses what would make the build fail for a reason of the command line, before anything is written or run:
    /// shapes for inputs the model does not have or that do not fit it, a malformed --trtexec-arg, an engine cache
    /// that is not a folder, --require-int8 on a model without Q/DQ nodes. (The root command calls this before it writes
    /// the optimized model.)
    /// </summary>
    public static void Check(EngineRunOptions options, ModelFacts facts)
    {
        // Checked after the build too (Int8Gate), but a model with nothing quantized need not be built to know it fails.
        if (options.RequireInt8 && !facts.IsQdq)
            throw new InvalidInputException("--require-int8: the model has no QuantizeLinear/DequantizeLinear nodes, so nothing in it is quantized; " +
                "quantize it first (--quantize int8 --calibrate DIR --target tensorrt) or leave --require-int8 out");
        if (facts.CpuInt8Ops.Count > 0)
            throw new InvalidInputException($"the model is INT8 in the layout of ONNX Runtime's CPU provider ({string.Join(", ", facts.CpuInt8Ops)}: uint8 " +
                "activations with zero points, or dynamic INT8's integer ops), which TensorRT refuses (it takes int8 Q/DQ with zero point 0); " +
                "quantize the FP32 model with --quantize int8 --calibrate DIR --target tensorrt");
        if (options.EngineCache is { } cache) OutputLocation.CheckFolder(cache, "--engine-cache");
        var request = options.Settings.Shapes;
        var prefix = options.ShapesOption[..^"shapes".Length]; // "--" on optimize engine, "--engine-" on the root command
        var given = new[] { (request.Shapes, "shapes"), (request.Min, "min-shapes"), (request.Opt, "opt-shapes"), (request.Max, "max-shapes") }
            .Where(g => g.Item1 is not null).ToList();
        try
        {
            if (given.Count > 0) ShapeProfile.Resolve(facts, request, new List<string>());
        }
        catch (InvalidInputException e)
        {
            // The profile's messages say --shapes/--min-shapes...; name the options as this command spells them.
            throw new InvalidInputException(e.Message.StartsWith("--", StringComparison.Ordinal)
                ? prefix + e.Message[2..]
                : $"{string.Join("/", given.Select(g => prefix + g.Item2))}: {e.Message}", e);
        }
        FlagBuilder.WithPassThrough([], options.Settings.ExtraArgs, []);
    }

    private static readonly System.Text.Json.JsonSerializerOptions JsonOutput =
        new(Output.Json.Options) { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string? Describe(BuildPhase phase) => phase switch
    {
        BuildPhase.Parsing => "parsing the model",
        BuildPhase.Building => "building the engine (this can take minutes)",
        BuildPhase.LoadingEngine => "loading the engine",
        BuildPhase.Inference => "measuring inference",
        _ => null,
    };
}
