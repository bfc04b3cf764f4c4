using Optimizer.Onnx.IR;

namespace Optimizer.Passes.Infrastructure;

/// <summary>Small questions and edits that patterns share: constants, single uses, bypassing a node.</summary>
public static class Patterns
{
    public static Tensor? Constant(Value? value) => value?.GetConstant();

    /// <summary>The elements of a constant float tensor, or null.</summary>
    public static float[]? ConstantFloats(Value? value) =>
        Constant(value) is { ElementType: ElementType.Float } t ? t.ToArray<float>() : null;

    /// <summary>The elements of a constant integer tensor (int32 or int64) as longs, or null.</summary>
    public static long[]? ConstantInts(Value? value) => Constant(value) switch
    {
        { ElementType: ElementType.Int64 } t => t.ToArray<long>(),
        { ElementType: ElementType.Int32 } t => t.ToArray<int>().Select(i => (long)i).ToArray(),
        _ => null,
    };

    /// <summary>Whether <paramref name="value"/> is a constant whose every element equals <paramref name="x"/> (within a relative tolerance).</summary>
    public static bool IsConstantAll(Value? value, double x, double tolerance = 0)
    {
        if (Constant(value) is not { } t || !(t.ElementType.IsFloatingPoint() || t.ElementType.IsInteger()) || t.ElementCount == 0) return false;
        return t.ToDoubles().All(v => Math.Abs(v - x) <= tolerance * Math.Max(1, Math.Abs(x)));
    }

    /// <summary>
    /// Whether single-element constants broadcast against <paramref name="x"/> leave its shape as it is (a scalar, or
    /// a [1,...,1] of no higher rank): a fused op returns x's shape, so a widening constant must stop the fusion.
    /// </summary>
    public static bool CannotWiden(Value x, params Value?[] constants) =>
        constants.All(c => Constant(c) is { ElementCount: 1 } t && (t.Dims.Count == 0 || Rank(x) is { } r && t.Dims.Count <= r));

    /// <summary>Used by exactly one node input and not a graph output: the producer may be folded into its consumer.</summary>
    public static bool HasSingleUse(Value value) => value.Uses.Count == 1 && !value.IsGraphOutput;

    /// <summary>The producer of <paramref name="value"/> when it is an <paramref name="opType"/> node in the same graph as <paramref name="site"/>.</summary>
    public static Node? ProducerOf(Value? value, string opType, Node site) =>
        value?.Producer is { } p && p.OpType == opType && p.IsDefaultDomain && p.Graph == site.Graph ? p : null;

    /// <summary>The one node consuming <paramref name="value"/>, when it is an <paramref name="opType"/> node.</summary>
    public static Node? SoleConsumer(Value value, string opType) =>
        HasSingleUse(value) && value.Uses[0].Node is { } n && n.OpType == opType && n.IsDefaultDomain && n.Graph == value.Graph ? n : null;

    /// <summary>Why <paramref name="old"/> cannot be replaced by <paramref name="replacement"/> everywhere, or null when it can.</summary>
    public static string? WhyNotReplaceable(Value old, Value replacement)
    {
        if (!old.IsGraphOutput) return null;
        if (replacement.IsGraphInput || replacement.IsInitializer || replacement.IsGraphOutput || replacement.Graph != old.Graph || replacement.Producer is null)
            return $"'{old.Name}' is a graph output and '{replacement.Name}' is an input, initializer, outer value or another output";
        return null;
    }

    /// <summary>Makes every consumer of <paramref name="old"/> use <paramref name="replacement"/>, which inherits a missing type.</summary>
    public static void Replace(Value old, Value replacement)
    {
        replacement.Type ??= old.Type;
        old.ReplaceAllUsesWith(replacement);
    }

    /// <summary>Routes the uses of <paramref name="node"/>'s first output to <paramref name="replacement"/> and removes the node.</summary>
    public static void Bypass(Node node, Value replacement)
    {
        var graph = node.Graph!;
        Replace(node.Output(), replacement);
        graph.RemoveNode(node);
    }

    /// <summary>Removes those of <paramref name="nodes"/> (given producer first) whose outputs nothing uses any more.</summary>
    public static void RemoveIfUnused(params Node[] nodes)
    {
        foreach (var node in nodes.Reverse())
            if (node.Graph is { } g && node.Outputs.All(o => o is null || (o.Uses.Count == 0 && !o.IsGraphOutput)))
                g.RemoveNode(node);
    }

    /// <summary>
    /// Gives input <paramref name="index"/> of <paramref name="node"/> a new initializer holding <paramref name="data"/>,
    /// named after the old input with <paramref name="suffix"/> (a constant shared with another node keeps its value
    /// there), and removes the old constant when nothing else reads it.
    /// </summary>
    public static void ReplaceConstantInput<T>(Node node, int index, string suffix, T[] data, params long[] dims) where T : unmanaged
    {
        var old = node.Input(index)!;
        var graph = node.Graph!;
        node.SetInput(index, AddInitializer(graph, old.Name + suffix, data, dims));
        if (old.Uses.Count > 0 || old.IsGraphOutput || old.IsGraphInput) return;
        if (old.IsInitializer) graph.RemoveInitializer(old);
        else if (old.Producer is { IsConstantNode: true } constant) RemoveIfUnused(constant);
    }

    /// <summary>Adds a new initializer named after <paramref name="hint"/> to <paramref name="graph"/>.</summary>
    public static Value AddInitializer<T>(Graph graph, string hint, T[] data, params long[] dims) where T : unmanaged =>
        graph.AddInitializer(Tensor.FromArray(graph.UniqueValueName(hint), data, dims));

    /// <summary>Creates a node inserted before <paramref name="anchor"/> with fresh output names.</summary>
    public static Node InsertBefore(Node anchor, string opType, IEnumerable<Value?> inputs, string outputHint, IEnumerable<Onnx.IR.Attribute>? attributes = null, int outputs = 1)
    {
        var graph = anchor.Graph!;
        var names = Enumerable.Range(0, outputs).Select(i => graph.UniqueValueName(outputs == 1 ? outputHint : $"{outputHint}_{i}")).ToArray();
        var node = new Node(opType, inputs, names, name: graph.UniqueNodeName(opType + "_" + outputHint));
        foreach (var a in attributes ?? []) node.SetAttribute(a);
        graph.InsertBefore(anchor, node);
        return node;
    }

    /// <summary>The static shape of a value when every dimension is known.</summary>
    public static long[]? StaticShape(Value? value) => value?.Shape?.TryGetStatic();

    /// <summary>The rank of a value when known.</summary>
    public static int? Rank(Value? value) => value?.Shape?.Rank;

    /// <summary>The default-domain opset of the model.</summary>
    public static long Opset(Model model) => model.GetOpset("") ?? 1;
}
