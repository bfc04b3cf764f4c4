using Optimizer.Runtime.Benchmark;
using Optimizer.Runtime.Validation;

namespace Optimizer.Runtime.Tests.Benchmark;

/// <summary>
/// The speed-up of validate (and bench --baseline) comes from both models timed side by side, with an interval; a
/// --min-speedup gate fails only when the whole interval is below it. Checked on constructed latencies whose answer
/// is known, not on the clock.
/// </summary>
public sealed class SideBySideTimingTests
{
    /// <summary>Latencies around <paramref name="medianMs"/> with multiplicative noise, from a seeded generator.</summary>
    private static double[] Noisy(double medianMs, double spread, int n, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => medianMs * (1 + spread * (random.NextDouble() * 2 - 1))).ToArray();
    }

    [Fact]
    public void Twice_as_fast_gives_a_ratio_near_two_with_an_interval_that_excludes_one()
    {
        var e = SpeedupEstimate.FromPairs(Noisy(10, 0.1, 200, 1), Noisy(5, 0.1, 200, 2));
        Assert.InRange(e.Ratio, 1.9, 2.1);
        Assert.True(e.Low <= e.Ratio && e.Ratio <= e.High);
        Assert.True(e.Low > 1.8, $"{e.Describe()}");
        Assert.True(e.High < 2.2, $"{e.Describe()}");
        Assert.Equal(200, e.Rounds);
        Assert.Equal(e, SpeedupEstimate.FromPairs(Noisy(10, 0.1, 200, 1), Noisy(5, 0.1, 200, 2))); // seeded: the same interval again
    }

    [Fact]
    public void The_same_model_gives_an_interval_around_one_and_a_wider_one_with_fewer_runs()
    {
        var many = SpeedupEstimate.FromPairs(Noisy(10, 0.3, 400, 3), Noisy(10, 0.3, 400, 4));
        var few = SpeedupEstimate.FromPairs(Noisy(10, 0.3, 20, 3), Noisy(10, 0.3, 20, 4));
        Assert.True(many.Low < 1 && 1 < many.High, many.Describe());
        Assert.True(few.High - few.Low > many.High - many.Low, $"{few.Describe()} vs {many.Describe()}");
    }

    [Fact]
    public void Load_during_some_turns_widens_the_interval_instead_of_making_a_model_surely_slower_than_itself()
    {
        // the same model on both sides, 8 turns of 10 runs; other work on the machine slowed the candidate's turns 1, 2,
        // 4 and 6 and the baseline's turn 5: single pairs resampled call the candidate surely slower, whole turns do not
        var (a, b) = (new List<double>(), new List<double>());
        var random = new Random(7);
        for (var turn = 0; turn < 8; turn++)
            for (var i = 0; i < 10; i++)
            {
                a.Add(10 * (1 + 0.02 * random.NextDouble()) * (turn == 5 ? 1.6 : 1));
                b.Add(10 * (1 + 0.02 * random.NextDouble()) * (turn is 1 or 2 or 4 or 6 ? 1.6 : 1));
            }
        var times = new PairedTiming.Times(a.ToArray(), b.ToArray(), Enumerable.Range(0, 8).Select(t => t * 10).ToArray());
        var pairs = SpeedupEstimate.FromPairs(a, b);
        var turns = SpeedupEstimate.FromTimes(times);
        Assert.True(pairs.SurelyBelow(1), pairs.Describe());
        Assert.False(turns.SurelyBelow(1), turns.Describe());
        Assert.Equal(pairs.Ratio, turns.Ratio);
    }

    [Fact]
    public void An_interval_just_below_one_is_written_with_three_digits()
    {
        Assert.Equal("0.997x (95 % interval 0.996-0.998, 50 paired runs)", new SpeedupEstimate(0.9972, 0.9961, 0.9979, 50, 0.95).Describe());
        Assert.Equal("1.23x (95 % interval 1.19-1.27, 200 paired runs)", new SpeedupEstimate(1.23, 1.19, 1.27, 200, 0.95).Describe());
    }

    [Fact]
    public void Turns_are_where_each_pair_of_blocks_starts()
    {
        var settings = new PairedTiming.Settings { Warmup = 1, MinRounds = 7, MaxRounds = 100, MinDuration = TimeSpan.Zero, Block = 3, Settle = 0 };
        var times = PairedTiming.Measure(() => { }, () => { }, settings, CancellationToken.None);
        Assert.Equal([0, 3, 6], times.TurnStarts);
        Assert.Equal(7, times.BaselineMs.Length);
    }

    [Theory]
    [InlineData(0.98, 0.95, 1.02, true)]  // below 1, but noise: passes and says so
    [InlineData(0.93, 0.90, 0.96, false)] // surely slower
    [InlineData(1.20, 1.10, 1.30, true)]
    public void A_min_speedup_gate_fails_only_when_the_whole_interval_is_below_it(double ratio, double low, double high, bool passes)
    {
        var latency = new LatencyComparison(10, 12, 10 / ratio, 12 / ratio) { Estimate = new SpeedupEstimate(ratio, low, high, 100, 0.95) };
        var result = Assert.Single(GateEvaluator.Evaluate([Gate.MinSpeedup(1.0)], [], null, latency));
        Assert.Equal(passes, result.Passed);
        Assert.Contains($"95 % interval {low:0.00}-{high:0.00}", result.Message);
        if (passes && ratio < 1) Assert.Contains("within the timing noise", result.Message);
    }

    [Fact]
    public void Without_an_interval_the_gate_compares_the_ratio()
    {
        var latency = new LatencyComparison(10, 12, 10.5, 12);
        Assert.False(Assert.Single(GateEvaluator.Evaluate([Gate.MinSpeedup(1.0)], [], null, latency)).Passed);
    }

    [Fact]
    public void Turns_alternate_which_model_runs_first_and_stop_at_the_minimum_count()
    {
        var order = new List<char>();
        var settings = new PairedTiming.Settings { Warmup = 2, MinRounds = 4, MaxRounds = 100, MinDuration = TimeSpan.Zero, Block = 1, Settle = 1 };
        var (a, b) = PairedTiming.Measure(() => order.Add('A'), () => order.Add('B'), settings, CancellationToken.None);
        Assert.Equal(4, a.Length);
        Assert.Equal(4, b.Length);
        // two warm-up pairs, then AB, BA, AB, BA, each timed run after an untimed one of the same model
        Assert.Equal("ABAB" + "AABBBBAAAABBBBAA", new string(order.ToArray()));
    }

    [Fact]
    public void Each_turn_settles_then_times_a_block_and_the_last_block_stops_at_the_count()
    {
        var order = new List<char>();
        var settings = new PairedTiming.Settings { Warmup = 1, MinRounds = 5, MaxRounds = 100, MinDuration = TimeSpan.Zero, Block = 3, Settle = 2 };
        var (a, b) = PairedTiming.Measure(() => order.Add('A'), () => order.Add('B'), settings, CancellationToken.None);
        Assert.Equal(5, a.Length);
        Assert.Equal(5, b.Length);
        // warm-up AB; then A settles twice and runs 3 timed, B the same; then B first with the 2 runs still wanted, then A
        Assert.Equal("AB" + "AAAAA" + "BBBBB" + "BBBB" + "AAAA", new string(order.ToArray()));
    }

    [Fact]
    public void A_slow_model_settles_and_times_fewer_runs_per_turn_and_both_keep_the_same_count()
    {
        var (runsA, runsB) = (0, 0);
        var settings = new PairedTiming.Settings
        {
            Warmup = 0, MinRounds = 4, MaxRounds = 100, MinDuration = TimeSpan.Zero, Block = 10, Settle = 10, BlockTime = TimeSpan.FromMilliseconds(1),
        };
        var (a, b) = PairedTiming.Measure(() => { runsA++; Thread.Sleep(2); }, () => runsB++, settings, CancellationToken.None);
        // each of A's runs outlasts the block time: going first, A settles once and times one run, and B times as many;
        // going second, A times as many as B did (the 3 still wanted), after one settling run
        Assert.Equal(4, a.Length);
        Assert.Equal(4, b.Length);
        Assert.Equal(2 + 4, runsA);
        Assert.Equal(10 + 1 + 10 + 3, runsB);
        Assert.All(a, ms => Assert.True(ms >= 1.5, $"{ms} ms"));
    }

    [Fact]
    public void ASlowPairStopsAtTheTimeLimitOnceTheFloorIsTimedAndWithoutALimitRunsItsCount()
    {
        var settings = new PairedTiming.Settings
        {
            Warmup = 0, MinRounds = 40, MaxRounds = 100, MinDuration = TimeSpan.Zero, Block = 1, Settle = 0,
            MaxDuration = TimeSpan.FromMilliseconds(1), FloorRounds = 3,
        };
        var (a, b) = PairedTiming.Measure(() => Thread.Sleep(1), () => Thread.Sleep(1), settings, CancellationToken.None);
        Assert.Equal(3, a.Length);
        Assert.Equal(3, b.Length);
        (a, _) = PairedTiming.Measure(() => Thread.Sleep(1), () => Thread.Sleep(1), settings with { MaxDuration = null }, CancellationToken.None);
        Assert.Equal(40, a.Length);
    }
}
