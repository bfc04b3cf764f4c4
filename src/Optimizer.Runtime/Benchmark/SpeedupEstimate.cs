namespace Optimizer.Runtime.Benchmark;

/// <summary>
/// How much faster a candidate ran than its baseline, timed side by side: the ratio of the medians (baseline p50 /
/// candidate p50) and a bootstrap interval around it. The rounds are resampled in pairs (one baseline run and one
/// candidate run each), so a slow stretch of the machine falls on both models alike; the resampling is seeded, so the
/// same latencies give the same interval.
/// </summary>
/// <param name="Ratio">Baseline median / candidate median: above 1 when the candidate is faster.</param>
/// <param name="Low">The interval's lower end.</param>
/// <param name="High">The interval's upper end.</param>
/// <param name="Rounds">Paired rounds timed.</param>
/// <param name="Confidence">The interval's coverage (0.95).</param>
public sealed record SpeedupEstimate(double Ratio, double Low, double High, int Rounds, double Confidence)
{
    public const double DefaultConfidence = 0.95;
    private const int Resamples = 2000;

    public static SpeedupEstimate FromPairs(IReadOnlyList<double> baselineMs, IReadOnlyList<double> candidateMs, int seed = 1)
    {
        if (baselineMs.Count != candidateMs.Count || baselineMs.Count == 0)
            throw new ArgumentException("a speed-up needs the same number of timed runs of both models, at least one");
        var n = baselineMs.Count;
        var ratio = Median(baselineMs) / Median(candidateMs);
        var random = new Random(seed);
        var (a, b) = (new double[n], new double[n]);
        var ratios = new double[Resamples];
        for (var r = 0; r < Resamples; r++)
        {
            for (var i = 0; i < n; i++)
            {
                var k = random.Next(n);
                (a[i], b[i]) = (baselineMs[k], candidateMs[k]);
            }
            ratios[r] = Median(a) / Median(b);
        }
        Array.Sort(ratios);
        var tail = (1 - DefaultConfidence) / 2;
        return new SpeedupEstimate(ratio, Quantile(ratios, tail), Quantile(ratios, 1 - tail), n, DefaultConfidence);
    }

    /// <summary>The interval excludes <paramref name="threshold"/> from above: the candidate is surely slower than asked.</summary>
    public bool SurelyBelow(double threshold) => High < threshold;

    /// <summary>"1.23x (95 % interval 1.19-1.27, 200 paired runs)".</summary>
    public string Describe() => FormattableString.Invariant($"{Ratio:0.00}x (95 % interval {Low:0.00}-{High:0.00}, {Rounds} paired runs)");

    private static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.ToArray();
        Array.Sort(sorted);
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static double Quantile(double[] sorted, double q)
    {
        var position = q * (sorted.Length - 1);
        var low = (int)Math.Floor(position);
        var high = Math.Min(low + 1, sorted.Length - 1);
        return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
    }
}
