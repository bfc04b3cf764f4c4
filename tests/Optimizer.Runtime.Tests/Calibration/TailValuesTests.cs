using Optimizer.Runtime.Calibration;

namespace Optimizer.Runtime.Tests.Calibration;

/// <summary>Percentiles read from the kept extremes of a stream, against the same streams sorted.</summary>
public sealed class TailValuesTests
{
    private const double Share = 1e-3;

    public static TheoryData<string> Streams => new() { "gaussian", "relu6", "heavy" };

    [Theory]
    [MemberData(nameof(Streams))]
    public void EveryRankWithinTheShareIsReadExactly(string kind)
    {
        var values = Stream(kind, 200_000, seed: 7);
        var tails = new TailValues(Share, absolute: false);
        Feed(tails, values, seed: 8);
        var ascending = values.Order().ToArray();
        var ranks = (long)Math.Ceiling(Share * values.Length);
        for (var r = 1; r <= ranks; r++)
        {
            Assert.Equal(ascending[^r], (float)tails.Largest(r));
            Assert.Equal(ascending[r - 1], (float)tails.Smallest(r));
        }
        Assert.True(tails.Exact);
        Assert.Equal(values.Length, tails.Count);
        // the kept values: twice what a prune keeps at most, per side, and far fewer than the values folded
        Assert.InRange(tails.Kept, 2 * ranks, 2 * 2 * (2 * ranks + 256));
    }

    [Fact]
    public void AbsoluteTailsHoldTheLargestMagnitudesOfEitherSign()
    {
        var values = Stream("gaussian", 100_000, seed: 3);
        var tails = new TailValues(Share, absolute: true);
        Feed(tails, values, seed: 4);
        var magnitudes = values.Select(MathF.Abs).OrderDescending().ToArray();
        for (var r = 1; r <= 100; r++) Assert.Equal(magnitudes[r - 1], (float)tails.Largest(r));
        Assert.Throws<InvalidOperationException>(() => tails.Smallest(1));
    }

    [Fact]
    public void AStreamWhoseExtremesAllCameFirstGetsTheConservativeFloor()
    {
        // 10,000 values in [100, 200], then a million in [0, 1): the 1,010th largest of the whole stream is among the
        // first ones, which were pruned while the stream was short
        var rng = new Random(5);
        var first = Enumerable.Range(0, 10_000).Select(_ => 100 + 100 * rng.NextSingle()).ToArray();
        var rest = Enumerable.Range(0, 1_000_000).Select(_ => rng.NextSingle()).ToArray();
        var tails = new TailValues(Share, absolute: false);
        tails.Add(first);
        tails.Add(rest);
        var rank = (long)Math.Ceiling(Share * tails.Count);
        var truth = first.Concat(rest).OrderDescending().ElementAt((int)rank - 1);
        var read = tails.Largest(rank);
        Assert.False(tails.Exact);
        // never a narrower range than asked: at least the true value, and still within the first values
        Assert.InRange(read, truth, 200);
        Assert.Equal(first.Max(), (float)tails.Largest(1));
    }

    [Fact]
    public void PercentileRangesFromTailsAreTheOrderStatisticsAndWithinABinOfTheHistograms()
    {
        var values = Stream("heavy", 300_000, seed: 11);
        var both = new TensorStatistics("t", 2048, histogram: true, new TailValues(PercentileThreshold.Share(99.99, symmetric: false), absolute: false));
        var histogramOnly = new TensorStatistics("t", 2048);
        Feed(both, values);
        Feed(histogramOnly, values);
        var ascending = values.Order().ToArray();
        var n = values.Length;
        // 99.99 %: 0.005 % cut from each end, ranks ceil(0.00005 n) and ceil(0.99995 n) from the smallest
        var range = RangeChoice.Choose(both, CalibrationMethod.Percentile, 99.99);
        Assert.Equal(ascending[(int)Math.Ceiling(0.00005 * n) - 1], range.Min);
        Assert.Equal(ascending[(int)Math.Ceiling(0.99995 * n) - 1], range.Max);
        var binned = RangeChoice.Choose(histogramOnly, CalibrationMethod.Percentile, 99.99);
        var width = histogramOnly.Histogram.BinWidth;
        Assert.InRange(range.Min, binned.Min - width, binned.Min + width);
        Assert.InRange(range.Max, binned.Max - width, binned.Max + width);

        var symmetric = new TensorStatistics("t", 2048, histogram: false, new TailValues(PercentileThreshold.Share(99.99, symmetric: true), absolute: true));
        Feed(symmetric, values);
        var magnitudes = values.Select(MathF.Abs).Order().ToArray();
        var t = RangeChoice.Choose(symmetric, CalibrationMethod.Percentile, 99.99, symmetric: true);
        Assert.Equal(magnitudes[(int)Math.Ceiling(0.9999 * n) - 1], t.Max);
        Assert.Equal(-t.Max, t.Min);
        // the tails answer no wider percentile and no entropy: those need the histogram this one did not keep
        Assert.False(symmetric.CanRead(CalibrationMethod.Percentile, 99, symmetric: true));
        Assert.False(symmetric.CanRead(CalibrationMethod.Entropy, 99.99, symmetric: true));
        Assert.True(both.CanRead(CalibrationMethod.Percentile, 99, symmetric: false));
    }

    [Fact]
    public void ACopyReadsTheSameAndFoldsApart()
    {
        var values = Stream("gaussian", 50_000, seed: 2);
        var tails = new TailValues(Share, absolute: false);
        tails.Add(values);
        var copy = tails.Copy();
        Assert.Equal(tails.Largest(7), copy.Largest(7));
        Assert.Equal(tails.Smallest(7), copy.Smallest(7));
        copy.Add([1e6f]);
        Assert.Equal(1e6, copy.Largest(1));
        Assert.NotEqual(1e6, tails.Largest(1));
    }

    /// <summary>Values of a kind a network's tensors have: normal; ReLU6 (a quarter zeros, a few at 6); heavy-tailed.</summary>
    private static float[] Stream(string kind, int count, int seed)
    {
        var rng = new Random(seed);
        float Normal() => (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        return Enumerable.Range(0, count).Select(_ => kind switch
        {
            "gaussian" => Normal(),
            "relu6" => Math.Clamp(2 * Normal() + 1.3f, 0, 6),
            _ => Normal() / MathF.Max(0.05f, rng.NextSingle()),
        }).ToArray();
    }

    /// <summary>Folds in batches of random sizes, as tensors of different shapes arrive.</summary>
    private static void Feed(TailValues tails, float[] values, int seed)
    {
        var rng = new Random(seed);
        for (var start = 0; start < values.Length;)
        {
            var size = Math.Min(values.Length - start, rng.Next(1, 9000));
            tails.Add(values.AsSpan(start, size));
            start += size;
        }
    }

    private static void Feed(TensorStatistics stats, float[] values)
    {
        for (var start = 0; start < values.Length; start += 30_000) stats.Add(values.AsSpan(start, Math.Min(30_000, values.Length - start)));
    }
}
