using Inference;

namespace Optimizer.Cli.Triton;

/// <summary>
/// The checks Triton makes when it loads a model folder, applied to a config and the model it describes: the config's
/// name is the folder's, the platform is the file's, every model input is configured and every configured input and
/// output exists, data types match, dims agree with the model's (a fixed dim must be given as it is; -1 only where the
/// model's is dynamic) once the batch axis is taken off when max_batch_size &gt; 0 (and then every tensor must have a
/// dynamic first dim), dynamic batching only with batching and preferred sizes within max_batch_size, plans on GPUs.
/// Returns what is wrong, one line each; an empty list means Triton would accept it.
/// </summary>
public static class TritonConfigCheck
{
    public static IReadOnlyList<string> Check(ModelConfig config, string folderName, TritonArtifact artifact, TritonModel model)
    {
        var problems = new List<string>();
        if (config.Name != folderName) problems.Add($"name '{config.Name}' is not the model folder's name '{folderName}'");
        var platform = artifact == TritonArtifact.Plan ? "tensorrt_plan" : "onnxruntime_onnx";
        if (config.Platform != platform) problems.Add($"platform '{config.Platform}' does not load a {(artifact == TritonArtifact.Plan ? "model.plan" : "model.onnx")} (that is '{platform}')");
        if (config.MaxBatchSize < 0) problems.Add($"max_batch_size {config.MaxBatchSize} is negative");
        var batching = config.MaxBatchSize > 0;

        CheckNames("input", config.Input.Select(i => i.Name).ToList(), model.Inputs, everyModelTensor: true, problems);
        CheckNames("output", config.Output.Select(o => o.Name).ToList(), model.Outputs, everyModelTensor: false, problems);
        foreach (var input in config.Input)
            if (model.Inputs.FirstOrDefault(t => t.Name == input.Name) is { } tensor) CheckTensor("input", input.Name, input.DataType, input.Dims, tensor, batching, config.MaxBatchSize, problems);
        foreach (var output in config.Output)
            if (model.Outputs.FirstOrDefault(t => t.Name == output.Name) is { } tensor) CheckTensor("output", output.Name, output.DataType, output.Dims, tensor, batching, config.MaxBatchSize, problems);

        if (config.DynamicBatching is { } dynamic)
        {
            if (!batching) problems.Add("dynamic_batching is set but max_batch_size is 0 (the model does not batch)");
            foreach (var size in dynamic.PreferredBatchSize)
                if (size < 1 || batching && size > config.MaxBatchSize)
                    problems.Add($"dynamic_batching: preferred_batch_size {size} is not within 1..max_batch_size ({config.MaxBatchSize})");
        }
        foreach (var group in config.InstanceGroup)
        {
            if (group.Count < 0) problems.Add($"instance_group: count {group.Count} is negative");
            if (artifact == TritonArtifact.Plan && group.Kind is not (ModelInstanceGroup.Types.Kind.Gpu or ModelInstanceGroup.Types.Kind.Auto))
                problems.Add($"instance_group: a TensorRT plan runs on a GPU, not KIND_{group.Kind.ToString().ToUpperInvariant()}");
        }
        foreach (var accelerator in config.Optimization?.ExecutionAccelerators?.GpuExecutionAccelerator ?? [])
        {
            if (artifact == TritonArtifact.Plan) problems.Add($"gpu_execution_accelerator '{accelerator.Name}' is for the ONNX Runtime backend, not a plan");
            if (accelerator.Name == "tensorrt" && accelerator.Parameters.TryGetValue("precision_mode", out var mode) && mode is not ("FP32" or "FP16" or "INT8"))
                problems.Add($"gpu_execution_accelerator: precision_mode '{mode}' is not FP32, FP16 or INT8");
        }
        return problems;
    }

    private static void CheckNames(string kind, IReadOnlyList<string> configured, IReadOnlyList<TritonTensor> tensors, bool everyModelTensor, List<string> problems)
    {
        foreach (var duplicate in configured.GroupBy(n => n).Where(g => g.Count() > 1)) problems.Add($"{kind} '{duplicate.Key}' is configured more than once");
        var names = tensors.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var name in configured.Where(n => !names.Contains(n)))
            problems.Add($"{kind} '{name}' is not an {kind} of the model (its {kind}s: {string.Join(", ", names)})");
        if (everyModelTensor)
            foreach (var missing in tensors.Select(t => t.Name).Where(n => !configured.Contains(n)))
                problems.Add($"the model's {kind} '{missing}' is not configured");
        if (configured.Count == 0) problems.Add($"no {kind} is configured");
    }

    private static void CheckTensor(string kind, string name, DataType type, IReadOnlyList<long> dims, TritonTensor tensor, bool batching, int maxBatch, List<string> problems)
    {
        var expected = TritonDataTypes.Of(tensor.Type);
        if (expected != type) problems.Add($"{kind} '{name}': data_type {TritonDataTypes.Name(type)} does not match the model's {tensor.Type} ({(expected is { } e ? TritonDataTypes.Name(e) : "no Triton type")})");
        if (tensor.Dims is null)
        {
            problems.Add($"{kind} '{name}': the model does not give its rank");
            return;
        }
        var modelDims = tensor.Dims;
        if (batching)
        {
            if (!tensor.HasDynamicFirstDim)
            {
                problems.Add($"{kind} '{name}': max_batch_size {maxBatch} needs a dynamic first (batch) dim, but the model's is {(modelDims.Count == 0 ? "absent (a scalar)" : modelDims[0]!.Value)}");
                return;
            }
            modelDims = modelDims.Skip(1).ToList();
        }
        if (dims.Count != modelDims.Count)
        {
            problems.Add($"{kind} '{name}': dims [{string.Join(",", dims)}] have rank {dims.Count}, the model's{(batching ? " without the batch axis" : "")} [{string.Join(",", modelDims.Select(d => d ?? -1))}] rank {modelDims.Count}");
            return;
        }
        for (var i = 0; i < dims.Count; i++)
        {
            if (dims[i] is < 1 and not -1) problems.Add($"{kind} '{name}': dim {i} is {dims[i]}; a dim is at least 1, or -1 for a variable size");
            else if (modelDims[i] is { } size && dims[i] != size) problems.Add($"{kind} '{name}': dim {i} is {dims[i]} but the model's is {size}");
        }
    }
}
