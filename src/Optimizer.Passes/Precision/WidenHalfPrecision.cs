using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;
using Attribute = Optimizer.Onnx.IR.Attribute;

namespace Optimizer.Passes.Precision;

/// <summary>
/// Widens a model that computes in half precision (float16 or bfloat16) to float32, so that INT8 quantization, which
/// starts from float32, can take it: half initializers and Constant values become float32 (exactly: every half value is
/// a float32 value), Casts and ConstantOfShape that make half values make float32 ones, and every half value is typed
/// float32. The interface stays: a half graph input is cast to float32 where it enters, a half graph output is cast
/// back to half under its own name. The results move by the half-precision rounding the model no longer does.
/// </summary>
public sealed class WidenHalfPrecision : IPass
{
    public string Name => "widen-half-precision";

    public string Description => "Widens float16/bfloat16 computation to float32 (exact weights), keeping half inputs and outputs, so INT8 can quantize it.";

    public PassKind Kind => PassKind.Quantization;

    private static bool IsHalf(ElementType type) => type is ElementType.Float16 or ElementType.BFloat16;

    /// <summary>
    /// The Conv, MatMul and Gemm nodes of every graph whose weight is a float16 or bfloat16 constant: a model that
    /// computes in half precision (often float32 only at its inputs and outputs), which INT8 quantization (from float32)
    /// would leave as it is.
    /// </summary>
    public static IReadOnlyList<Node> HalfWeightedNodes(Model model) =>
        model.Graph.AllNodes().Where(n => n.IsDefaultDomain && n.OpType is "Conv" or "MatMul" or "Gemm"
                                          && Patterns.Constant(n.Input(1)) is { ElementType: var t } && IsHalf(t)).ToList();

    /// <summary>The widening with what it needs after it: types for the new values, and the Casts it left that change nothing gone.</summary>
    public static IReadOnlyList<IPass> WithCleanup() =>
        [new WidenHalfPrecision(), new Analysis.InferShapes(), new CastCleanup(), new Cleanup.EliminateDeadCode()];

    public PassResult Run(Model model, PassContext context)
    {
        var rewrites = 0;
        foreach (var graph in model.Graph.AllGraphs().ToList())
        {
            context.Cancellation.ThrowIfCancellationRequested();
            rewrites += WidenInitializers(graph, context);
            foreach (var node in graph.Nodes.ToList()) rewrites += WidenNode(node, context);
            if (graph.ParentNode is null) rewrites += KeepInterface(graph, context);
            foreach (var value in graph.DefinedValues().ToList())
                if (value.TensorType is { } t && IsHalf(t.ElementType) && !(graph.ParentNode is null && (value.IsGraphInput || value.IsGraphOutput)))
                    value.Type = t with { ElementType = ElementType.Float };
        }
        return PassResult.FromRewrites(rewrites);
    }

    private static Tensor Widened(Tensor half, string name) =>
        Tensor.FromArray(name, half.ToDoubles().Select(d => (float)d).ToArray(), half.Dims.ToArray());

    private static int WidenInitializers(Graph graph, PassContext context)
    {
        var count = 0;
        foreach (var value in graph.Initializers.ToList())
        {
            var tensor = value.Initializer!;
            if (!IsHalf(tensor.ElementType) || value.IsOverridable) continue;
            var wide = graph.AddInitializer(Widened(tensor, graph.UniqueValueName(value.Name + "_fp32")));
            var reader = value.Uses.FirstOrDefault().Node;
            Patterns.Replace(value, wide);
            graph.RemoveInitializer(value);
            wide.Name = value.Name;
            if (reader is not null) context.Step($"initializer '{wide.Name}' ({tensor.ElementType}) widened to float32", reader);
            count++;
        }
        return count;
    }

    private static int WidenNode(Node node, PassContext context)
    {
        if (!node.IsDefaultDomain) return 0;
        switch (node.OpType)
        {
            case "Constant" when node.GetTensor("value") is { } t && IsHalf(t.ElementType):
                node.SetAttribute(Attribute.FromTensor("value", Widened(t, t.Name)));
                context.Step("Constant widened to float32", node);
                return 1;
            case "ConstantOfShape" when node.GetTensor("value") is { } t && IsHalf(t.ElementType):
                node.SetAttribute(Attribute.FromTensor("value", Widened(t, t.Name)));
                context.Step("ConstantOfShape widened to float32", node);
                return 1;
            case "Cast" when node.GetInt("to", 0) is var to && IsHalf((ElementType)to):
                node.SetAttribute(Attribute.FromInt("to", (long)ElementType.Float));
                context.Step("Cast to half now casts to float32", node);
                return 1;
            default:
                return 0;
        }
    }

    /// <summary>Half graph inputs are cast to float32 where they enter; half graph outputs are cast back under their own names.</summary>
    private static int KeepInterface(Graph graph, PassContext context)
    {
        var count = 0;
        foreach (var input in graph.Inputs.ToList())
        {
            if (input.TensorType is not { } t || !IsHalf(t.ElementType) || input.IsInitializer || input.Uses.Count == 0) continue;
            var cast = new Node("Cast", [input], [graph.UniqueValueName(input.Name + "_fp32")], name: graph.UniqueNodeName(input.Name + "_widen"));
            cast.SetAttribute(Attribute.FromInt("to", (long)ElementType.Float));
            graph.InsertBefore(graph.Nodes.First(), cast);
            cast.Output().Type = t with { ElementType = ElementType.Float };
            foreach (var use in input.Uses.ToList())
                if (use.Node != cast) use.Node.SetInput(use.InputIndex, cast.Output());
            context.Step($"graph input '{input.Name}' ({t.ElementType}) cast to float32 where it enters", cast);
            count++;
        }
        for (var i = 0; i < graph.Outputs.Count; i++)
        {
            var value = graph.Outputs[i];
            if (value.TensorType is not { } t || !IsHalf(t.ElementType) || value.IsGraphInput || value.IsInitializer) continue;
            var name = value.Name;
            var cast = OutputCasts.TakeOver(graph, value, t.ElementType, "_fp32");
            value.Type = t with { ElementType = ElementType.Float };
            context.Step($"graph output '{name}' cast back to {t.ElementType}", cast);
            count++;
        }
        return count;
    }
}
