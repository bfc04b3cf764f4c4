using Optimizer.Onnx.IR;

namespace Optimizer.Onnx.Inference.Rules;

/// <summary>Operators that rearrange dims without changing data: Reshape, Flatten, Squeeze, Unsqueeze, Transpose.</summary>
internal static class ReshapeRules
{
    /// <summary>
    /// Reshape: the target's elements are the dims; 0 copies the input's dim (unless allowzero), -1 is what is left
    /// of the element count. A computed element that might be 0 or -1 gives an unknown dim.
    /// </summary>
    public static void Reshape(NodeContext c)
    {
        var type = c.InputType(0);
        var input = c.InputShape(0);
        var target = c.Opset >= 5 ? c.InputValue(1) : c.Ints("shape")?.Select(SymDim.Const).ToArray();
        if (target is null)
        {
            c.SetOutput(0, type, c.Opset >= 5 && c.InputShape(1) is [{ ConstantValue: { } n }] ? new SymDim?[n] : null);
            return;
        }
        var allowZero = c.Int("allowzero", 0) != 0;
        var output = new SymDim?[target.Length];
        var inferIndex = -1;
        for (var i = 0; i < target.Length; i++)
        {
            var t = target[i];
            if (t.ConstantValue == -1)
            {
                if (inferIndex >= 0) throw c.Fail("Reshape target has two -1 dims");
                inferIndex = i;
            }
            else if (t.ConstantValue == 0 && !allowZero)
                output[i] = input is null ? null : i < input.Length ? input[i] : throw c.Fail($"Reshape target copies dim {i} of a rank-{input.Length} input");
            else output[i] = DimMath.AsSize(t);
        }
        if (inferIndex >= 0 && input is not null)
        {
            var known = DimMath.Product(output.Where((_, i) => i != inferIndex));
            var total = DimMath.Product(input);
            output[inferIndex] = SymDim.ExactDiv(total, known);
            if (total?.ConstantValue is { } tv && known?.ConstantValue is { } kv && kv != 0 && tv % kv != 0)
                throw c.Fail($"cannot reshape {tv} elements with {kv} elements per -1 step");
        }
        else if (input is not null)
            DimMath.RequireEqual(DimMath.Product(input), DimMath.Product(output), "Reshape changes the element count");
        c.SetOutput(0, type, output);
        if (c.InputValue(0) is { } values && output.Length <= 1) c.SetOutputValue(0, values);
    }

    /// <summary>Flatten: [product of dims before axis, product of the rest].</summary>
    public static void Flatten(NodeContext c)
    {
        var input = c.InputShape(0);
        if (input is null)
        {
            c.SetOutput(0, c.InputType(0), [null, null]);
            return;
        }
        var axis = c.Int("axis", 1);
        var a = axis < 0 ? axis + input.Length : axis;
        if (a < 0 || a > input.Length) throw c.Fail($"axis {axis} is out of range for rank {input.Length}");
        c.SetOutput(0, c.InputType(0), [DimMath.Product(input.Take((int)a)), DimMath.Product(input.Skip((int)a))]);
    }

    /// <summary>Squeeze: the listed axes (attribute before opset 13, input after), or every dim of size 1.</summary>
    public static void Squeeze(NodeContext c)
    {
        var type = c.InputType(0);
        var input = c.InputShape(0);
        var axesGiven = c.Opset >= 13 ? c.HasInput(1) : c.Ints("axes") is not null;
        var axes = DimMath.IntsByOpset(c, "axes", 1, 13);
        if (input is null || (axesGiven && axes is null))
        {
            c.SetOutput(0, type, null);
            return;
        }
        bool[] remove;
        if (axesGiven)
        {
            remove = new bool[input.Length];
            foreach (var axis in axes!)
            {
                var a = c.Axis(axis, input.Length);
                if (input[a].ConstantValue is { } v && v != 1) throw c.Fail($"cannot squeeze dim {a} of size {v}");
                remove[a] = true;
            }
        }
        else
        {
            if (input.Any(d => !d.IsConstant)) { c.SetOutput(0, type, null); return; }
            remove = input.Select(d => d.ConstantValue == 1).ToArray();
        }
        c.SetOutput(0, type, input.Where((_, i) => !remove[i]).ToArray());
        c.SetOutputValue(0, c.InputValue(0));
    }

    /// <summary>Unsqueeze: dims of size 1 inserted at the axes (of the output's rank).</summary>
    public static void Unsqueeze(NodeContext c)
    {
        var type = c.InputType(0);
        var input = c.InputShape(0);
        var axes = DimMath.IntsByOpset(c, "axes", 1, 13);
        if (input is null || axes is null)
        {
            c.SetOutput(0, type, null);
            return;
        }
        var rank = input.Length + axes.Length;
        var ones = new bool[rank];
        foreach (var axis in axes)
        {
            var a = c.Axis(axis, rank);
            if (ones[a]) throw c.Fail($"axis {axis} is listed twice");
            ones[a] = true;
        }
        var output = new SymDim?[rank];
        var next = 0;
        for (var i = 0; i < rank; i++) output[i] = ones[i] ? SymDim.One : input[next++];
        c.SetOutput(0, type, output);
        c.SetOutputValue(0, c.InputValue(0));
    }

    /// <summary>Transpose: dims permuted by <c>perm</c> (reversed by default).</summary>
    public static void Transpose(NodeContext c)
    {
        var input = c.InputShape(0);
        var perm = c.Ints("perm");
        if (input is null)
        {
            c.SetOutput(0, c.InputType(0), perm is null ? null : new SymDim?[perm.Length]);
            return;
        }
        perm ??= Enumerable.Range(0, input.Length).Reverse().Select(i => (long)i).ToArray();
        if (perm.Length != input.Length || perm.Order().Select((p, i) => p != i).Any(x => x))
            throw c.Fail($"perm [{string.Join(",", perm)}] does not fit rank {input.Length}");
        c.SetOutput(0, c.InputType(0), perm.Select(p => (SymDim?)input[p]).ToArray());
    }
}
