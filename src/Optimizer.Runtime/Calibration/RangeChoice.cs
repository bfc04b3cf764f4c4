using Optimizer.Onnx.Errors;

namespace Optimizer.Runtime.Calibration;

/// <summary>
/// Turns one tensor's statistics into its range. Every range is widened to hold zero and never reaches beyond the
/// values seen:
/// <list type="bullet">
/// <item>MinMax: (min, max); symmetric: (-amax, amax) with amax = max(|min|, |max|).</item>
/// <item>Percentile: symmetric: (-t, t) with t the <see cref="PercentileThreshold.OfAbsolute">percentile of |x|</see>;
/// otherwise both tails of x cut by (100 - P) / 2 % each (<see cref="PercentileThreshold.OfSigned"/>), clamped to (min, max).</item>
/// <item>Entropy: t from <see cref="EntropyThreshold"/> on |x|, at most amax; symmetric: (-t, t); otherwise (-t, t)
/// intersected with (min, max), so a tensor without negative values gets (0, t).</item>
/// </list>
/// </summary>
public static class RangeChoice
{
    public static TensorRange Choose(TensorStatistics stats, CalibrationMethod method, double percentile = 99.99, bool symmetric = false)
    {
        CheckPercentile(percentile);
        if (stats.Count == 0) return new TensorRange(stats.Name, 0, 0);
        double min = stats.Min, max = stats.Max;
        var amax = Math.Max(Math.Abs(min), Math.Abs(max));
        var histogram = stats.Histogram;
        var (low, high) = method switch
        {
            CalibrationMethod.MinMax => symmetric ? (-amax, amax) : (min, max),
            CalibrationMethod.Percentile when symmetric => Symmetric(PercentileThreshold.OfAbsolute(histogram.Absolute(), histogram.BinWidth, percentile), amax),
            CalibrationMethod.Percentile => Clamp(PercentileThreshold.OfSigned(histogram.Counts, histogram.Limit, histogram.BinWidth, percentile), min, max),
            CalibrationMethod.Entropy when symmetric => Symmetric(EntropyThreshold.Find(histogram.Absolute(), histogram.BinWidth), amax),
            CalibrationMethod.Entropy => Clamp(Symmetric(EntropyThreshold.Find(histogram.Absolute(), histogram.BinWidth), amax), min, max),
            _ => throw new ArgumentOutOfRangeException(nameof(method), method, null),
        };
        return new TensorRange(stats.Name, (float)Math.Min(low, 0), (float)Math.Max(high, 0));
    }

    /// <summary>Refuses a percentile outside (0, 100].</summary>
    public static void CheckPercentile(double percentile)
    {
        if (!(percentile > 0 && percentile <= 100))
            throw new InvalidInputException($"calibration percentile {percentile} is not in (0, 100]");
    }

    private static (double, double) Symmetric(double threshold, double amax)
    {
        var t = Math.Min(threshold, amax);
        return (-t, t);
    }

    private static (double, double) Clamp((double Low, double High) range, double min, double max) =>
        (Math.Max(range.Low, min), Math.Min(range.High, max));
}
