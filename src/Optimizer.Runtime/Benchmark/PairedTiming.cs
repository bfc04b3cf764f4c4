using System.Diagnostics;

namespace Optimizer.Runtime.Benchmark;

/// <summary>
/// Times two models side by side in one run: after warming both up, each round times the baseline and the candidate
/// once (each after an untimed run of its own), in alternating order (AB, BA, ...), so drift of the machine
/// (frequency, other load) meets both alike. Rounds continue until both the minimum count and the minimum time are
/// reached, or the maximum count is. At as many threads as cores the other session's spinning workers still slow each
/// run (2 cores, 2 threads: 7.1 and 6.5 ms in pairs against 2.05 and 1.38 ms alone); time such runs alone.
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
            var first = Settled(baselineFirst ? baseline : candidate, toMs);
            var second = Settled(baselineFirst ? candidate : baseline, toMs);
            a.Add(baselineFirst ? first : second);
            b.Add(baselineFirst ? second : first);
            if (a.Count % 10 == 0) progress?.Invoke(a.Count);
        }
        return (a.ToArray(), b.ToArray());
    }

    /// <summary>
    /// One timed run after an untimed one: the first run after the other model's meets caches and thread pools that
    /// model left behind (at 1 thread, FP32 mobilenet_v2 against its INT8 budget model timed 1.40x that way, 1.54x
    /// settled, as each timed alone).
    /// </summary>
    private static double Settled(Action run, double toMs)
    {
        run();
        return Time(run, toMs);
    }

    private static double Time(Action run, double toMs)
    {
        var start = Stopwatch.GetTimestamp();
        run();
        return (Stopwatch.GetTimestamp() - start) * toMs;
    }
}
