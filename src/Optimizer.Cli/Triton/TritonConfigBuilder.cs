using Inference;
using Optimizer.Onnx.Errors;

namespace Optimizer.Cli.Triton;

/// <summary>What Triton serves from the version folder: the ONNX model (ONNX Runtime backend) or a TensorRT plan.</summary>
public enum TritonArtifact { Onnx, Plan }

/// <summary>
/// The batching asked for: <c>--triton-max-batch</c>, and the batch size and queue delay the latency-budget search of
/// <c>optimize bench --batch auto --max-p95</c> chose (from its report.json), with where it came from.
/// </summary>
public sealed record TritonBatching(int? MaxBatch = null, int? Preferred = null, ulong? QueueDelayMicroseconds = null, string? Source = null);

/// <summary>
/// Builds the <c>ModelConfig</c> of one model folder. Every field it sets is one of Triton's own message (compiled from
/// model_config.proto), so a misspelt field cannot be written.
/// </summary>
public static class TritonConfigBuilder
{
    /// <summary>max_batch_size for a model with a batch axis when nothing chose one (Triton's ONNX Runtime backend defaults to 4 when it fills a config in itself).</summary>
    public const int DefaultMaxBatch = 8;

    /// <param name="planBatch">For a plan: the smallest and largest batch of the engine's optimization profile.</param>
    public static ModelConfig Build(string name, TritonModel model, TritonArtifact artifact, TritonBatching batching, (long Min, long Max)? planBatch = null)
    {
        foreach (var tensor in model.Inputs.Concat(model.Outputs))
        {
            if (tensor.Dims is null)
                throw new InvalidInputException($"--emit triton: the model does not give the rank of '{tensor.Name}', and Triton's config needs its dims; fix the input shapes (--shapes) or give the output a shape");
            if (TritonDataTypes.Of(tensor.Type) is null)
                throw new InvalidInputException($"--emit triton: '{tensor.Name}' is {tensor.Type}, which Triton has no data type for");
            // Triton's config validation (ValidateIOShape) wants non-empty dims, and refuses the empty reshape that would
            // present [1] as [] in a model without batching; a scalar cannot have a batch axis either
            if (tensor.Dims.Count == 0)
                throw new InvalidInputException($"--emit triton: '{tensor.Name}' is a scalar (rank 0), which Triton's model configuration cannot declare " +
                    "(dims must not be empty, and a model without batching may not reshape [1] to []); Triton cannot serve the model as it is: " +
                    "export it with that tensor as shape [1]");
        }
        var maxBatch = MaxBatch(model, artifact, batching, planBatch);
        var config = new ModelConfig
        {
            Name = name,
            Platform = artifact == TritonArtifact.Plan ? "tensorrt_plan" : "onnxruntime_onnx",
            MaxBatchSize = maxBatch,
        };
        var skip = maxBatch > 0 ? 1 : 0;
        config.Input.AddRange(model.Inputs.Select(t => new ModelInput { Name = t.Name, DataType = TritonDataTypes.Of(t.Type)!.Value, Dims = { Dims(t, skip) } }));
        config.Output.AddRange(model.Outputs.Select(t => new ModelOutput { Name = t.Name, DataType = TritonDataTypes.Of(t.Type)!.Value, Dims = { Dims(t, skip) } }));
        if (maxBatch > 0)
        {
            config.DynamicBatching = new ModelDynamicBatching();
            if (batching.Preferred is { } preferred) config.DynamicBatching.PreferredBatchSize.Add(Math.Min(preferred, maxBatch));
            if (batching.QueueDelayMicroseconds is { } delay) config.DynamicBatching.MaxQueueDelayMicroseconds = delay;
        }
        config.InstanceGroup.Add(new ModelInstanceGroup
        {
            Kind = artifact == TritonArtifact.Plan ? ModelInstanceGroup.Types.Kind.Gpu : ModelInstanceGroup.Types.Kind.Cpu,
            Count = 1,
        });
        if (artifact == TritonArtifact.Onnx)
        {
            // Used when the instance group is moved to a GPU: ONNX Runtime's TensorRT provider, in the precision the model
            // was made for (INT8 for Q/DQ models: their scales are in the graph, so no calibration table).
            var tensorRt = new ModelOptimizationPolicy.Types.ExecutionAccelerators.Types.Accelerator { Name = "tensorrt" };
            tensorRt.Parameters.Add("precision_mode", PrecisionMode(model.Precision));
            config.Optimization = new ModelOptimizationPolicy { ExecutionAccelerators = new() { GpuExecutionAccelerator = { tensorRt } } };
        }
        return config;
    }

    public static string PrecisionMode(TritonPrecision precision) => precision switch
    {
        TritonPrecision.Int8 => "INT8",
        TritonPrecision.Fp16 => "FP16",
        _ => "FP32",
    };

    private static int MaxBatch(TritonModel model, TritonArtifact artifact, TritonBatching batching, (long Min, long Max)? planBatch)
    {
        var asked = batching.MaxBatch ?? batching.Preferred;
        if (!model.HasBatchAxis)
        {
            if (asked is not null)
            {
                var fixedTensor = model.Inputs.Concat(model.Outputs).First(t => !t.HasDynamicFirstDim);
                throw new InvalidInputException($"--emit triton: {Asked(batching)} asks for batching, but the model has no batch axis " +
                    $"('{fixedTensor.Name}' has first dim {(fixedTensor.Dims!.Count == 0 ? "none (a scalar)" : fixedTensor.Dims[0]!.Value)}); " +
                    "leave it out (max_batch_size 0) or export the model with a dynamic first dim");
            }
            return 0;
        }
        if (batching is { MaxBatch: { } max, Preferred: { } chosen } && chosen > max)
            throw new InvalidInputException($"--triton-max-batch {max} is below the batch size {chosen} that {batching.Source} chose; raise it or leave it out");
        if (artifact == TritonArtifact.Plan && planBatch is { } profile)
        {
            // The engine runs only the batch sizes of its profile; Triton sends any size from 1 to max_batch_size.
            if (profile.Min > 1)
            {
                if (asked is not null)
                    throw new InvalidInputException($"--emit triton: the engine's profile starts at batch {profile.Min}, so Triton cannot send it smaller batches; " +
                        "build it with --engine-min-shapes at batch 1 to batch with Triton");
                return 0;
            }
            if (asked > profile.Max)
                throw new InvalidInputException($"--emit triton: {Asked(batching)} is above the engine's largest batch {profile.Max}; build it with --engine-max-shapes at that batch");
            return asked ?? (int)Math.Min(profile.Max, int.MaxValue);
        }
        return asked ?? DefaultMaxBatch;
    }

    private static string Asked(TritonBatching batching) =>
        batching.MaxBatch is { } max ? $"--triton-max-batch {max}" : $"the batch size {batching.Preferred} from {batching.Source}";

    /// <summary>The dims Triton is given: without the batch axis when it batches, -1 for a dynamic dim.</summary>
    private static IEnumerable<long> Dims(TritonTensor tensor, int skip) => tensor.Dims!.Skip(skip).Select(d => d ?? -1);
}
