using Optimizer.Onnx.IR;

namespace Optimizer.Onnx.Inference.Rules;

/// <summary>The ReduceX family, ArgMax/ArgMin and TopK.</summary>
internal static class ReductionRules
{
    /// <summary>
    /// ReduceX: axes as an attribute, or as input 1 (ReduceSum since opset 13, the others since 18). No axes reduces
    /// every dim, unless noop_with_empty_axes. keepdims (default 1) leaves reduced dims as 1.
    /// </summary>
    public static void Reduce(NodeContext c)
    {
        var type = c.InputType(0);
        var input = c.InputShape(0);
        var inputForm = c.Opset >= (c.Node.OpType == "ReduceSum" ? 13 : 18);
        var keep = c.Int("keepdims", 1) != 0;
        long[]? axes;
        if (inputForm && c.HasInput(1))
        {
            axes = c.InputInts(1);
            if (axes is null)
            {
                // Which dims are reduced is unknown: with keepdims the rank stays.
                c.SetOutput(0, type, keep && input is not null ? new SymDim?[input.Length] : null);
                return;
            }
        }
        else axes = inputForm ? [] : c.Ints("axes") ?? [];
        if (input is null)
        {
            c.SetOutput(0, type, null);
            return;
        }
        if (axes.Length == 0 && inputForm && c.Int("noop_with_empty_axes", 0) != 0)
        {
            c.SetOutput(0, type, input);
            c.SetOutputValue(0, c.InputValue(0));
            return;
        }
        var reduced = axes.Length == 0 ? Enumerable.Range(0, input.Length).ToHashSet() : axes.Select(a => c.Axis(a, input.Length)).ToHashSet();
        c.SetOutput(0, type, Reduced(input, reduced, keep));
        if (input.Length == 1 && c.InputValue(0) is { } values && reduced.Count == 1)
        {
            var total = c.Node.OpType switch { "ReduceProd" => DimMath.Product(values), "ReduceSum" => values.Aggregate((SymDim?)SymDim.Zero, (a, b) => a + b), _ => null };
            if (total is not null) c.SetOutputValue(0, [total]);
        }
    }

    /// <summary>ArgMax, ArgMin: int64 indices along one axis.</summary>
    public static void ArgReduce(NodeContext c)
    {
        var input = c.InputShape(0);
        if (input is null)
        {
            c.SetOutput(0, ElementType.Int64, null);
            return;
        }
        var axis = c.Axis(c.Int("axis", 0), input.Length);
        c.SetOutput(0, ElementType.Int64, Reduced(input, new HashSet<int> { axis }, c.Int("keepdims", 1) != 0));
    }

    /// <summary>TopK: the axis dim becomes K (input 1 since opset 10, attribute k before); values and int64 indices.</summary>
    public static void TopK(NodeContext c)
    {
        var input = c.InputShape(0);
        var k = c.Opset >= 10 ? c.InputValue(1) is [var kv] ? DimMath.AsSize(kv) : null : SymDim.Const(c.Int("k", 0));
        SymDim?[]? output = null;
        if (input is not null)
        {
            var axis = c.Axis(c.Int("axis", -1), input.Length);
            if (k?.ConstantValue is { } kc && input[axis].ConstantValue is { } n && kc > n) throw c.Fail($"K {kc} exceeds the axis size {n}");
            output = DimMath.Open(input);
            output[axis] = k;
        }
        c.SetOutput(0, c.InputType(0), output);
        c.SetOutput(1, ElementType.Int64, output);
    }

    private static SymDim?[] Reduced(SymDim[] input, IReadOnlySet<int> axes, bool keep) =>
        input.Select((d, i) => (SymDim?)(axes.Contains(i) ? keep ? SymDim.One : null : d))
             .Where((d, i) => keep || !axes.Contains(i)).ToArray();
}
