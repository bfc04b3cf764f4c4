using Optimizer.Onnx.IR;

namespace Optimizer.Passes.Quantization;

/// <summary>
/// The operators only a quantized model holds: Q/DQ, run-time quantization and integer kernels, standard ONNX and
/// ONNX Runtime's own (com.microsoft). A model with any of them has been through a quantizer already; quantizing it
/// again would find no float weight to quantize where they are and would quietly leave the rest as it was.
/// </summary>
public static class QuantizedOps
{
    private static readonly HashSet<string> Standard = new(StringComparer.Ordinal)
    {
        "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "QLinearConv", "QLinearMatMul", "MatMulInteger", "ConvInteger",
    };

    /// <summary>Whether <paramref name="node"/> is one of them (ONNX Runtime's: QLinear*, DynamicQuantize*, QAttention, QGemm, MatMulIntegerToFloat and the like).</summary>
    public static bool IsQuantized(Node node) => node.Domain switch
    {
        "" or "ai.onnx" => Standard.Contains(node.OpType),
        "com.microsoft" => node.OpType.StartsWith("QLinear", StringComparison.Ordinal) || node.OpType.StartsWith("DynamicQuantize", StringComparison.Ordinal)
                           || node.OpType.StartsWith("QOrdered", StringComparison.Ordinal) || node.OpType.Contains("Integer", StringComparison.Ordinal)
                           || node.OpType is "QAttention" or "QGemm" or "QEmbedLayerNormalization" or "QuantizeLinear" or "DequantizeLinear",
        _ => false,
    };

    /// <summary>The quantized operators of every graph of <paramref name="model"/> with their counts, most frequent first ("com.microsoft." before ONNX Runtime's).</summary>
    public static IReadOnlyList<(string OpType, int Count)> In(Model model) =>
        model.Graph.AllNodes().Where(IsQuantized)
            .GroupBy(n => n.Domain is "" or "ai.onnx" ? n.OpType : $"{n.Domain}.{n.OpType}")
            .Select(g => (g.Key, g.Count()))
            .OrderByDescending(p => p.Item2).ThenBy(p => p.Key, StringComparer.Ordinal)
            .ToList();
}
