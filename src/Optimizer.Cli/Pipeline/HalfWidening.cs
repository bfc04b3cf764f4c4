using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;
using Optimizer.Passes.Precision;

namespace Optimizer.Cli.Pipeline;

/// <summary>
/// A model that computes in half precision (float16 or bfloat16 weights) is widened to float32 before INT8
/// (<see cref="QuantizationStep.Prepare"/>) and before pruning (<see cref="PruningBudget"/>): both measure and change
/// float32 weights only, and would otherwise find nothing to quantize or prune. A note says so, and a model widened from
/// float16 records it in its metadata (<see cref="TensorRt.Flags.ModelFacts.WidenedFromKey"/>), so that an engine built
/// from its Q/DQ form runs the layers left out of INT8 in FP16, as the input did.
/// </summary>
public static class HalfWidening
{
    /// <summary>Widens <paramref name="model"/> when it computes in half precision; the note ends with <paramref name="then"/>(its type).</summary>
    public static IReadOnlyList<PassRecord> Run(Model model, PassContext context, TextWriter stderr, Func<string, string> then)
    {
        if (WidenHalfPrecision.HalfWeightedNodes(model) is not { Count: > 0 } half) return [];
        var type = half[0].Input(1)!.ElementType;
        var name = type.ToString().ToLowerInvariant();
        stderr.WriteLine($"note: the model computes in half precision ({half.Count} Conv/MatMul/Gemm with {name} weights): " +
                         $"widened to float32 first (its weights exactly, its inputs and outputs keep their types), {then(name)}");
        var records = PassRunner.Run(model, WidenHalfPrecision.WithCleanup(), context);
        if (type == ElementType.Float16 && !model.Metadata.Any(kv => kv.Key == TensorRt.Flags.ModelFacts.WidenedFromKey))
            model.Metadata.Add(new(TensorRt.Flags.ModelFacts.WidenedFromKey, "float16"));
        return records;
    }

    /// <summary>Before pruning: what becomes of the widened model, as the note says it.</summary>
    public static IReadOnlyList<PassRecord> ForPruning(Model model, OptimizeOptions options, PassContext context, TextWriter stderr) =>
        Run(model, context, stderr, type => "then pruned; " + options.Quantize switch
        {
            null => $"the model written is float32 (--quantize {(type == "bfloat16" ? "bf16" : "fp16")} in the same command converts it back)",
            { Half: { } h } => $"--quantize {h.Name} then converts it back",
            _ => "then quantized",
        });
}
