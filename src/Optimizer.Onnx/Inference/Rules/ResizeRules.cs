using Optimizer.Onnx.IR;

namespace Optimizer.Onnx.Inference.Rules;

/// <summary>Resize, Upsample, DepthToSpace, SpaceToDepth.</summary>
internal static class ResizeRules
{
    /// <summary>
    /// Resize: the dims from <c>sizes</c>, or floor(dim * scale). Inputs: opset 10 (X, scales); 11+ (X, roi, scales,
    /// sizes); 18 adds <c>axes</c>. A keep-aspect-ratio policy other than stretch gives unknown dims.
    /// </summary>
    public static void Resize(NodeContext c)
    {
        var input = c.InputShape(0);
        var scalesInput = c.Opset >= 11 ? 2 : 1;
        if (input is null)
        {
            c.SetOutput(0, c.InputType(0), null);
            return;
        }
        var axes = c.Opset >= 18 && c.Ints("axes") is { } a ? a.Select(x => c.Axis(x, input.Length)).ToArray() : Enumerable.Range(0, input.Length).ToArray();
        var output = DimMath.Open(input);
        var sizesGiven = c.Opset >= 11 && c.HasInput(3) && c.InputShape(3) is not [{ ConstantValue: 0 }];
        var sizes = sizesGiven ? c.InputValue(3) : null;
        if (sizesGiven && (sizes is null || c.String("keep_aspect_ratio_policy", "stretch") != "stretch"))
            foreach (var axis in axes) output[axis] = null;
        else if (sizes is not null)
        {
            if (sizes.Length != axes.Length) throw c.Fail($"{sizes.Length} sizes for {axes.Length} axes");
            for (var k = 0; k < axes.Length; k++) output[axes[k]] = DimMath.AsSize(sizes[k]);
        }
        else
            Scale(output, axes, Scales(c, scalesInput), c);
        c.SetOutput(0, c.InputType(0), output);
    }

    /// <summary>Upsample (deprecated): scales as an attribute (opset 7-8) or input 1 (opset 9).</summary>
    public static void Upsample(NodeContext c)
    {
        var input = c.InputShape(0);
        if (input is null)
        {
            c.SetOutput(0, c.InputType(0), null);
            return;
        }
        var output = DimMath.Open(input);
        var scales = c.Opset >= 9 ? Scales(c, 1) : c.Node.GetFloats("scales")?.Select(f => (double)f).ToArray();
        Scale(output, Enumerable.Range(0, input.Length).ToArray(), scales, c);
        c.SetOutput(0, c.InputType(0), output);
    }

    public static void DepthToSpace(NodeContext c) => Rearrange(c, toSpace: true);

    public static void SpaceToDepth(NodeContext c) => Rearrange(c, toSpace: false);

    private static void Rearrange(NodeContext c, bool toSpace)
    {
        var input = c.InputShape(0);
        var b = c.Int("blocksize", 0);
        if (input is null || input.Length != 4 || b <= 0)
        {
            c.SetOutput(0, c.InputType(0), input is null ? null : new SymDim?[input.Length]);
            return;
        }
        var bb = SymDim.Const(b);
        c.SetOutput(0, c.InputType(0), toSpace
            ? [input[0], SymDim.ExactDiv(input[1], bb * bb) ?? input[1].FloorDiv(b * b), input[2] * bb, input[3] * bb]
            : [input[0], input[1] * bb * bb, input[2].FloorDiv(b), input[3].FloorDiv(b)]);
    }

    /// <summary>Output dims floor(dim * scale); a symbolic dim only with a whole-number scale.</summary>
    private static void Scale(SymDim?[] output, int[] axes, double[]? scales, NodeContext c)
    {
        if (scales is null || scales.Length == 0)
        {
            foreach (var axis in axes) output[axis] = null;
            return;
        }
        if (scales.Length != axes.Length) throw c.Fail($"{scales.Length} scales for {axes.Length} axes");
        for (var k = 0; k < axes.Length; k++)
        {
            var d = output[axes[k]];
            var s = scales[k];
            output[axes[k]] = d?.ConstantValue is { } v ? SymDim.Const((long)((float)s * (float)v)) // as ONNX Runtime computes it, in float
                : s == Math.Floor(s) && s >= 0 ? d * SymDim.Const((long)s)
                : null;
        }
    }

    private static double[]? Scales(NodeContext c, int input) =>
        c.InputConstant(input) is { ElementType: ElementType.Float or ElementType.Double } t ? t.ToDoubles() : null;
}
