using System.Buffers;
using System.Numerics;

namespace Optimizer.Runtime.Calibration;

/// <summary>
/// The running statistics of one tensor over the calibration samples: minimum, maximum, count and a
/// <see cref="SymmetricHistogram"/>. Their size is fixed when created, so memory does not grow with the samples.
/// NaN and infinite values are counted in <see cref="NonFiniteCount"/> and otherwise left out.
/// </summary>
public sealed class TensorStatistics
{
    private const int FilterChunk = 1 << 14;
    private float _min = float.PositiveInfinity;
    private float _max = float.NegativeInfinity;

    /// <param name="histogram">False: keep only the minimum, maximum and counts (the histogram stays empty).</param>
    /// <param name="tails">Also keep the extreme values, for percentiles read exactly (<see cref="Tails"/>).</param>
    public TensorStatistics(string name, int bins = 2048, bool histogram = true, TailValues? tails = null)
    {
        Name = name;
        Histogram = new SymmetricHistogram(bins);
        HasHistogram = histogram;
        Tails = tails;
    }

    public string Name { get; }

    /// <summary>The smallest finite value seen (0 when none).</summary>
    public float Min => Count > 0 ? _min : 0f;

    /// <summary>The largest finite value seen (0 when none).</summary>
    public float Max => Count > 0 ? _max : 0f;

    /// <summary>Finite values seen.</summary>
    public long Count { get; private set; }

    /// <summary>NaN and infinite values seen (not in <see cref="Min"/>, <see cref="Max"/> nor the histogram).</summary>
    public long NonFiniteCount { get; private set; }

    public SymmetricHistogram Histogram { get; }

    /// <summary>Whether values are counted into <see cref="Histogram"/>; when false it stays empty.</summary>
    public bool HasHistogram { get; }

    /// <summary>The extreme values, when kept: percentiles read from them are exact and cost far less than a histogram.</summary>
    public TailValues? Tails { get; private init; }

    /// <summary>Whether the range by <paramref name="method"/> can be read from what these statistics kept.</summary>
    public bool CanRead(CalibrationMethod method, double percentile, bool symmetric) => method switch
    {
        CalibrationMethod.MinMax => true,
        CalibrationMethod.Percentile => HasHistogram || TailsAnswer(percentile, symmetric),
        _ => HasHistogram,
    };

    /// <summary>Whether <see cref="Tails"/> hold the percentile asked for (the same symmetry, a share within theirs).</summary>
    public bool TailsAnswer(double percentile, bool symmetric) =>
        Tails is { } tails && tails.Absolute == symmetric && tails.Answers(PercentileThreshold.Share(percentile, symmetric));

    /// <summary>The same statistics under another name (for a tensor holding the same values).</summary>
    public TensorStatistics CopyAs(string name)
    {
        var copy = new TensorStatistics(name, Histogram.BinsPerSign, HasHistogram)
        {
            _min = _min,
            _max = _max,
            Count = Count,
            NonFiniteCount = NonFiniteCount,
            Tails = Tails?.Copy(),
        };
        copy.Histogram.CopyFrom(Histogram);
        return copy;
    }

    /// <summary>
    /// The statistics of f(x) for the values these were folded from, f the monotone <paramref name="map"/> (a tensor
    /// computed from this one element-wise, such as an exact GELU's erf): minimum, maximum and tails mapped, the counts
    /// kept. Only for statistics without a histogram, whose bins a map would bend.
    /// </summary>
    public TensorStatistics Through(string name, ValueMap map)
    {
        if (map.IsIdentity) return CopyAs(name);
        if (HasHistogram) throw new InvalidOperationException($"'{Name}': a histogram does not carry through {map}");
        var (min, max) = map.Increasing ? (map.Apply(_min), map.Apply(_max)) : (map.Apply(_max), map.Apply(_min));
        var mapped = new TensorStatistics(name, Histogram.BinsPerSign, histogram: false)
        {
            _min = Count > 0 ? min : _min,
            _max = Count > 0 ? max : _max,
            Count = Count,
            NonFiniteCount = NonFiniteCount,
            Tails = Tails?.Through(map),
        };
        return mapped;
    }

    /// <summary>Folds one batch of values into the statistics.</summary>
    public void Add(ReadOnlySpan<float> values)
    {
        if (values.IsEmpty) return;
        if (Tails is { Absolute: false } tails && !HasHistogram)
        {
            // one pass: the tails hold the minimum and maximum too, and count what is not finite
            var skipped = tails.Add(values);
            Count += values.Length - skipped;
            NonFiniteCount += skipped;
            if (tails.Count > 0) (_min, _max) = (tails.Min, tails.Max);
            return;
        }
        if (MinMax(values, out var min, out var max))
        {
            Fold(values, min, max);
            return;
        }
        // rare: NaN or infinity among the values; count them and fold the finite ones chunk by chunk
        var buffer = ArrayPool<float>.Shared.Rent(FilterChunk);
        try
        {
            var filled = 0;
            foreach (var x in values)
            {
                if (!float.IsFinite(x))
                {
                    NonFiniteCount++;
                    continue;
                }
                buffer[filled++] = x;
                if (filled == FilterChunk) { FoldFinite(buffer.AsSpan(0, filled)); filled = 0; }
            }
            if (filled > 0) FoldFinite(buffer.AsSpan(0, filled));
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    private void FoldFinite(ReadOnlySpan<float> finite)
    {
        MinMax(finite, out var min, out var max);
        Fold(finite, min, max);
    }

    private void Fold(ReadOnlySpan<float> finite, float min, float max)
    {
        _min = MathF.Min(_min, min);
        _max = MathF.Max(_max, max);
        Count += finite.Length;
        Tails?.Add(finite);
        if (!HasHistogram) return;
        Histogram.Cover(MathF.Max(MathF.Abs(min), MathF.Abs(max)));
        Histogram.Add(finite);
    }

    /// <summary>Minimum and maximum in one vectorized pass; false when a value is NaN or infinite.</summary>
    private static bool MinMax(ReadOnlySpan<float> values, out float min, out float max)
    {
        var i = 0;
        min = float.PositiveInfinity;
        max = float.NegativeInfinity;
        var finite = true;
        var width = Vector<float>.Count;
        if (Vector.IsHardwareAccelerated && values.Length >= width)
        {
            var vMin = new Vector<float>(float.PositiveInfinity);
            var vMax = new Vector<float>(float.NegativeInfinity);
            var vLargest = new Vector<float>(float.MaxValue);
            var allFinite = Vector<int>.AllBitsSet;
            for (; i <= values.Length - width; i += width)
            {
                var v = new Vector<float>(values.Slice(i, width));
                vMin = Vector.Min(vMin, v);
                vMax = Vector.Max(vMax, v);
                // NaN compares false, infinity is above float.MaxValue
                allFinite &= Vector.LessThanOrEqual(Vector.Abs(v), vLargest);
            }
            finite = Vector.EqualsAll(allFinite, Vector<int>.AllBitsSet);
            for (var k = 0; k < width; k++)
            {
                min = MathF.Min(min, vMin[k]);
                max = MathF.Max(max, vMax[k]);
            }
        }
        for (; i < values.Length; i++)
        {
            var x = values[i];
            if (!float.IsFinite(x)) finite = false;
            if (x < min) min = x;
            if (x > max) max = x;
        }
        return finite;
    }
}
