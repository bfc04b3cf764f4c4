using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Pruning;

/// <summary>One Conv/ConvTranspose/Gemm/MatMul with a constant weight: its output channels, parameters and FLOPs.</summary>
public sealed record LayerCost(string Name, string OpType, long Channels, long Parameters, long Flops);

/// <summary>
/// What the layers with constant weights cost: parameters (weight and bias elements) and FLOPs (2 per multiply-add)
/// for one sample, symbolic dimensions other than the batch counted as 1 (so per token for sequence models). Needs
/// the output shapes (shape inference) for FLOPs; a layer whose output shape is unknown counts 0 FLOPs.
/// </summary>
public static class LayerCosts
{
    public static IReadOnlyList<LayerCost> Of(Model model)
    {
        var result = new List<LayerCost>();
        foreach (var node in model.Graph.Nodes)
        {
            if (node.OpType is not ("Conv" or "ConvTranspose" or "Gemm" or "MatMul") || !node.IsDefaultDomain) continue;
            if (Patterns.Constant(node.Input(1)) is not { ElementType: ElementType.Float } w) continue;
            var bias = node.OpType == "MatMul" ? 0 : Patterns.Constant(node.Input(2))?.ElementCount ?? 0;
            var dims = w.Dims.ToArray();
            var (channels, perOutput) = node.OpType switch
            {
                "Conv" => (dims[0], dims.Skip(1).Aggregate(1L, (a, b) => a * b)),
                "ConvTranspose" => (dims[1] * node.GetInt("group", 1), dims.Skip(1).Aggregate(1L, (a, b) => a * b)),
                "Gemm" => node.GetInt("transB", 0) == 1 ? (dims[0], dims.Length > 1 ? dims[1] : 1) : (dims.Length > 1 ? dims[1] : 1, dims[0]),
                _ => (dims.Length > 1 ? dims[1] : 1, dims[0]),
            };
            long flops = 0;
            if (node.OpType == "ConvTranspose")
            {
                // Each input element is multiplied by a kernel of (C_out/group · k…) weights.
                if (PerSample(node.Input(0)) is { } input) flops = 2 * input * perOutput;
            }
            else if (PerSample(node.Outputs.Count > 0 ? node.Outputs[0] : null) is { } output) flops = 2 * output * perOutput;
            result.Add(new LayerCost(node.Name, node.OpType, channels, w.ElementCount + bias, flops));
        }
        return result;
    }

    /// <summary>The elements of one sample of <paramref name="value"/>: its dims after the first, unknown ones as 1.</summary>
    private static long? PerSample(Value? value)
    {
        if (value?.Shape is not { Rank: > 0 } shape) return null;
        var dims = shape.Rank == 1 ? shape.Dims : shape.Dims.Skip(1);
        return dims.Aggregate(1L, (a, d) => a * (d.Value ?? 1));
    }

    /// <summary>Every float parameter of the main graph (initializers), the figure a report's "parameters" means.</summary>
    public static long Parameters(Model model) =>
        model.Graph.Initializers.Where(v => v.Initializer!.ElementType.IsFloatingPoint()).Sum(v => v.Initializer!.ElementCount);
}
