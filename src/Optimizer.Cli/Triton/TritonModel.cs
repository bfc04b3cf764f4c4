using Optimizer.Onnx.IR;
using Optimizer.TensorRt.Flags;

namespace Optimizer.Cli.Triton;

/// <summary>One input or output as Triton sees it: its name, element type and dims (null for a dynamic dim).</summary>
/// <remarks><see cref="Dims"/> is null when the model does not give the tensor's rank.</remarks>
public sealed record TritonTensor(string Name, ElementType Type, IReadOnlyList<long?>? Dims)
{
    public bool HasDynamicFirstDim => Dims is { Count: > 0 } && Dims[0] is null;
}

/// <summary>What a Triton model folder serves: the model's inputs and outputs and the precision it was made for.</summary>
public sealed record TritonModel(IReadOnlyList<TritonTensor> Inputs, IReadOnlyList<TritonTensor> Outputs, TritonPrecision Precision)
{
    /// <summary>Every input and output has a dynamic first dim: the axis Triton batches along (max_batch_size &gt; 0).</summary>
    public bool HasBatchAxis => Inputs.Count > 0 && Inputs.Concat(Outputs).All(t => t.HasDynamicFirstDim);

    /// <summary>
    /// The graph's inputs (initializers listed as inputs are not: Triton feeds only the others) and outputs. Q/DQ nodes
    /// mean INT8, FP16 inputs or weights FP16; anything else (BF16 too, which the backend's precision_mode does not
    /// name) FP32.
    /// </summary>
    public static TritonModel FromModel(Model model)
    {
        var graph = model.Graph;
        var facts = ModelFactsReader.FromModel(model);
        var precision = facts.IsQdq ? TritonPrecision.Int8 : facts.IsFp16 ? TritonPrecision.Fp16 : TritonPrecision.Fp32;
        return new TritonModel(
            graph.Inputs.Where(v => v.Initializer is null).Select(Tensor).ToList(),
            graph.Outputs.Select(Tensor).ToList(),
            precision);
    }

    private static TritonTensor Tensor(Value value) =>
        new(value.Name, value.ElementType, value.Shape?.Dims.Select(d => d.Value).ToList());
}

/// <summary>The precision the model was made for, as the ONNX Runtime backend's TensorRT <c>precision_mode</c> names it.</summary>
public enum TritonPrecision { Fp32, Fp16, Int8 }
