using Optimizer.Onnx.IR;

namespace Optimizer.Onnx.Inference.Rules;

/// <summary>Slice (attributes before opset 10, inputs after), with the elements of a sliced shape tensor.</summary>
internal static class SliceRules
{
    private const long ToTheEnd = long.MaxValue / 2;

    public static void Slice(NodeContext c)
    {
        var type = c.InputType(0);
        var input = c.InputShape(0);
        SymDim[]? starts, ends, axes, steps;
        if (c.Opset >= 10)
        {
            (starts, ends) = (c.InputValue(1), c.InputValue(2));
            axes = c.HasInput(3) ? c.InputValue(3) : starts is null ? null : Enumerable.Range(0, starts.Length).Select(i => SymDim.Const(i)).ToArray();
            steps = c.HasInput(4) ? c.InputValue(4) : starts?.Select(_ => SymDim.One).ToArray();
        }
        else
        {
            (starts, ends) = (Attr(c, "starts"), Attr(c, "ends"));
            axes = Attr(c, "axes") ?? starts?.Select((_, i) => SymDim.Const(i)).ToArray();
            steps = starts?.Select(_ => SymDim.One).ToArray();
        }
        if (input is null)
        {
            c.SetOutput(0, type, null);
            return;
        }
        var output = DimMath.Open(input);
        if (starts is null || ends is null || axes is null || steps is null || axes.Any(a => !a.IsConstant))
        {
            // Which axes are sliced is unknown (or where): every dim may change.
            var sliced = axes?.All(a => a.IsConstant) == true ? axes.Select(a => c.Axis(a.ConstantValue!.Value, input.Length)).ToHashSet() : null;
            c.SetOutput(0, type, output.Select((d, i) => sliced is null || sliced.Contains(i) ? null : d).ToArray());
            return;
        }
        if (starts.Length != ends.Length || axes.Length != starts.Length || steps.Length != starts.Length)
            throw c.Fail("starts, ends, axes and steps differ in length");
        var values = c.InputValue(0);
        for (var k = 0; k < starts.Length; k++)
        {
            var axis = c.Axis(axes[k].ConstantValue!.Value, input.Length);
            output[axis] = Length(input[axis], starts[k], ends[k], steps[k]);
            if (values is not null && input.Length == 1)
                values = SliceValues(values, starts[k], ends[k], steps[k]);
        }
        c.SetOutput(0, type, output);
        if (input.Length == 1) c.SetOutputValue(0, values);
    }

    /// <summary>
    /// The sliced length. Static dims and bounds follow ONNX's clamping exactly. With a symbolic dim: [0, end of dim)
    /// keeps the dim; a symbolic end (computed from dims) gives end - start, taking it to lie within the dim.
    /// </summary>
    private static SymDim? Length(SymDim dim, SymDim start, SymDim end, SymDim step)
    {
        if (step.ConstantValue is not { } st || st == 0) return null;
        if (dim.ConstantValue is { } d && start.ConstantValue is { } s && end.ConstantValue is { } e)
            return SymDim.Const(StaticRange(d, s, e, st).Count());
        if (st != 1) return null;
        var s0 = start.ConstantValue;
        var toEnd = end.ConstantValue >= ToTheEnd || end.Equals(dim);
        if (s0 == 0 && toEnd) return dim;
        if (s0 is < 0 || end.ConstantValue is < 0 || toEnd) return null;
        // A constant end on a symbolic dim may be past it (x[:, :10] of a shorter seq): unknown.
        if (end.IsConstant || !start.IsSize || !end.IsSize) return null;
        return end - start;
    }

    private static SymDim[]? SliceValues(SymDim[] values, SymDim start, SymDim end, SymDim step)
    {
        if (start.ConstantValue is not { } s || end.ConstantValue is not { } e || step.ConstantValue is not { } st || st == 0) return null;
        return StaticRange(values.Length, s, e, st).Select(i => values[i]).ToArray();
    }

    /// <summary>The indices a slice takes from a dim of size <paramref name="d"/>, clamped as ONNX specifies.</summary>
    private static IEnumerable<int> StaticRange(long d, long s, long e, long step)
    {
        if (s < 0) s += d;
        if (e < 0) e += d;
        if (step > 0)
        {
            s = Math.Clamp(s, 0, d);
            e = Math.Clamp(e, 0, d);
            for (var i = s; i < e; i += step) yield return (int)i;
        }
        else
        {
            s = Math.Clamp(s, 0, d - 1);
            e = Math.Clamp(e, -1, d - 1);
            for (var i = s; i > e; i += step) yield return (int)i;
        }
    }

    private static SymDim[]? Attr(NodeContext c, string name) => c.Ints(name)?.Select(SymDim.Const).ToArray();
}
