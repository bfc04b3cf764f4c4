using Optimizer.Onnx.IR;

namespace Optimizer.Onnx.Inference.Rules;

/// <summary>Concat and Split.</summary>
internal static class ConcatSplitRules
{
    /// <summary>Concat: the axis dims add up; the other dims must agree. Shape elements are concatenated too.</summary>
    public static void Concat(NodeContext c)
    {
        var inputs = Enumerable.Range(0, c.InputCount).Where(c.HasInput).ToList();
        var type = inputs.Select(c.InputType).FirstOrDefault(t => t != ElementType.Undefined);
        var shapes = inputs.Select(c.InputShape).ToList();
        var known = shapes.FirstOrDefault(s => s is not null);
        if (known is null)
        {
            c.SetOutput(0, type, null);
            return;
        }
        var rank = known.Length;
        var axis = c.Axis(c.Int("axis", 0), rank);
        var output = new SymDim?[rank];
        for (var d = 0; d < rank; d++)
        {
            SymDim? dim = d == axis ? SymDim.Zero : null;
            foreach (var shape in shapes)
            {
                if (shape is not null && shape.Length != rank) throw c.Fail($"inputs of rank {rank} and {shape.Length}");
                var s = shape?[d];
                dim = d == axis ? dim + s : DimMath.Unify(dim, s, $"Concat inputs differ at dim {d}");
            }
            output[d] = dim;
        }
        c.SetOutput(0, type, output);
        if (rank == 1 && inputs.All(i => c.InputValue(i) is not null))
            c.SetOutputValue(0, inputs.SelectMany(i => c.InputValue(i)!).ToArray());
    }

    /// <summary>
    /// Split: sizes from <c>split</c> (attribute before opset 13, input after), or equal parts (the last one smaller
    /// with <c>num_outputs</c>, opset 18).
    /// </summary>
    public static void Split(NodeContext c)
    {
        var type = c.InputType(0);
        var input = c.InputShape(0);
        var parts = c.OutputCount;
        if (input is null)
        {
            for (var i = 0; i < parts; i++) c.SetOutput(i, type, null);
            return;
        }
        var axis = c.Axis(c.Int("axis", 0), input.Length);
        var dim = input[axis];
        var sizesGiven = c.Opset >= 13 ? c.HasInput(1) : c.Ints("split") is not null;
        SymDim?[] sizes;
        if (sizesGiven)
        {
            var split = c.Opset >= 13 ? c.InputValue(1) : c.Ints("split")!.Select(SymDim.Const).ToArray();
            sizes = split?.Select(DimMath.AsSize).ToArray() ?? new SymDim?[parts];
            if (sizes.Length != parts) throw c.Fail($"split lists {sizes.Length} sizes for {parts} outputs");
            DimMath.RequireEqual(sizes.Aggregate((SymDim?)SymDim.Zero, (a, b) => a + b), dim, "split sizes do not add up to the dim");
        }
        else if (c.Opset >= 18 && c.Node.HasAttribute("num_outputs"))
        {
            var chunk = dim.CeilDiv(parts);
            sizes = Enumerable.Range(0, parts).Select(i => i < parts - 1 ? chunk : dim - chunk * SymDim.Const(parts - 1)).ToArray();
        }
        else
        {
            if (dim.ConstantValue is { } n && n % parts != 0) throw c.Fail($"dim {n} does not split into {parts} equal parts");
            sizes = Enumerable.Repeat(dim.FloorDiv(parts), parts).ToArray(); // the dim is a multiple of the parts
        }
        for (var i = 0; i < parts; i++)
        {
            var shape = DimMath.Open(input);
            shape[axis] = sizes[i];
            c.SetOutput(i, type, shape);
        }
    }
}
