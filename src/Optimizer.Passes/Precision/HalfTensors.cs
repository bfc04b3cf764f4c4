using System.Runtime.InteropServices;
using Optimizer.Onnx.IR;

namespace Optimizer.Passes.Precision;

/// <summary>What converting one float32 tensor to half changed beyond rounding.</summary>
public sealed record ConstantClamp(string Tensor, long AboveRange, long BelowSmallest, float Min, float Max);

/// <summary>
/// Float32 tensors to float16 or bfloat16. Float16: finite values beyond ±65504 are clamped to it (not rounded to
/// infinity: an additive mask of float32's lowest value must stay a large negative number, not -inf, or a fully masked
/// row turns NaN), and non-zero values smaller than float16's smallest subnormal (2^-24) become ±2^-24 instead of 0, so
/// an epsilon such as LayerNorm's 1e-12 still keeps a division away from zero. Infinities and NaN are kept.
/// Bfloat16 has float32's exponent range: only rounding (to nearest even).
/// </summary>
public static class HalfTensors
{
    private const float SmallestHalf = 5.9604645e-8f; // 2^-24

    /// <summary>The converted copy of <paramref name="source"/> and, when values were clamped, what was clamped.</summary>
    public static (Tensor Tensor, ConstantClamp? Clamp) Convert(Tensor source, ElementType target, string name)
    {
        var values = source.ToArray<float>();
        var dims = source.Dims.ToArray();
        if (target == ElementType.BFloat16)
        {
            var bf = new ushort[values.Length];
            for (var i = 0; i < values.Length; i++) bf[i] = ToBFloat16(values[i]);
            return (Tensor.FromBytes(name, ElementType.BFloat16, dims, MemoryMarshal.AsBytes(bf.AsSpan()).ToArray()), null);
        }
        var half = new Half[values.Length];
        long above = 0, below = 0;
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        var limit = (float)Half.MaxValue;
        for (var i = 0; i < values.Length; i++)
        {
            var x = values[i];
            if (float.IsFinite(x))
            {
                min = Math.Min(min, x);
                max = Math.Max(max, x);
            }
            if (float.IsFinite(x) && Math.Abs(x) > limit)
            {
                x = MathF.CopySign(limit, x);
                above++;
            }
            else if (x != 0 && Math.Abs(x) < SmallestHalf)
            {
                x = MathF.CopySign(SmallestHalf, x);
                below++;
            }
            half[i] = (Half)x;
        }
        var tensor = Tensor.FromArray(name, half, dims);
        return (tensor, above + below > 0 ? new ConstantClamp(name, above, below, min, max) : null);
    }

    /// <summary>A scalar of <paramref name="target"/> holding <paramref name="value"/> (for ConstantOfShape's default zero).</summary>
    public static Tensor Scalar(string name, ElementType target, float value, params long[] dims) =>
        Convert(Tensor.FromArray(name, [value], dims), target, name).Tensor;

    /// <summary>Round to nearest even, keeping NaN a NaN.</summary>
    public static ushort ToBFloat16(float x)
    {
        var bits = BitConverter.SingleToUInt32Bits(x);
        if (float.IsNaN(x)) return (ushort)((bits >> 16) | 0x40);
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }
}
