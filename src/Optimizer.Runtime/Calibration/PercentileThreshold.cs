namespace Optimizer.Runtime.Calibration;

/// <summary>
/// Percentile thresholds read from a histogram, as ONNX Runtime's and pytorch-quantization's percentile calibrators do,
/// except that an upper threshold is the upper edge of the bin where the cumulative count reaches the percentile (they
/// take its lower edge): so at least the asked share of values lies at or below it, and only the outliers are clipped.
/// </summary>
public static class PercentileThreshold
{
    /// <summary>The value below which <paramref name="percentile"/> % of |x| lies, from the |x| histogram.</summary>
    public static double OfAbsolute(ReadOnlySpan<long> absolute, double binWidth, double percentile)
    {
        var bin = FirstReaching(absolute, Total(absolute) * (percentile / 100));
        return (bin + 1) * binWidth;
    }

    /// <summary>
    /// Both tails of x cut equally, as ONNX Runtime's asymmetric percentile: (100 - P) / 2 % of the values lie below
    /// the lower threshold at most (the lower edge of the bin where the cumulative count reaches that share) and as
    /// many above the upper one. <paramref name="signed"/> runs from -limit to +limit in bins of <paramref name="binWidth"/>.
    /// </summary>
    public static (double Low, double High) OfSigned(ReadOnlySpan<long> signed, double limit, double binWidth, double percentile)
    {
        var total = Total(signed);
        var cut = (100 - percentile) / 200;
        var low = FirstReaching(signed, total * cut);
        var high = FirstReaching(signed, total * (1 - cut));
        return (-limit + low * binWidth, -limit + (high + 1) * binWidth);
    }

    /// <summary>The first bin where the cumulative count reaches <paramref name="target"/> (the last bin if none does).</summary>
    private static int FirstReaching(ReadOnlySpan<long> counts, double target)
    {
        long cumulative = 0;
        for (var j = 0; j < counts.Length; j++)
        {
            cumulative += counts[j];
            if (cumulative > 0 && cumulative >= target) return j;
        }
        return counts.Length - 1;
    }

    private static long Total(ReadOnlySpan<long> counts)
    {
        long total = 0;
        foreach (var c in counts) total += c;
        return total;
    }
}
