using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Quantization;

/// <summary>
/// Dynamic INT8 quantization: constant weights become int8 ahead of time, activations are quantized at run time
/// (DynamicQuantizeLinear), all in standard ONNX that ONNX Runtime's CPU provider fuses into its integer kernels.
/// MatMul and Gemm with a constant weight (<see cref="DynamicMatMul"/>) and Gather from a constant table
/// (<see cref="DynamicGather"/>) are quantized, in every graph (If/Loop/Scan bodies included); Conv and the
/// recurrent ops stay float, each for the reason its decline gives.
/// </summary>
public sealed class DynamicQuantization(QuantizationSettings settings) : IPass
{
    /// <summary>DynamicQuantizeLinear and MatMulInteger appeared in opset 10.</summary>
    public const long MinOpset = 10;

    // Measured on squeezenet1_1 (ONNX Runtime 1.31.1, CPU, ORT_ENABLE_ALL, batch 1, one thread): float 3.5 ms; with
    // its 26 Conv as DynamicQuantizeLinear + ConvInteger (int8 weights, per-channel scales) + Cast + Mul + Add, 21.9 ms.
    // ONNX Runtime fuses none of these (the Cast, Mul and Add run over whole feature maps, and the float graph loses
    // its NCHWc Conv with fused bias and Relu). Conv is therefore left float.
    internal const string ConvReason =
        "Conv stays float: ConvInteger has no fused kernel in ONNX Runtime's CPU provider and measured slower than float Conv";

    internal const string RecurrentReason =
        "DynamicQuantizeLSTM is a com.microsoft op; only standard ONNX is written, and LSTM/GRU/RNN have no standard integer form";

    private readonly DynamicMatMul _matMul = new(settings);
    private readonly DynamicGather _gather = new(settings);
    private readonly List<(Node Node, string Reason)> _left = [];

    /// <summary>The MatMul, Gemm, Gather, Conv and recurrent nodes the last run left in float, with the reason of each.</summary>
    public IReadOnlyList<(Node Node, string Reason)> LeftInFloat => _left;

    public string Name => "quantize-dynamic";

    public string Description => "Dynamic INT8: int8 weights of MatMul/Gemm and embedding tables, activations quantized at run time.";

    // PassKind.Quantization is coming with the static quantization pass; Fusion until then.
    public PassKind Kind => PassKind.Fusion;

    public PassResult Run(Model model, PassContext context)
    {
        var opset = Patterns.Opset(model);
        if (opset < MinOpset)
            throw new InvalidOperationException($"dynamic quantization needs opset {MinOpset} (DynamicQuantizeLinear, MatMulInteger); the model has opset {opset}: upgrade it first");
        var activations = new DynamicActivations();
        var rewrites = 0;
        _left.Clear();
        foreach (var graph in model.Graph.AllGraphs().ToList())
            foreach (var node in graph.Nodes.ToList())
            {
                context.Cancellation.ThrowIfCancellationRequested();
                if (node.Graph != graph || !node.IsDefaultDomain) continue;
                switch (node.OpType)
                {
                    case "MatMul" or "Gemm":
                        rewrites += Apply(_matMul.Check(node), node, context, m => _matMul.Rewrite(m, activations, context));
                        break;
                    case "Gather":
                        rewrites += Apply(_gather.Check(node), node, context, m => _gather.Rewrite(m, context));
                        break;
                    case "Conv":
                        Leave(node, ConvReason, context);
                        break;
                    case "LSTM" or "GRU" or "RNN":
                        Leave(node, RecurrentReason, context);
                        break;
                }
            }
        return PassResult.FromRewrites(rewrites);
    }

    private int Apply<T>(MatchResult<T> match, Node node, PassContext context, Action<T> rewrite) where T : class
    {
        if (match.Value is { } m)
        {
            rewrite(m);
            return 1;
        }
        if (match.Reason is { } reason) Leave(node, reason, context);
        return 0;
    }

    private void Leave(Node node, string reason, PassContext context)
    {
        context.Decline(node, reason);
        _left.Add((node, reason));
    }
}
