namespace Optimizer.Runtime.Benchmark;

/// <summary>
/// How much faster a candidate ran than its baseline, timed side by side: the ratio of the medians (baseline p50 /
/// candidate p50) and a bootstrap interval around it. The rounds are resampled in pairs (one baseline run and one
/// candidate run each), so a slow stretch of the machine falls on both models alike; timed in turns
/// (<see cref="PairedTiming"/>), whole pairs of turns are resampled, since the runs of one turn share the load of its
/// moment: a stretch of other work on the machine during one model's turn then widens the interval instead of making a
/// model look surely slower than itself (measured: the same model as baseline and candidate under a load average of 4
/// gave 0.60x, "95 % interval 0.48-0.81", resampling single pairs). The resampling is seeded, so the same latencies give
/// the same interval.
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

    public static SpeedupEstimate FromPairs(IReadOnlyList<double> baselineMs, IReadOnlyList<double> candidateMs, int seed = 1) =>
        FromTurns(baselineMs, candidateMs, Enumerable.Range(0, baselineMs.Count).ToArray(), seed);

    /// <summary>From runs timed in turns: the bootstrap resamples whole pairs of turns.</summary>
    public static SpeedupEstimate FromTimes(PairedTiming.Times times, int seed = 1) => FromTurns(times.BaselineMs, times.CandidateMs, times.TurnStarts, seed);

    private static SpeedupEstimate FromTurns(IReadOnlyList<double> baselineMs, IReadOnlyList<double> candidateMs, int[] turnStarts, int seed)
    {
        if (baselineMs.Count != candidateMs.Count || baselineMs.Count == 0)
            throw new ArgumentException("a speed-up needs the same number of timed runs of both models, at least one");
        var n = baselineMs.Count;
        if (turnStarts.Length == 0 || turnStarts[0] != 0 || turnStarts.Any(t => t >= n))
            throw new ArgumentException("turns start at run 0 and within the runs");
        var ratio = Median(baselineMs) / Median(candidateMs);
        var random = new Random(seed);
        var (a, b) = (new List<double>(n * 2), new List<double>(n * 2));
        var ratios = new double[Resamples];
        var turns = turnStarts.Length;
        for (var r = 0; r < Resamples; r++)
        {
            a.Clear();
            b.Clear();
            // as many turns as were timed, drawn with replacement (each a single pair when there were no turns)
            for (var t = 0; t < turns; t++)
            {
                var k = random.Next(turns);
                var end = k + 1 < turns ? turnStarts[k + 1] : n;
                for (var i = turnStarts[k]; i < end; i++)
                {
                    a.Add(baselineMs[i]);
                    b.Add(candidateMs[i]);
                }
            }
            ratios[r] = Median(a) / Median(b);
        }
        Array.Sort(ratios);
        var tail = (1 - DefaultConfidence) / 2;
        return new SpeedupEstimate(ratio, Quantile(ratios, tail), Quantile(ratios, 1 - tail), n, DefaultConfidence);
    }

    /// <summary>The interval excludes <paramref name="threshold"/> from above: the candidate is surely slower than asked.</summary>
    public bool SurelyBelow(double threshold) => High < threshold;

    /// <summary>
    /// "1.23x (95 % interval 1.19-1.27, 200 paired runs)"; three digits when the ratio or the interval's upper end lies
    /// within 1 % of 1, so that an interval surely below 1 never reads "1.00-1.00".
    /// </summary>
    public string Describe()
    {
        var format = Math.Abs(Ratio - 1) < 0.01 || Math.Abs(High - 1) < 0.01 ? "0.000" : "0.00";
        string F(double x) => x.ToString(format, System.Globalization.CultureInfo.InvariantCulture);
        return $"{F(Ratio)}x (95 % interval {F(Low)}-{F(High)}, {Rounds} paired runs)";
    }

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
