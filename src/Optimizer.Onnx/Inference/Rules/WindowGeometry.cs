namespace Optimizer.Onnx.Inference.Rules;

/// <summary>
/// The spatial attributes shared by Conv, ConvTranspose and the pools (kernel, strides, dilations, pads, auto_pad)
/// and the output size of a sliding window over one spatial dim.
/// </summary>
internal sealed record WindowGeometry(long[] Kernel, long[] Strides, long[] Dilations, long[] Pads, string AutoPad)
{
    /// <summary>Reads the attributes for <paramref name="spatial"/> dims; the kernel from the attribute or <paramref name="kernelFromWeights"/>.</summary>
    public static WindowGeometry? Read(NodeContext c, int spatial, long[]? kernelFromWeights)
    {
        var kernel = c.Ints("kernel_shape") ?? kernelFromWeights;
        if (kernel is null || kernel.Length != spatial) return null;
        var strides = c.Ints("strides") ?? Ones(spatial);
        var dilations = c.Ints("dilations") ?? Ones(spatial);
        var pads = c.Ints("pads") ?? new long[2 * spatial];
        if (strides.Length != spatial || dilations.Length != spatial || pads.Length != 2 * spatial || strides.Any(s => s <= 0))
            throw c.Fail("strides, dilations or pads do not fit the spatial rank");
        return new WindowGeometry(kernel, strides, dilations, pads, c.String("auto_pad", "NOTSET"));
    }

    /// <summary>The extent of the dilated kernel along spatial dim <paramref name="i"/>.</summary>
    public long Extent(int i) => Dilations[i] * (Kernel[i] - 1) + 1;

    /// <summary>Conv and pool output size: floor or ceil((in + pads - extent) / stride) + 1; SAME: ceil(in / stride).</summary>
    public SymDim? Output(SymDim? input, int i, bool ceilMode = false)
    {
        if (input is null) return null;
        var s = Strides[i];
        switch (AutoPad)
        {
            case "SAME_UPPER" or "SAME_LOWER":
                return input.CeilDiv(s);
            case "VALID":
                return Window(input - SymDim.Const(Extent(i)), s, ceilMode, 0, 0, Extent(i), input);
            default:
                var span = input + SymDim.Const(Pads[i] + Pads[i + Kernel.Length] - Extent(i));
                return Window(span, s, ceilMode, Pads[i], Pads[i + Kernel.Length], Extent(i), input);
        }
    }

    /// <summary>
    /// (span // stride) + 1, or with ceil_mode ceil(span / stride) + 1, where a last window that would start in the
    /// end padding is an ambiguity between runtimes: then the size is known only if no such window can exist.
    /// </summary>
    private static SymDim? Window(SymDim? span, long stride, bool ceilMode, long padBegin, long padEnd, long extent, SymDim input)
    {
        if (span?.ConstantValue is < 0) throw new InferenceException($"the window is larger than the padded input ({span} elements short)");
        if (!ceilMode) return span?.FloorDiv(stride) + SymDim.One;
        var output = span?.CeilDiv(stride) + SymDim.One;
        if (output?.ConstantValue is { } o && input.ConstantValue is { } n)
            return (o - 1) * stride >= n + padBegin ? null : output;
        // Symbolic: (out-1)*stride <= in + pads - extent + stride - 1, so the last window starts before
        // in + padBegin whenever stride + padEnd <= extent.
        return stride + padEnd <= extent ? output : null;
    }

    private static long[] Ones(int n) => Enumerable.Repeat(1L, n).ToArray();
}
