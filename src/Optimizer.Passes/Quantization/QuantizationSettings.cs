namespace Optimizer.Passes.Quantization;

/// <summary>The runtime a quantized model is laid out for: the two want different graphs.</summary>
public enum QuantizationTarget
{
    /// <summary>ONNX Runtime's CPU provider: uint8 asymmetric activations in the Q/DQ layout it fuses into QLinear* kernels.</summary>
    Cpu,
    /// <summary>TensorRT: int8 symmetric everything (zero point 0), per-channel weights on axis 0, per-tensor activations.</summary>
    TensorRt,
}

/// <summary>The real range [Min, Max] a tensor was observed to take on the calibration data.</summary>
public readonly record struct ValueRange(float Min, float Max)
{
    public float AbsMax => Math.Max(Math.Abs(Min), Math.Abs(Max));

    /// <summary>No calibration sample computed the tensor (an If branch not taken): the range is no range, and it stays float.</summary>
    public bool Unobserved { get; init; }
}

/// <summary>What the quantization passes are asked to do. Built once by the caller; never changed.</summary>
public sealed record QuantizationSettings
{
    public QuantizationTarget Target { get; init; } = QuantizationTarget.Cpu;

    /// <summary>One weight scale per tensor instead of one per output channel (<c>--per-tensor</c>).</summary>
    public bool PerTensorWeights { get; init; }

    /// <summary>Node names or op types never quantized (<c>--exclude</c>).</summary>
    public IReadOnlySet<string> Exclude { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Nodes kept in float by name (the accuracy budget returns the most sensitive ones to float).</summary>
    public IReadOnlySet<string> KeepFloat { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Calibrated ranges of activations by value name (static quantization; null for dynamic).</summary>
    public IReadOnlyDictionary<string, ValueRange>? Ranges { get; init; }

    /// <summary>Whether <paramref name="node"/> is excluded by name or op type, or kept in float by the budget.</summary>
    public bool IsExcluded(Onnx.IR.Node node) =>
        Exclude.Contains(node.OpType) || (node.Name.Length > 0 && (Exclude.Contains(node.Name) || KeepFloat.Contains(node.Name)));
}
