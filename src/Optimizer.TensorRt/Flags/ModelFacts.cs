namespace Optimizer.TensorRt.Flags;

/// <summary>One dimension of a model input: a fixed size, or a dynamic one (named by <see cref="Param"/> if it has a name).</summary>
public sealed record DimFact(long? Value, string? Param = null)
{
    public bool IsDynamic => Value is null;
    public override string ToString() => Value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? Param ?? "?";
}

/// <summary>A true input of the model (not an initializer) and its dims.</summary>
public sealed record InputFact(string Name, IReadOnlyList<DimFact> Dims)
{
    public bool IsDynamic => Dims.Any(d => d.IsDynamic);
}

/// <summary>
/// What the engine build needs to know about the ONNX model: its inputs, whether it carries Q/DQ (explicit
/// quantization) or FP16 tensors, and which compute nodes are quantized (a DequantizeLinear feeds them), so the
/// build can check that they ran in INT8.
/// </summary>
public sealed record ModelFacts(IReadOnlyList<InputFact> Inputs, bool IsQdq, bool IsFp16, IReadOnlyList<string> QuantizedNodes)
{
    public bool HasDynamicInputs => Inputs.Any(i => i.IsDynamic);

    /// <summary>Whether it carries bfloat16 tensors (a --quantize bf16 model).</summary>
    public bool IsBf16 { get; init; }

    /// <summary>
    /// The metadata key the pipeline writes into a model it widened from float16 (before INT8 or pruning), so that an
    /// engine built from its Q/DQ form later (in the same command or by <c>optimize engine</c>) knows its float layers
    /// computed in FP16.
    /// </summary>
    public const string WidenedFromKey = "optimizer.widened_from";

    /// <summary>A Q/DQ model quantized from a float16 one (<see cref="WidenedFromKey"/>): its float layers ran in FP16.</summary>
    public bool WidenedFromHalf { get; init; }

    /// <summary>
    /// INT8 nodes TensorRT refuses: QuantizeLinear/DequantizeLinear with a uint8 (or defaulted uint8) zero point, and the
    /// integer ops of dynamic INT8 (DynamicQuantizeLinear, MatMulInteger, ConvInteger): the layout ONNX Runtime's CPU
    /// provider runs, which TensorRT's parser rejects ("TensorRT only supports symmetric quantization").
    /// </summary>
    public IReadOnlyList<string> CpuInt8Ops { get; init; } = [];
}
