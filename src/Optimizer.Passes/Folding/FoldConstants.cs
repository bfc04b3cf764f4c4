using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Folding;

/// <summary>
/// Replaces every node whose inputs are all constant by initializers holding its outputs, evaluated exactly by
/// ONNX Runtime; Shape and Size of a value whose shape is known become constants too, so the Shape→Gather→Concat
/// chains exporters emit fold once shapes are inferred, as do shape computations whose every element inference
/// knows (a Gather of a static dim of a dynamic shape). One sweep in graph order folds whole chains. A result that
/// would grow the model is declined above a size limit, and above 1 KiB when no pass needs it as a constant
/// (see <see cref="JoinedToData"/>).
/// </summary>
public sealed class FoldConstants : IPass
{
    /// <summary>Ops never folded: random (a fresh draw per run), control flow, and quantization (kept for TensorRT).</summary>
    private static readonly HashSet<string> Excluded =
    [
        "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli",
        "If", "Loop", "Scan", "Constant", "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear",
    ];

    public string Name => "fold-constants";

    public string Description => "Evaluates nodes whose inputs are all constant (and Shape/Size of known shapes) with ONNX Runtime.";

    public PassKind Kind => PassKind.Folding;

    public PassResult Run(Model model, PassContext context)
    {
        var rewrites = 0;
        foreach (var graph in model.Graph.AllGraphs().ToList())
        {
            var joined = new JoinedToData(graph);
            foreach (var node in graph.Nodes.ToList())
            {
                context.Cancellation.ThrowIfCancellationRequested();
                if (node.Graph != graph || !node.IsDefaultDomain || Excluded.Contains(node.OpType) || node.Subgraphs.Any()) continue;
                var values = ShapeOf(node, context) ?? KnownShapeValues(node, context) ?? Evaluate(node, model, context, joined);
                if (values is null) continue;
                if (ConstantReplacement.WhyNot(node) is { } why)
                {
                    context.Decline(node, why);
                    continue;
                }
                rewrites += context.Step("folded to a constant", node);
                ConstantReplacement.Replace(node, values);
            }
        }
        return PassResult.FromRewrites(rewrites);
    }

    // Shape(x) => [d0, d1, ...] when x's shape is static; Size(x) => d0*d1*...
    private static IReadOnlyList<Tensor?>? ShapeOf(Node node, PassContext context)
    {
        if (node.OpType is not ("Shape" or "Size") || Patterns.StaticShape(node.Input(0)) is not { } dims) return null;
        if (node.OpType == "Size")
        {
            if (ElementCounts.TryProduct(dims) is { } size) return [Tensor.Scalar("size", size)];
            context.Decline(node, $"the element count of [{string.Join(",", dims)}] does not fit in 64 bits");
            return null;
        }
        var rank = dims.Length;
        var start = Clamp(node.GetInt("start", 0), rank);
        var end = Clamp(node.GetInt("end", rank), rank);
        var slice = dims[start..Math.Max(start, end)];
        return [Tensor.FromArray("shape", slice, slice.Length)];
    }

    // n = Gather(Shape(x), 2) where x is [batch, seq, 256] => n = 256: a shape computation whose every element
    // shape inference knows as a number, although its inputs are not all constant.
    private static IReadOnlyList<Tensor?>? KnownShapeValues(Node node, PassContext context)
    {
        if (context.Shapes is not { } shapes || node.Outputs.Count != 1 || node.Outputs[0] is not { } output) return null;
        if (node.Inputs.All(i => i is null || i.GetConstant() is not null)) return null; // ONNX Runtime evaluates those exactly
        var type = shapes.GetElementType(output);
        if (type is not (ElementType.Int64 or ElementType.Int32) || !shapes.TryGetSymbolicValue(output, out var elements)) return null;
        if (!shapes.TryGetShape(output, out var shape) || shape.Count > 1) return null;
        var values = elements.Select(e => e.ConstantValue).ToArray();
        if (values.Any(v => v is null)) return null;
        var longs = values.Select(v => v!.Value).ToArray();
        var dims = shape.Count == 0 ? Array.Empty<long>() : [longs.Length];
        return [type == ElementType.Int64
            ? Tensor.FromArray("value", longs, dims)
            : Tensor.FromArray("value", longs.Select(v => checked((int)v)).ToArray(), dims)];
    }

    private static int Clamp(long axis, int rank) => (int)Math.Clamp(axis < 0 ? axis + rank : axis, 0, rank);

    private static IReadOnlyList<Tensor?>? Evaluate(Node node, Model model, PassContext context, JoinedToData joined)
    {
        if (node.Inputs.All(i => i is null)) return null;
        var inputs = node.Inputs.Select(i => i?.GetConstant()).ToList();
        for (var i = 0; i < inputs.Count; i++)
            if (node.Inputs[i] is not null && inputs[i] is null) return null;
        if (inputs.Any(t => t is { ElementType: ElementType.String })) return Declined(node, context, "string tensors are not folded");
        var (outputs, failure) = context.Evaluator.Evaluate(node, inputs, model);
        if (outputs is null) return Declined(node, context, failure!);
        var inBytes = inputs.Sum(t => t?.ByteCount ?? 0);
        var outBytes = outputs.Sum(t => t?.ByteCount ?? 0);
        if (outBytes > context.Options.FoldSizeLimitBytes && outBytes > inBytes)
            return Declined(node, context, $"the result ({outBytes} bytes) would exceed the size limit of {context.Options.FoldSizeLimitBytes} bytes");
        if (outBytes > context.Options.UnneededFoldLimitBytes && outBytes > inBytes && joined.OnlyJoinedToData(node))
            return Declined(node, context, $"the result ({outBytes} bytes from {inBytes}) is only joined to run-time data by Concat, where no pass needs it as a constant: folding would only grow the model");
        return outputs;
    }

    private static IReadOnlyList<Tensor?>? Declined(Node node, PassContext context, string reason)
    {
        context.Decline(node, reason);
        return null;
    }
}
