using Optimizer.Onnx.Errors;

namespace Optimizer.Runtime.Calibration;

/// <summary>
/// Turns one tensor's statistics into its range. Every range is widened to hold zero and never reaches beyond the
/// values seen:
/// <list type="bullet">
/// <item>MinMax: (min, max); symmetric: (-amax, amax) with amax = max(|min|, |max|).</item>
/// <item>Percentile: symmetric: (-t, t) with t the <see cref="PercentileThreshold.OfAbsolute(TailValues, double)">percentile of |x|</see>;
/// otherwise both tails of x cut by (100 - P) / 2 % each (<see cref="PercentileThreshold.OfSigned(TailValues, double)"/>), clamped
/// to (min, max). Read exactly from the statistics' <see cref="TensorStatistics.Tails"/> when they hold it, else from the histogram.</item>
/// <item>Entropy: t from <see cref="EntropyThreshold"/> on |x|, at most amax; symmetric: (-t, t); otherwise (-t, t)
/// intersected with (min, max), so a tensor without negative values gets (0, t).</item>
/// <item>Auto: the one of the three above with the smallest <see cref="QuantizationError.Expected">expected quantization
/// error</see> on the tensor's histogram, on the grid the range gives (symmetric int8 or asymmetric uint8); on a tie the
/// first in that order.</item>
/// </list>
/// </summary>
public static class RangeChoice
{
    /// <summary>The methods <see cref="CalibrationMethod.Auto"/> chooses among, in the order ties are broken.</summary>
    public static readonly IReadOnlyList<CalibrationMethod> AutoCandidates = [CalibrationMethod.MinMax, CalibrationMethod.Percentile, CalibrationMethod.Entropy];

    public static TensorRange Choose(TensorStatistics stats, CalibrationMethod method, double percentile = 99.99, bool symmetric = false) =>
        ChooseWithMethod(stats, method, percentile, symmetric).Range;

    /// <summary>The range, and the method that gave it (for <see cref="CalibrationMethod.Auto"/>: the one chosen).</summary>
    public static (TensorRange Range, CalibrationMethod Method) ChooseWithMethod(TensorStatistics stats, CalibrationMethod method, double percentile = 99.99, bool symmetric = false)
    {
        if (method != CalibrationMethod.Auto || stats.Count == 0) return (Single(stats, method, percentile, symmetric), method);
        CheckPercentile(percentile);
        (TensorRange Range, CalibrationMethod Method)? best = null;
        var bestError = double.PositiveInfinity;
        foreach (var candidate in AutoCandidates)
        {
            var range = Single(stats, candidate, percentile, symmetric);
            var error = QuantizationError.Expected(stats.Histogram, stats.Min, stats.Max, QuantizationGrid.For(range, symmetric));
            if (best is null || error < bestError)
            {
                best = (range, candidate);
                bestError = error;
            }
        }
        return best!.Value;
    }

    private static TensorRange Single(TensorStatistics stats, CalibrationMethod method, double percentile, bool symmetric)
    {
        CheckPercentile(percentile);
        if (stats.Count == 0) return new TensorRange(stats.Name, 0, 0) { Observed = false };
        double min = stats.Min, max = stats.Max;
        var amax = Math.Max(Math.Abs(min), Math.Abs(max));
        var histogram = stats.Histogram;
        var (low, high) = method switch
        {
            CalibrationMethod.MinMax => symmetric ? (-amax, amax) : (min, max),
            CalibrationMethod.Percentile when stats.TailsAnswer(percentile, symmetric) && symmetric => Symmetric(PercentileThreshold.OfAbsolute(stats.Tails!, percentile), amax),
            CalibrationMethod.Percentile when stats.TailsAnswer(percentile, symmetric) => Clamp(PercentileThreshold.OfSigned(stats.Tails!, percentile), min, max),
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
