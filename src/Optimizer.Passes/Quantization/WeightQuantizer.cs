namespace Optimizer.Passes.Quantization;

/// <summary>A constant weight quantized to int8: the values, one scale per channel (or one), zero points all 0.</summary>
public sealed record QuantizedWeight(sbyte[] Values, float[] Scales, int Axis, long[] Dims)
{
    public bool PerChannel => Scales.Length > 1 || Axis >= 0;
}

/// <summary>
/// Symmetric int8 quantization of constant weights, per output channel or per tensor, and int32 quantization of
/// biases (scale = input scale × weight scale, zero point 0, as ONNX's QLinearConv and ONNX Runtime's QDQ
/// fusions expect). Pure arithmetic on arrays: no graph, no runtime.
/// </summary>
public static class WeightQuantizer
{
    /// <summary>
    /// Quantizes <paramref name="weights"/> of shape <paramref name="dims"/> symmetrically to [-127, 127] (never -128,
    /// so the u8×s8 kernels of VNNI-less CPUs cannot saturate), one scale per slice along <paramref name="axis"/>, or
    /// one scale for the whole tensor when <paramref name="axis"/> is negative.
    /// </summary>
    public static QuantizedWeight Quantize(float[] weights, long[] dims, int axis)
    {
        if (axis < 0)
        {
            var amax = MaxAbs(weights, 0, weights.Length);
            var s = QuantParams.SymmetricInt8(amax).Scale;
            return new QuantizedWeight(Round(weights, _ => s), [s], -1, dims);
        }
        var channels = (int)dims[axis];
        var inner = 1;
        for (var i = axis + 1; i < dims.Length; i++) inner *= (int)dims[i];
        var outer = weights.Length / Math.Max(1, channels * inner);
        var scales = new float[channels];
        for (var c = 0; c < channels; c++)
        {
            var amax = 0f;
            for (var o = 0; o < outer; o++)
                amax = Math.Max(amax, MaxAbs(weights, (o * channels + c) * inner, inner));
            scales[c] = QuantParams.SymmetricInt8(amax).Scale;
        }
        return new QuantizedWeight(Round(weights, i => scales[i / inner % channels]), scales, axis, dims);
    }

    /// <summary>Quantizes a bias to int32 with per-channel scales inputScale × weightScale[c] (broadcast when one weight scale).</summary>
    public static (int[] Values, float[] Scales) QuantizeBias(float[] bias, float inputScale, float[] weightScales)
    {
        var values = new int[bias.Length];
        var scales = new float[bias.Length];
        for (var i = 0; i < bias.Length; i++)
        {
            var s = Math.Max(inputScale * weightScales[weightScales.Length == 1 ? 0 : i], QuantParams.MinScale);
            scales[i] = s;
            values[i] = (int)Math.Clamp(Math.Round(bias[i] / (double)s, MidpointRounding.ToEven), int.MinValue + 1, int.MaxValue);
        }
        return (values, scales);
    }

    /// <summary>Quantizes values to uint8 with the given parameters (round half to even, saturating), as QuantizeLinear does.</summary>
    public static byte[] QuantizeUInt8(float[] values, QuantParams p)
    {
        var q = new byte[values.Length];
        for (var i = 0; i < values.Length; i++)
            q[i] = (byte)Math.Clamp(Math.Round(values[i] / p.Scale, MidpointRounding.ToEven) + p.ZeroPoint, 0, 255);
        return q;
    }

    private static sbyte[] Round(float[] w, Func<int, float> scaleOf)
    {
        var q = new sbyte[w.Length];
        for (var i = 0; i < w.Length; i++)
            q[i] = (sbyte)Math.Clamp(Math.Round(w[i] / scaleOf(i), MidpointRounding.ToEven), -127, 127);
        return q;
    }

    private static float MaxAbs(float[] w, int start, int count)
    {
        var m = 0f;
        for (var i = start; i < start + count; i++) m = Math.Max(m, Math.Abs(w[i]));
        return m;
    }
}
