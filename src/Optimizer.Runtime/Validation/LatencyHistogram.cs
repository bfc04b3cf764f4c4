namespace Optimizer.Runtime.Validation;

/// <summary>
/// Latency percentiles in constant memory: counts in logarithmic buckets 0.5 % wide from 1 µs to about 20 minutes,
/// so a percentile is known to within 0.5 % however many samples were timed.
/// </summary>
public sealed class LatencyHistogram
{
    private const double MinMs = 0.001;
    private const double Growth = 1.005;
    private static readonly double LogGrowth = Math.Log(Growth);
    private readonly long[] _counts = new long[(int)(Math.Log(1.2e6 / MinMs) / LogGrowth) + 2];

    public long Count { get; private set; }

    public void Add(double ms)
    {
        var bucket = ms <= MinMs ? 0 : Math.Min((int)(Math.Log(ms / MinMs) / LogGrowth) + 1, _counts.Length - 1);
        _counts[bucket]++;
        Count++;
    }

    /// <summary>The p-th percentile (0..100): the middle of the bucket holding that rank; NaN when empty.</summary>
    public double Percentile(double p)
    {
        if (Count == 0) return double.NaN;
        var rank = (long)Math.Ceiling(p / 100.0 * Count);
        rank = Math.Clamp(rank, 1, Count);
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank) return i == 0 ? MinMs : MinMs * Math.Pow(Growth, i - 0.5);
        }
        return double.NaN;
    }
}
