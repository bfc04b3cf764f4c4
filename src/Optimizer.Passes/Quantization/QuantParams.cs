namespace Optimizer.Passes.Quantization;

/// <summary>
/// The affine mapping of one quantized tensor (or one channel of it): real = (q - ZeroPoint) * Scale. Scale is never
/// zero (ONNX Runtime and TensorRT refuse a zero scale), and real zero is always exactly representable.
/// </summary>
public readonly record struct QuantParams(float Scale, int ZeroPoint)
{
    /// <summary>The smallest scale used, for ranges that are (almost) empty.</summary>
    public const float MinScale = 1e-8f;

    /// <summary>Asymmetric uint8 parameters for an activation range [min, max] (widened to hold 0): ONNX Runtime's CPU form.</summary>
    public static QuantParams AsymmetricUInt8(float min, float max)
    {
        min = Math.Min(min, 0f);
        max = Math.Max(max, 0f);
        var scale = Math.Max((max - min) / 255f, MinScale);
        var zero = (int)Math.Round(-min / scale, MidpointRounding.ToEven);
        return new QuantParams(scale, Math.Clamp(zero, 0, 255));
    }

    /// <summary>Symmetric int8 parameters (zero point 0) for a range whose largest magnitude is <paramref name="amax"/>: what TensorRT requires.</summary>
    public static QuantParams SymmetricInt8(float amax) => new(Math.Max(Math.Abs(amax) / 127f, MinScale), 0);

    /// <summary>Symmetric int8 parameters covering [min, max].</summary>
    public static QuantParams SymmetricInt8(float min, float max) => SymmetricInt8(Math.Max(Math.Abs(min), Math.Abs(max)));
}
