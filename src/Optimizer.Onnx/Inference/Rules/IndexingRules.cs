using Optimizer.Onnx.IR;

namespace Optimizer.Onnx.Inference.Rules;

/// <summary>OneHot, Compress and Einsum.</summary>
internal static class IndexingRules
{
    /// <summary>OneHot(indices, depth, values): the indices' dims with depth inserted at the axis; the values' type.</summary>
    public static void OneHot(NodeContext c)
    {
        var indices = c.InputShape(0);
        var type = c.InputType(2);
        if (indices is null)
        {
            c.SetOutput(0, type, null);
            return;
        }
        var depth = c.InputConstant(1) is { ElementCount: 1 } t ? SymDim.Const((long)t.ToDoubles()[0]) : null;
        var axis = c.Axis(c.Int("axis", -1), indices.Length + 1);
        var output = DimMath.Open(indices).ToList();
        output.Insert(axis, depth);
        c.SetOutput(0, type, output);
    }

    /// <summary>Compress: the selected count is data-dependent (flattened without an axis).</summary>
    public static void Compress(NodeContext c)
    {
        var input = c.InputShape(0);
        if (!c.Node.HasAttribute("axis") || input is null)
        {
            c.SetOutput(0, c.InputType(0), c.Node.HasAttribute("axis") ? null : [null]);
            return;
        }
        var output = DimMath.Open(input);
        output[c.Axis(c.Int("axis", 0), input.Length)] = null;
        c.SetOutput(0, c.InputType(0), output);
    }

    /// <summary>Einsum: each output label takes the dim its label has in the inputs; with an ellipsis, the rank only when it is fixed.</summary>
    public static void Einsum(NodeContext c)
    {
        var type = c.InputType(0);
        var equation = c.String("equation", "").Replace(" ", "");
        var arrow = equation.IndexOf("->", StringComparison.Ordinal);
        var terms = (arrow >= 0 ? equation[..arrow] : equation).Split(',');
        if (terms.Length != c.InputCount || equation.Contains("..."))
        {
            c.SetOutput(0, type, null);
            return;
        }
        var dims = new Dictionary<char, SymDim?>();
        for (var i = 0; i < terms.Length; i++)
        {
            var shape = c.InputShape(i);
            if (shape is not null && shape.Length != terms[i].Length) throw c.Fail($"term '{terms[i]}' does not fit rank {shape.Length}");
            for (var j = 0; j < terms[i].Length; j++)
            {
                var label = terms[i][j];
                var d = shape?[j];
                dims[label] = dims.TryGetValue(label, out var seen) ? Broadcasting.Dim(seen, d) : d;
            }
        }
        var output = arrow >= 0
            ? equation[(arrow + 2)..]
            : new string(dims.Keys.Where(l => terms.Sum(t => t.Count(x => x == l)) == 1).Order().ToArray());
        if (output.Any(l => !dims.ContainsKey(l))) throw c.Fail($"output label of '{equation}' is in no input");
        c.SetOutput(0, type, output.Select(l => dims[l]).ToArray());
    }
}
