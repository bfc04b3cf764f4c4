using System.Diagnostics;

namespace Optimizer.Runtime.Benchmark;

/// <summary>
/// Times two models side by side in one run: after warming both up, each round runs the baseline and the candidate
/// once, in alternating order (AB, BA, ...), so drift of the machine (frequency, other load) meets both alike. Rounds
/// continue until both the minimum count and the minimum time are reached, or the maximum count is.
/// </summary>
public static class PairedTiming
{
    public sealed record Settings
    {
        public int Warmup { get; init; } = 10;
        public int MinRounds { get; init; } = 50;
        public int MaxRounds { get; init; } = 2000;
        /// <summary>Keep going until this much time has passed (both models together), for a stable median on fast models.</summary>
        public TimeSpan MinDuration { get; init; } = TimeSpan.FromSeconds(2);
    }

    /// <returns>Each round's baseline and candidate latency in ms.</returns>
    public static (double[] BaselineMs, double[] CandidateMs) Measure(Action baseline, Action candidate, Settings settings, CancellationToken cancel,
        Action<int>? progress = null)
    {
        for (var i = 0; i < settings.Warmup; i++)
        {
            baseline();
            candidate();
        }
        var (a, b) = (new List<double>(), new List<double>());
        var clock = Stopwatch.StartNew();
        var toMs = 1000.0 / Stopwatch.Frequency;
        while (a.Count < settings.MaxRounds && (a.Count < settings.MinRounds || clock.Elapsed < settings.MinDuration))
        {
            cancel.ThrowIfCancellationRequested();
            var baselineFirst = a.Count % 2 == 0;
            var first = Time(baselineFirst ? baseline : candidate, toMs);
            var second = Time(baselineFirst ? candidate : baseline, toMs);
            a.Add(baselineFirst ? first : second);
            b.Add(baselineFirst ? second : first);
            if (a.Count % 10 == 0) progress?.Invoke(a.Count);
        }
        return (a.ToArray(), b.ToArray());
    }

    private static double Time(Action run, double toMs)
    {
        var start = Stopwatch.GetTimestamp();
        run();
        return (Stopwatch.GetTimestamp() - start) * toMs;
    }
}
