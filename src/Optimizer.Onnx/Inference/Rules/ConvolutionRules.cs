using Optimizer.Onnx.IR;

namespace Optimizer.Onnx.Inference.Rules;

/// <summary>Conv, ConvTranspose and their quantized forms (QLinearConv, ConvInteger).</summary>
internal static class ConvolutionRules
{
    public static void Conv(NodeContext c) => Convolve(c, x: 0, w: 1, c.InputType(0));

    /// <summary>QLinearConv(x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, bias): y has y_zero_point's type.</summary>
    public static void QLinearConv(NodeContext c) => Convolve(c, x: 0, w: 3, c.InputType(7) is var t && t != ElementType.Undefined ? t : ElementType.UInt8);

    public static void ConvInteger(NodeContext c) => Convolve(c, x: 0, w: 1, ElementType.Int32);

    /// <summary>[N, M, out...] with M = W's first dim; C must equal W's second dim times group.</summary>
    private static void Convolve(NodeContext c, int x, int w, ElementType type)
    {
        var input = c.InputShape(x);
        var weights = c.InputShape(w);
        var rank = input?.Length ?? weights?.Length;
        if (rank is null || rank < 3)
        {
            c.SetOutput(0, type, null);
            return;
        }
        var spatial = rank.Value - 2;
        var group = c.Int("group", 1);
        if (weights is not null && input is not null)
        {
            if (weights.Length != input.Length) throw c.Fail($"input of rank {input.Length}, weights of rank {weights.Length}");
            DimMath.RequireEqual(input[1], weights[1] * SymDim.Const(group), "input channels and weight channels x group differ");
        }
        var geometry = WindowGeometry.Read(c, spatial, StaticKernel(weights));
        var output = new SymDim?[rank.Value];
        output[0] = input?[0];
        output[1] = weights?[0];
        for (var i = 0; i < spatial; i++) output[i + 2] = geometry?.Output(input?[i + 2], i);
        c.SetOutput(0, type, output);
    }

    /// <summary>
    /// ConvTranspose: [N, W[1] x group, out...], out = stride x (in - 1) + output_padding + extent - pads, or
    /// in x stride with SAME padding, or <c>output_shape</c> when given.
    /// </summary>
    public static void ConvTranspose(NodeContext c)
    {
        var input = c.InputShape(0);
        var weights = c.InputShape(1);
        var rank = input?.Length ?? weights?.Length;
        if (rank is null || rank < 3)
        {
            c.SetOutput(0, c.InputType(0), null);
            return;
        }
        var spatial = rank.Value - 2;
        var group = c.Int("group", 1);
        if (weights is not null && input is not null) DimMath.RequireEqual(input[1], weights[0], "input channels and weight's first dim differ");
        var output = new SymDim?[rank.Value];
        output[0] = input?[0];
        output[1] = weights?[1] * SymDim.Const(group);
        var geometry = WindowGeometry.Read(c, spatial, StaticKernel(weights));
        var outputShape = c.Ints("output_shape");
        var outputPadding = c.Ints("output_padding") ?? new long[spatial];
        for (var i = 0; i < spatial; i++)
        {
            if (outputShape is not null)
                output[i + 2] = outputShape.Length >= spatial ? SymDim.Const(outputShape[outputShape.Length - spatial + i]) : null;
            else if (geometry is null || input is null)
                output[i + 2] = null;
            else if (geometry.AutoPad is "SAME_UPPER" or "SAME_LOWER")
                output[i + 2] = input[i + 2] * SymDim.Const(geometry.Strides[i]);
            else
            {
                var pads = geometry.AutoPad == "VALID" ? 0 : geometry.Pads[i] + geometry.Pads[i + spatial];
                output[i + 2] = SymDim.Const(geometry.Strides[i]) * (input[i + 2] - SymDim.One)
                    + SymDim.Const(outputPadding[i] + geometry.Extent(i) - pads);
            }
        }
        c.SetOutput(0, c.InputType(0), output);
    }

    private static long[]? StaticKernel(SymDim[]? weights) =>
        weights is null || weights.Skip(2).Any(d => !d.IsConstant) ? null : weights.Skip(2).Select(d => d.ConstantValue!.Value).ToArray();
}
