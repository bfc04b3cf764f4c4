namespace Optimizer.Runtime.Benchmark;

/// <summary>Latency statistics over the timed runs, in milliseconds. Percentiles interpolate linearly between ranks.</summary>
public sealed record LatencyStats(double Min, double Mean, double Std, double P50, double P90, double P95, double P99, double Max)
{
    public static LatencyStats From(ReadOnlySpan<double> milliseconds)
    {
        if (milliseconds.Length == 0) throw new ArgumentException("no timed runs");
        var sorted = milliseconds.ToArray();
        Array.Sort(sorted);
        double sum = 0;
        foreach (var v in sorted) sum += v;
        var mean = sum / sorted.Length;
        double squares = 0;
        foreach (var v in sorted) squares += (v - mean) * (v - mean);
        var std = sorted.Length > 1 ? Math.Sqrt(squares / (sorted.Length - 1)) : 0;
        return new LatencyStats(sorted[0], mean, std, Percentile(sorted, 50), Percentile(sorted, 90), Percentile(sorted, 95),
            Percentile(sorted, 99), sorted[^1]);
    }

    /// <summary>The p-th percentile of sorted values (linear interpolation between closest ranks, as numpy's default).</summary>
    public static double Percentile(double[] sorted, double p)
    {
        var rank = p / 100.0 * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = Math.Min(low + 1, sorted.Length - 1);
        return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
    }
}
