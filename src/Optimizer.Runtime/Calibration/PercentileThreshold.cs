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

    /// <summary>
    /// The share of values a percentile cuts from one side: (100 - P) / 100 of |x| for symmetric ranges, (100 - P) / 200
    /// from each end of x otherwise.
    /// </summary>
    public static double Share(double percentile, bool symmetric) => (100 - percentile) / (symmetric ? 100 : 200);

    /// <summary>
    /// As <see cref="OfAbsolute(ReadOnlySpan{long}, double, double)"/>, exactly, from the tails of |x|: the smallest |x|
    /// with at least <paramref name="percentile"/> % of the values at or below it.
    /// </summary>
    public static double OfAbsolute(TailValues tails, double percentile)
    {
        var n = tails.Count;
        return tails.Largest(n - AscendingRank(n, percentile / 100) + 1);
    }

    /// <summary>
    /// As <see cref="OfSigned(ReadOnlySpan{long}, double, double, double)"/>, exactly, from the tails of x: the lower
    /// threshold is the value of ascending rank ceil(cut N), the upper one that of rank ceil((1 - cut) N).
    /// </summary>
    public static (double Low, double High) OfSigned(TailValues tails, double percentile)
    {
        var n = tails.Count;
        var cut = Share(percentile, symmetric: false);
        return (tails.Smallest(AscendingRank(n, cut)), tails.Largest(n - AscendingRank(n, 1 - cut) + 1));
    }

    /// <summary>The 1-based rank, from the smallest, of the first value with at least <paramref name="share"/> of <paramref name="n"/> at or below it.</summary>
    private static long AscendingRank(long n, double share) => Math.Clamp((long)Math.Ceiling(share * n - 1e-9 * n), 1, n);

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
