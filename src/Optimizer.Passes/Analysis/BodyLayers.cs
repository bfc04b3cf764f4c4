using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Analysis;

/// <summary>
/// The weighted layers (Conv, ConvTranspose, Gemm, MatMul with a constant weight) that lie inside If/Loop/Scan bodies:
/// the steps that work on the main graph's layers only (pruning, bias correction, GPTQ, SmoothQuant) say how many they
/// leave, so a model that keeps its layers in a branch (silero VAD v5, one branch per sample rate) is not left as it
/// was in silence.
/// </summary>
public static class BodyLayers
{
    public static IReadOnlyList<Node> Find(Model model) =>
        model.Graph.AllGraphs().Where(g => g != model.Graph)
            .SelectMany(g => g.Nodes)
            .Where(n => n is { OpType: "Conv" or "ConvTranspose" or "Gemm" or "MatMul", IsDefaultDomain: true } && Patterns.Constant(n.Input(1)) is not null)
            .ToList();
}
