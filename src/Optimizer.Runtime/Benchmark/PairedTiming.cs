using System.Diagnostics;

namespace Optimizer.Runtime.Benchmark;

/// <summary>
/// Times two models side by side in one run. After warming both up, each turn gives one model a block of runs: untimed
/// runs to settle, then timed ones; the next turn gives the other model as many timed runs, and turns alternate which
/// model goes first (AB, BA, ...), so drift of the machine (frequency, other load) meets both alike. Turns continue
/// until both the minimum count of timed runs and the minimum time are reached, or the maximum count is.
/// </summary>
/// <remarks>
/// Why blocks and not one run each: a model that runs right after the other one is slowed for several runs, not one
/// (at 1 thread on a 2-core machine, INT8 bert_mini after its FP32 baseline: 2.44, 2.23, 2.19 ... reaching its 2.0 ms
/// alone only after about 12 runs; INT8 squeezenet1_1 1.37-1.48 ms one run each against 1.26-1.27 ms in blocks and 1.28 ms
/// alone). Runs one each measured 2.21x for bert_mini where each model alone gives 2.36x; in blocks of 10 after 10
/// settling runs, 2.35x. A deployed model runs back to back with itself, so blocks measure what it will see.
/// </remarks>
public static class PairedTiming
{
    public sealed record Settings
    {
        public int Warmup { get; init; } = 10;
        public int MinRounds { get; init; } = 50;
        public int MaxRounds { get; init; } = 2000;
        /// <summary>Keep going until this much time has passed (both models together), for a stable median on fast models.</summary>
        public TimeSpan MinDuration { get; init; } = TimeSpan.FromSeconds(2);
        /// <summary>
        /// Stop once this much time has passed and <see cref="FloorRounds"/> are timed, even below <see cref="MinRounds"/>
        /// (null: no limit): a model that runs a second would otherwise keep validate busy for minutes.
        /// </summary>
        public TimeSpan? MaxDuration { get; init; } = TimeSpan.FromSeconds(30);
        /// <summary>The timed runs per model <see cref="MaxDuration"/> never cuts below.</summary>
        public int FloorRounds { get; init; } = 10;
        /// <summary>Timed runs of one model in a row, per turn.</summary>
        public int Block { get; init; } = 10;
        /// <summary>Untimed runs before each block, so the block does not pay for the caches the other model left.</summary>
        public int Settle { get; init; } = 10;
        /// <summary>Settling, and a block, end early (after at least one run) once they have taken this long: slow models need fewer runs to settle.</summary>
        public TimeSpan BlockTime { get; init; } = TimeSpan.FromMilliseconds(500);
    }

    /// <summary>
    /// The baseline's and the candidate's timed latencies in ms, paired by index (the i-th runs of the same pair of
    /// turns), and where each pair of turns starts: runs of one turn share the machine's state of that moment, so an
    /// interval resamples whole turns (<see cref="SpeedupEstimate.FromTimes"/>).
    /// </summary>
    public sealed record Times(double[] BaselineMs, double[] CandidateMs, int[] TurnStarts)
    {
        public void Deconstruct(out double[] baselineMs, out double[] candidateMs) => (baselineMs, candidateMs) = (BaselineMs, CandidateMs);
    }

    public static Times Measure(Action baseline, Action candidate, Settings settings, CancellationToken cancel,
        Action<int>? progress = null)
    {
        for (var i = 0; i < settings.Warmup; i++)
        {
            baseline();
            candidate();
        }
        var (a, b) = (new List<double>(), new List<double>());
        var starts = new List<int>();
        var clock = Stopwatch.StartNew();
        for (var turn = 0; a.Count < settings.MaxRounds && (a.Count < settings.MinRounds || clock.Elapsed < settings.MinDuration); turn++)
        {
            if (settings.MaxDuration is { } limit && clock.Elapsed >= limit && a.Count >= settings.FloorRounds) break;
            cancel.ThrowIfCancellationRequested();
            var want = Math.Min(Math.Max(settings.Block, 1), settings.MaxRounds - a.Count);
            if (clock.Elapsed >= settings.MinDuration) want = Math.Min(want, settings.MinRounds - a.Count);
            var baselineFirst = turn % 2 == 0;
            var first = Turn(baselineFirst ? baseline : candidate, want, settings, limitByTime: true);
            var second = Turn(baselineFirst ? candidate : baseline, first.Count, settings, limitByTime: false);
            starts.Add(a.Count);
            a.AddRange(baselineFirst ? first : second);
            b.AddRange(baselineFirst ? second : first);
            progress?.Invoke(a.Count);
        }
        return new Times(a.ToArray(), b.ToArray(), starts.ToArray());
    }

    /// <summary>
    /// Settling runs, then up to <paramref name="count"/> timed ones (exactly <paramref name="count"/> unless
    /// <paramref name="limitByTime"/>, when the block ends after <see cref="Settings.BlockTime"/>).
    /// </summary>
    private static List<double> Turn(Action run, int count, Settings settings, bool limitByTime)
    {
        var settling = Stopwatch.StartNew();
        for (var i = 0; i < settings.Settle && (i == 0 || settling.Elapsed < settings.BlockTime); i++) run();
        var times = new List<double>(count);
        var block = Stopwatch.StartNew();
        var toMs = 1000.0 / Stopwatch.Frequency;
        while (times.Count < count && (times.Count == 0 || !limitByTime || block.Elapsed < settings.BlockTime))
        {
            var start = Stopwatch.GetTimestamp();
            run();
            times.Add((Stopwatch.GetTimestamp() - start) * toMs);
        }
        return times;
    }
}
