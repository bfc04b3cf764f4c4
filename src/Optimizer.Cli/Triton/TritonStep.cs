using System.Globalization;
using System.Text.Json.Nodes;
using Inference;
using Optimizer.Cli.Output;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.TensorRt.Flags;

namespace Optimizer.Cli.Triton;

/// <summary>
/// The <c>--emit triton REPO</c> step of <c>optimize MODEL</c>, after the engine step: the model folder for the ONNX
/// model written (or the engine built from it), its config.pbtxt, and a "triton" section in OUT/manifest.json.
/// </summary>
public static class TritonStep
{
    /// <summary>
    /// Refuses, before anything is written, what would make the step fail for a reason of the input: a bad name or
    /// repository, a batch the model or the engine's profile cannot take, a tensor Triton cannot describe.
    /// </summary>
    /// <param name="engineShapes">The engine's shapes when --engine runs (the plan is then what Triton serves).</param>
    public static void Check(TritonOptions options, Model optimized, ShapeRequest? engineShapes)
    {
        TritonRepository.CheckRepository(options.Repository, options.Name);
        var artifact = engineShapes is null ? TritonArtifact.Onnx : TritonArtifact.Plan;
        TritonConfigBuilder.Build(options.Name, TritonModel.FromModel(optimized), artifact, Batching(options), PlanBatch(optimized, engineShapes));
    }

    /// <summary>The step after the engine's: skipped (saying so) when the run failed a gate.</summary>
    public static void Run(TritonOptions options, int code, string staging, ShapeRequest? engineShapes, TextWriter stdout, TextWriter stderr, bool quiet, CancellationToken cancel)
    {
        if (code != 0)
        {
            stderr.WriteLine($"not writing the Triton model: the run {(code == Onnx.Errors.ExitCodes.GateFailed ? "failed a gate" : $"exited {code}")}");
            return;
        }
        Emit(options, staging, engineShapes, stdout, quiet, cancel);
    }

    /// <param name="staging">OUT's staging folder, holding model.onnx (and model.plan when the engine was built).</param>
    public static TritonEmitted Emit(TritonOptions options, string staging, ShapeRequest? engineShapes, TextWriter stdout, bool quiet, CancellationToken cancel)
    {
        var onnx = Path.Combine(staging, OptimizeRunnerFiles.Model);
        var plan = Path.Combine(staging, OptimizeRunnerFiles.Plan);
        var model = ModelReader.Read(onnx);
        var artifact = engineShapes is not null && File.Exists(plan) ? TritonArtifact.Plan : TritonArtifact.Onnx;
        var described = TritonModel.FromModel(model);
        var config = TritonConfigBuilder.Build(options.Name, described, artifact, Batching(options), artifact == TritonArtifact.Plan ? PlanBatch(model, engineShapes) : null);
        IReadOnlyList<(string, string)> files = artifact == TritonArtifact.Plan
            ? [(plan, "model.plan")]
            : File.Exists(onnx + ".data") ? [(onnx, "model.onnx"), (onnx + ".data", "model.onnx.data")] : [(onnx, "model.onnx")];
        var emitted = TritonRepository.Emit(options.Repository, config, files, (folder, readBack) =>
        {
            // The text as Triton will read it must be the config built, and pass Triton's load-time checks.
            if (!readBack.Equals(config)) throw new InvalidOperationException($"config.pbtxt in '{folder}' does not read back as the config written");
            if (TritonConfigCheck.Check(readBack, Path.GetFileName(folder), artifact, described) is { Count: > 0 } problems)
                throw new InvalidOperationException($"config.pbtxt in '{folder}' would not load in Triton: {string.Join("; ", problems)}");
        }, cancel);
        var manifest = Manifest.LoadOrCreate(staging);
        var section = new JsonObject
        {
            ["repository"] = Path.GetFullPath(options.Repository),
            ["name"] = config.Name,
            ["version"] = emitted.Version,
            ["platform"] = config.Platform,
            ["maxBatchSize"] = config.MaxBatchSize,
            ["preferredBatchSize"] = config.DynamicBatching?.PreferredBatchSize.FirstOrDefault() is > 0 and var p ? p : null,
            ["maxQueueDelayMicroseconds"] = config.DynamicBatching is { MaxQueueDelayMicroseconds: > 0 and var d } ? d : null,
            ["precisionMode"] = artifact == TritonArtifact.Onnx ? TritonConfigBuilder.PrecisionMode(described.Precision) : null,
            ["config"] = emitted.ConfigPath,
            ["files"] = new JsonArray(emitted.Files.Select(f => (JsonNode)new JsonObject { ["path"] = f, ["sha256"] = Onnx.IO.FileHash.Sha256(f) }).ToArray()),
        };
        foreach (var unset in section.Where(p => p.Value is null).Select(p => p.Key).ToList()) section.Remove(unset);
        manifest.SetSection("triton", section);
        manifest.Save();
        if (!quiet) stdout.WriteLine(Summary(config, emitted));
        return emitted;
    }

    public static string Summary(ModelConfig config, TritonEmitted emitted)
    {
        var batching = config.MaxBatchSize == 0 ? "max_batch_size 0 (no batch axis)"
            : $"max_batch_size {config.MaxBatchSize}" +
              (config.DynamicBatching?.PreferredBatchSize.Count > 0 ? $", preferred batch {config.DynamicBatching.PreferredBatchSize[0]}" : "") +
              (config.DynamicBatching?.MaxQueueDelayMicroseconds > 0 ? $", queue delay {config.DynamicBatching.MaxQueueDelayMicroseconds} us" : "");
        return string.Create(CultureInfo.InvariantCulture,
            $"triton: {emitted.ModelFolder} version {emitted.Version} ({config.Platform}, {batching}){(emitted.ReplacedConfig ? "; config.pbtxt replaced for the new version" : "")}");
    }

    private static TritonBatching Batching(TritonOptions options)
    {
        var fromSearch = options.BatchReport is { } report ? TritonBatchReport.Read(report) : new TritonBatching();
        // A batch size given is the one to prefer too; with a search, its choice is (max_batch_size may be larger).
        return fromSearch with
        {
            MaxBatch = options.MaxBatch ?? fromSearch.Preferred,
            Preferred = fromSearch.Preferred ?? options.MaxBatch,
            Source = fromSearch.Source ?? "--triton-max-batch",
        };
    }

    /// <summary>The batch range of the engine's optimization profile (first dims), when the model has a batch axis.</summary>
    private static (long Min, long Max)? PlanBatch(Model model, ShapeRequest? shapes)
    {
        if (shapes is null || !TritonModel.FromModel(model).HasBatchAxis) return null;
        var profile = ShapeProfile.Resolve(ModelFactsReader.FromModel(model), shapes, new List<string>());
        if (profile.Count == 0 || profile.Any(p => p.Min.Length == 0)) return null;
        return (profile.Max(p => p.Min[0]), profile.Min(p => p.Max[0]));
    }
}

/// <summary>The names of OUT's model and engine files.</summary>
internal static class OptimizeRunnerFiles
{
    public const string Model = Pipeline.OptimizeRunner.ModelFileName;
    public const string Plan = TensorRt.Engines.EngineBuilder.EngineFile;
}
