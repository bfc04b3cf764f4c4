namespace Optimizer.Runtime.Validation;

/// <summary>
/// The running sums behind one <see cref="LayerError"/>. Only scalars: a sample's tensors are folded in and then
/// dropped, so the memory does not grow with the number of samples.
/// </summary>
internal sealed class LayerErrorStats
{
    private double _signal, _noise, _dot, _quantizedPower, _maxAbs;
    private long _elements;

    public long Elements => _elements;

    /// <summary>Folds in one sample's value from the FP32 model (<paramref name="reference"/>) and the quantized model.</summary>
    public void Add(ReadOnlySpan<float> reference, ReadOnlySpan<float> quantized)
    {
        if (reference.Length != quantized.Length)
            throw new ArgumentException($"{reference.Length} reference elements against {quantized.Length} quantized ones");
        double signal = 0, noise = 0, dot = 0, quantizedPower = 0, maxAbs = _maxAbs;
        for (var i = 0; i < reference.Length; i++)
        {
            double r = reference[i], q = quantized[i];
            var d = Math.Abs(q - r);
            if (double.IsNaN(d)) d = double.PositiveInfinity; // a NaN in either model is as bad as it gets
            signal += r * r;
            noise += d * d;
            dot += r * q;
            quantizedPower += q * q;
            if (d > maxAbs) maxAbs = d;
        }
        _signal += signal;
        _noise += noise;
        _dot += dot;
        _quantizedPower += quantizedPower;
        _maxAbs = maxAbs;
        _elements += reference.Length;
    }

    /// <summary>10·log10(signal/noise); +∞ when there is no noise at all, −∞ when there is noise but no signal.</summary>
    public double SqnrDb => _noise == 0 ? double.PositiveInfinity : 10 * Math.Log10(_signal / _noise);

    /// <summary>Cosine similarity of the two values over all samples; 1 when both are all zeros, 0 when only one is.</summary>
    public double Cosine
    {
        get
        {
            if (_signal == 0 && _quantizedPower == 0) return 1;
            if (_signal == 0 || _quantizedPower == 0) return 0;
            var cosine = _dot / Math.Sqrt(_signal * _quantizedPower);
            return double.IsNaN(cosine) ? 0 : Math.Clamp(cosine, -1, 1);
        }
    }

    public double MaxAbs => _maxAbs;

    public LayerError Result(string value, string? node, string? opType) => new(value, node, opType, SqnrDb, Cosine, _maxAbs, _elements);
}
