using System.Diagnostics;

namespace Optimizer.Runtime.Benchmark;

/// <summary>
/// The timed runs. Latencies go into an array sized before the loop; the loop itself reads the clock, runs, and
/// stores one double, so it allocates nothing per run. Progress is reported at most ten times a second.
/// </summary>
public static class TimingLoop
{
    /// <summary>Runs <paramref name="run"/> <paramref name="runs"/> times, or until <paramref name="duration"/> passes
    /// (then at most <c>latencies.Length</c> runs). Returns how many runs were timed.</summary>
    public static int Measure(Action run, double[] latencies, int runs, TimeSpan? duration, Action<int>? progress, CancellationToken cancel)
    {
        var limit = duration is null ? Math.Min(runs, latencies.Length) : latencies.Length;
        var end = duration is null ? long.MaxValue : Stopwatch.GetTimestamp() + (long)(duration.Value.TotalSeconds * Stopwatch.Frequency);
        var reportEvery = Stopwatch.Frequency / 10;
        var nextReport = Stopwatch.GetTimestamp() + reportEvery;
        var toMs = 1000.0 / Stopwatch.Frequency;
        var count = 0;
        while (count < limit)
        {
            var start = Stopwatch.GetTimestamp();
            run();
            var stop = Stopwatch.GetTimestamp();
            latencies[count++] = (stop - start) * toMs;
            if (stop >= nextReport)
            {
                cancel.ThrowIfCancellationRequested();
                progress?.Invoke(count);
                nextReport = stop + reportEvery;
            }
            if (stop >= end) break;
        }
        progress?.Invoke(count);
        return count;
    }

    /// <summary>How many runs a <paramref name="duration"/> can hold, from the fastest warm-up run, with room to spare.</summary>
    public static int CapacityFor(TimeSpan duration, double fastestRunMs) =>
        (int)Math.Clamp(duration.TotalMilliseconds / Math.Max(fastestRunMs, 0.001) * 1.5 + 16, 16, 50_000_000);
}
