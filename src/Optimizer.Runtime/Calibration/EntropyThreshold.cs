namespace Optimizer.Runtime.Calibration;

/// <summary>
/// TensorRT's EntropyCalibration2 threshold search on a histogram of |x|, as NVIDIA's pytorch-quantization
/// (<c>_compute_amax_entropy</c>) does it:
/// <list type="number">
/// <item>the count of bin 0 is replaced by that of bin 1 (so the many exact zeros after a ReLU do not dominate);</item>
/// <item>for every candidate i from 128 to the number of bins: the reference P is bins[0..i) with the counts of all
/// bins from i on (the outliers) added to its last bin; Q is bins[0..i) quantized to 128 levels (bin j belongs to
/// level floor(j*128/i)), each level's total spread evenly over its non-empty bins, empty bins staying empty (the
/// outliers are not in Q); both are normalized and the divergence is KL(P||Q) (infinite where P has mass and Q none);</item>
/// <item>the threshold is the bin edge i * binWidth of the i with the smallest divergence, the largest such i on a tie.</item>
/// </list>
/// The divergence is computed in closed form per level from prefix sums (sum of c log c over the bins, totals and
/// counts of non-empty bins), which equals the per-bin sum up to rounding and costs O(128) per candidate instead of O(i).
/// </summary>
public static class EntropyThreshold
{
    /// <summary>The number of levels of 8-bit symmetric quantization on one sign (and the first candidate).</summary>
    public const int Levels = 128;

    /// <summary>
    /// The threshold for the |x| histogram <paramref name="absolute"/> whose bins are <paramref name="binWidth"/> wide;
    /// 0 for an empty histogram. A histogram of fewer than 128 bins gets its upper edge.
    /// </summary>
    public static double Find(ReadOnlySpan<long> absolute, double binWidth)
    {
        var n = absolute.Length;
        if (n < Levels) return n * binWidth;
        var empty = true;
        foreach (var c in absolute) empty &= c == 0;
        if (empty) return 0;
        var divergences = Divergences(absolute);
        var best = double.PositiveInfinity;
        var bestI = n;
        for (var k = 0; k < divergences.Length; k++)
        {
            // "<=": on a tie the larger threshold wins, as in the reference
            if (divergences[k] <= best)
            {
                best = divergences[k];
                bestI = Levels + k;
            }
        }
        return bestI * binWidth;
    }

    /// <summary>
    /// KL(P||Q) for every candidate i = 128 .. bins (element i - 128); all zero for an empty histogram.
    /// The histogram must have at least 128 bins.
    /// </summary>
    internal static double[] Divergences(ReadOnlySpan<long> absolute)
    {
        var n = absolute.Length;
        var bins = new double[n];
        for (var j = 0; j < n; j++) bins[j] = absolute[j];
        bins[0] = bins[1];

        // prefix sums over bins [0, j): totals, non-empty bins, and sum of c log c
        var sum = new double[n + 1];
        var nonEmpty = new int[n + 1];
        var xLogX = new double[n + 1];
        for (var j = 0; j < n; j++)
        {
            sum[j + 1] = sum[j] + bins[j];
            nonEmpty[j + 1] = nonEmpty[j] + (bins[j] > 0 ? 1 : 0);
            xLogX[j + 1] = xLogX[j] + XLogX(bins[j]);
        }
        var divergences = new double[n - Levels + 1];
        var total = sum[n];
        if (total <= 0) return divergences;
        var logTotal = Math.Log(total);
        for (var i = Levels; i <= n; i++)
            divergences[i - Levels] = Divergence(bins, sum, nonEmpty, xLogX, i, total, logTotal);
        return divergences;
    }

    /// <summary>KL(P||Q) for candidate <paramref name="i"/> (see the class summary).</summary>
    private static double Divergence(double[] bins, double[] sum, int[] nonEmpty, double[] xLogX, int i, double total, double logTotal)
    {
        var tail = total - sum[i];
        // P's last bin holds the outliers; Q has nothing there when that bin itself is empty
        if (bins[i - 1] == 0 && tail > 0) return double.PositiveInfinity;
        var kept = sum[i];
        if (kept <= 0) return double.PositiveInfinity;

        // sum p log p, with p = c / total
        var last = bins[i - 1] + tail;
        var pLogP = (xLogX[i - 1] + XLogX(last)) / total - logTotal;

        // sum p log q, with q = (level total / non-empty bins of the level) / kept on every non-empty bin
        var weighted = 0.0;
        for (var k = 0; k < Levels; k++)
        {
            var start = (k * i + Levels - 1) / Levels;
            var end = ((k + 1) * i + Levels - 1) / Levels;
            var count = nonEmpty[end] - nonEmpty[start];
            if (count == 0) continue;
            var levelTotal = sum[end] - sum[start];
            var mass = end == i ? levelTotal + tail : levelTotal;
            weighted += mass * Math.Log(levelTotal / count);
        }
        var pLogQ = weighted / total - Math.Log(kept);
        return pLogP - pLogQ;
    }

    private static double XLogX(double c) => c > 0 ? c * Math.Log(c) : 0;
}
