using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;
using Optimizer.Passes.Precision;

namespace Optimizer.Cli.Pipeline;

/// <summary>
/// A model that computes in half precision (float16 or bfloat16 weights) is widened to float32 before pruning, as
/// <see cref="QuantizationStep.Prepare"/> widens it before INT8: the pruning passes measure and cut float32 weights
/// only, and would otherwise find nothing to prune. The note says that the model written is then float32.
/// </summary>
public static class PruningWidening
{
    public static IReadOnlyList<PassRecord> Run(Model model, OptimizeOptions options, PassContext context, TextWriter stderr)
    {
        if (WidenHalfPrecision.HalfWeightedNodes(model) is not { Count: > 0 } half) return [];
        var type = half[0].Input(1)!.ElementType.ToString().ToLowerInvariant();
        var then = options.Quantize switch
        {
            null => $"the model written is float32 (--quantize {(type == "bfloat16" ? "bf16" : "fp16")} in the same command converts it back)",
            { Half: { } h } => $"--quantize {h.Name} then converts it back",
            _ => "then quantized",
        };
        stderr.WriteLine($"note: the model computes in half precision ({half.Count} Conv/MatMul/Gemm with {type} weights): " +
                         $"widened to float32 first (its weights exactly, its inputs and outputs keep their types), then pruned; {then}");
        return PassRunner.Run(model, WidenHalfPrecision.WithCleanup(), context);
    }
}
