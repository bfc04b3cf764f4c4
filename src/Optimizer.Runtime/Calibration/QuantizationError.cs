namespace Optimizer.Runtime.Calibration;

/// <summary>
/// The expected squared error of quantizing a tensor, whose values a <see cref="SymmetricHistogram"/> describes, onto
/// a <see cref="QuantizationGrid"/>: rounding noise inside the grid plus clipping beyond it. The values of a bin are taken
/// as spread evenly over the bin (cut to the tensor's minimum and maximum), and the error is integrated exactly over
/// each bin rather than estimated from its centre, so that bins wider than a quantization step are counted right.
/// <para>
/// x is quantized to <c>q(x) = clamp(s * round(x / s), Low, High)</c>. Inside [Low, High] the error is the sawtooth
/// <c>x - s * round(x / s)</c>, whose square integrates to s^3/12 per step; below Low it is x - Low, above High x - High.
/// </para>
/// </summary>
public static class QuantizationError
{
    /// <summary>
    /// The mean squared error over all values of the histogram (0 when it is empty); <paramref name="min"/> and
    /// <paramref name="max"/> are the smallest and largest value seen.
    /// </summary>
    public static double Expected(SymmetricHistogram histogram, double min, double max, QuantizationGrid grid)
    {
        var counts = histogram.Counts;
        var w = histogram.BinWidth;
        long total = 0;
        var sum = 0.0;
        for (var i = 0; i < counts.Length; i++)
        {
            var c = counts[i];
            if (c == 0) continue;
            total += c;
            if (w == 0) continue;
            var a = Math.Max(-histogram.Limit + i * w, min);
            var b = Math.Min(-histogram.Limit + (i + 1) * w, max);
            sum += c * MeanSquaredError(a, b, grid);
        }
        return total == 0 ? 0 : sum / total;
    }

    /// <summary>The mean of the squared error over x spread evenly on [a, b] (at a itself when b &lt;= a).</summary>
    public static double MeanSquaredError(double a, double b, QuantizationGrid grid)
    {
        if (!(b > a)) return Squared(a - grid.Quantize(a));
        double low = grid.Low, high = grid.High, s = grid.Scale;
        var integral = 0.0;
        // below the grid: q(x) = Low
        if (a < low) integral += (Cube(Math.Min(b, low) - low) - Cube(a - low)) / 3;
        // above the grid: q(x) = High
        if (b > high) integral += (Cube(b - high) - Cube(Math.Max(a, high) - high)) / 3;
        // inside: the rounding sawtooth
        var u = Math.Max(a, low);
        var v = Math.Min(b, high);
        if (v > u) integral += Sawtooth(v, s) - Sawtooth(u, s);
        return integral / (b - a);
    }

    /// <summary>
    /// <c>∫ (t - s round(t / s))^2 dt</c> from -s/2 to x: whole steps contribute s^3/12 each, and the step x falls in
    /// contributes <c>∫ r^2 dr</c> from -s/2 to its offset r.
    /// </summary>
    private static double Sawtooth(double x, double s)
    {
        var m = Math.Floor(x / s + 0.5);
        var r = x - s * m;
        return m * s * s * s / 12 + (Cube(r) + s * s * s / 8) / 3;
    }

    private static double Squared(double x) => x * x;

    private static double Cube(double x) => x * x * x;
}

/// <summary>
/// The values a quantized tensor can take: multiples of <see cref="Scale"/> from <see cref="Low"/> to <see cref="High"/>
/// (zero is one of them). Built as the quantization passes build their parameters (<c>QuantParams</c>).
/// </summary>
public readonly record struct QuantizationGrid(double Scale, double Low, double High)
{
    private const float MinScale = 1e-8f;

    /// <summary>
    /// uint8 with a zero point, the CPU target: scale (max - min) / 255, zero point round(-min / scale) in [0, 255],
    /// levels (q - zero point) * scale for q in [0, 255].
    /// </summary>
    public static QuantizationGrid AsymmetricUInt8(float min, float max)
    {
        min = Math.Min(min, 0f);
        max = Math.Max(max, 0f);
        var scale = Math.Max((max - min) / 255f, MinScale);
        var zero = Math.Clamp((int)Math.Round(-min / scale, MidpointRounding.ToEven), 0, 255);
        return new QuantizationGrid(scale, -zero * (double)scale, (255 - zero) * (double)scale);
    }

    /// <summary>int8 with zero point 0, the TensorRT target: scale amax / 127, levels q * scale for q in [-128, 127].</summary>
    public static QuantizationGrid SymmetricInt8(float amax)
    {
        var scale = Math.Max(Math.Abs(amax) / 127f, MinScale);
        return new QuantizationGrid(scale, -128 * (double)scale, 127 * (double)scale);
    }

    /// <summary>The grid of <paramref name="range"/> for the target: symmetric int8 or asymmetric uint8.</summary>
    public static QuantizationGrid For(TensorRange range, bool symmetric) =>
        symmetric ? SymmetricInt8(range.AbsMax) : AsymmetricUInt8(range.Min, range.Max);

    /// <summary>The level <paramref name="x"/> is quantized to.</summary>
    public double Quantize(double x) => Math.Clamp(Scale * Math.Round(x / Scale, MidpointRounding.ToEven), Low, High);
}
