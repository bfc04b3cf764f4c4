using Optimizer.Onnx.IR;

namespace Optimizer.Passes.Precision;

/// <summary>
/// The operator facts the half-precision conversion relies on: which ops stay float32 by default and why, which
/// inputs and outputs are float32 by the ONNX specification whatever the data's type, and which inputs take any type.
/// </summary>
public static class HalfPrecisionOps
{
    private const string Random = "a random generator: ONNX Runtime has no half kernel for it, and its sequence would change";
    private const string SignalOutput = "its output type is set by an attribute and its values are few: it is cast once where it meets half data";

    /// <summary>Ops kept float32 in both float16 and bfloat16, each with the reason.</summary>
    public static IReadOnlyDictionary<string, string> BlockedForBoth { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["NonMaxSuppression"] = "box coordinates and IoU thresholds need float32 precision, and ONNX Runtime's kernel is float32 only",
        ["TopK"] = "values that round to the same half would tie and change the order and indices it returns",
        ["RoiAlign"] = "box coordinates above 2048 lose whole pixels in half",
        ["Range"] = "start + i*delta in half skips integers above 2048, so the element count can change",
        ["CumSum"] = "a running sum over a whole axis outgrows half's precision and range",
        ["RandomNormal"] = Random,
        ["RandomUniform"] = Random,
        ["RandomNormalLike"] = Random,
        ["RandomUniformLike"] = Random,
        ["Multinomial"] = Random,
        ["Bernoulli"] = Random,
        ["Upsample"] = "deprecated; its scales input must stay float32 and ONNX Runtime has no half kernel",
        ["QuantizeLinear"] = "part of a quantized (Q/DQ) graph: scales and zero points keep their types",
        ["DequantizeLinear"] = "part of a quantized (Q/DQ) graph: scales and zero points keep their types",
        ["DynamicQuantizeLinear"] = "part of a quantized graph: it computes float32 scales",
        ["Celu"] = "its specification allows float32 only",
        ["TfIdfVectorizer"] = "its output is float32 by its specification",
        ["MeanVarianceNormalization"] = "ONNX Runtime expands it as a function whose constants are float32, which clash with half inputs",
        ["EyeLike"] = "ONNX Runtime's CPU provider has no float16 kernel for it; it writes only 0 and 1, so one Cast after it is exact",
        ["QLinearConv"] = "part of a quantized graph: its scales are float32 by its specification",
        ["QLinearMatMul"] = "part of a quantized graph: its scales are float32 by its specification",
        ["STFT"] = "a long sum of products per frame: float32 accumulation",
        ["MelWeightMatrix"] = SignalOutput,
        ["HannWindow"] = SignalOutput,
        ["HammingWindow"] = SignalOutput,
        ["BlackmanWindow"] = SignalOutput,
    };

    /// <summary>
    /// Ops kept float32 only in bfloat16: none beyond <see cref="BlockedForBoth"/> (and IsNaN before opset 20, see
    /// <see cref="BlockReason"/>). The list is empty on purpose: ONNX Runtime 1.31's CPU provider has bfloat16 kernels
    /// for almost nothing (it refuses bfloat16 Conv-22, Pad-21, Sub-14, ... and, unlike for float16, inserts no casts),
    /// so a list of "what ONNX Runtime's CPU lacks" would keep every op float32. bfloat16 output is for GPUs
    /// (TensorRT, CUDA), where the model's types decide the precision; SharedModelBFloat16Tests records what the CPU
    /// provider refuses.
    /// </summary>
    public static IReadOnlyDictionary<string, string> BlockedForBFloat16 { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Reductions: kept float32 when they sum over many elements (or an unknown number of them).</summary>
    public static IReadOnlySet<string> Reductions { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "ReduceSum", "ReduceMean", "ReduceSumSquare", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceProd",
        "GlobalAveragePool", "GlobalLpPool",
    };

    /// <summary>Control flow: the node keeps a float32 interface and its bodies are converted inside, with casts at their borders.</summary>
    public static IReadOnlySet<string> ControlFlow { get; } = new HashSet<string>(StringComparer.Ordinal) { "If", "Loop", "Scan", "SequenceMap" };

    /// <summary>The reason <paramref name="node"/> stays float32 by default for <paramref name="target"/>, or null.</summary>
    public static string? BlockReason(Node node, long opset, ElementType target) =>
        BlockedForBoth.GetValueOrDefault(node.OpType)
        ?? (target == ElementType.BFloat16 ? BlockedForBFloat16.GetValueOrDefault(node.OpType) : null)
        ?? node.OpType switch
        {
            "IsInf" when opset < 20 => "float16 inputs need IsInf-20 (the model imports opset " + opset + ")",
            "IsNaN" when opset < 20 && target == ElementType.BFloat16 => "bfloat16 inputs need IsNaN-20",
            "ScatterND" or "ScatterElements" when node.GetAttribute("reduction") is { } r && r.String != "none" =>
                "a scatter that accumulates (reduction '" + node.GetAttribute("reduction")!.String + "'): ONNX Runtime's CPU kernel has no half form, and sums outgrow half",
            _ => null,
        };

    /// <summary>
    /// The first opset whose Cast takes its target type as a number: before opset 6, Cast's <c>to</c> is a string and
    /// ONNX Runtime has no kernel for that Cast, so older models are left as they are (upgrade them with --opset).
    /// </summary>
    public const long MinimumOpset = 6;

    /// <summary>Inputs that are float32 by the specification whatever the data's type: Resize's roi and scales.</summary>
    public static bool IsFloat32Input(Node node, int index) => node.OpType switch
    {
        "Resize" => index is 1 or 2,
        _ => false,
    };

    /// <summary>Outputs that stay float32: LayerNormalization's mean and inverse standard deviation (type U, float32 by stash_type).</summary>
    public static bool IsFloat32Output(Node node, int index) => node.OpType switch
    {
        "LayerNormalization" => index is 1 or 2,
        _ => false,
    };

    /// <summary>Inputs of any type, whose type does not decide the output's: Shape, Size, the input of Cast and CastLike.</summary>
    public static bool TakesAnyType(Node node, int index) => index == 0 && node.OpType is "Shape" or "Size" or "Cast" or "CastLike";
}
