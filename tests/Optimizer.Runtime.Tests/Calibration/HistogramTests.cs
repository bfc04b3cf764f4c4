using Optimizer.Runtime.Calibration;

namespace Optimizer.Runtime.Tests.Calibration;

/// <summary>The running statistics on constructed data: exact min/max, bins, and re-binning when the range grows.</summary>
public sealed class HistogramTests
{
    [Fact]
    public void MinMaxAndCountAreExactOverSeveralBatches()
    {
        var random = new Random(7);
        var stats = new TensorStatistics("t", 256);
        float min = float.MaxValue, max = float.MinValue;
        for (var batch = 0; batch < 5; batch++)
        {
            // odd lengths exercise the scalar tail after the vector loop
            var values = new float[1000 + batch * 37];
            for (var i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 20 - 7) * (batch + 1);
            foreach (var v in values) { min = Math.Min(min, v); max = Math.Max(max, v); }
            stats.Add(values);
        }
        Assert.Equal(min, stats.Min);
        Assert.Equal(max, stats.Max);
        Assert.Equal(5 * 1000 + 37 * 10, stats.Count);
        Assert.Equal(stats.Count, Sum(stats.Histogram.Counts));
    }

    [Fact]
    public void ValuesLandInTheirBinsBySignAndMagnitude()
    {
        var h = new TensorStatistics("t", 4);
        // limit 4, bins of width 1: 0.5 -> +0, 1.5 -> +1, 3.5 -> +3, -0.5 -> -0, -2.5 -> -2, 4 (the limit) -> +3
        h.Add([0.5f, 1.5f, 3.5f, -0.5f, -2.5f, 4f, 0f]);
        Assert.Equal(4.0, h.Histogram.Limit);
        // layout: -3, -2, -1, -0 | +0, +1, +2, +3
        Assert.Equal([0L, 1, 0, 1, 2, 1, 0, 2], h.Histogram.Counts.ToArray());
        Assert.Equal([3L, 1, 1, 2], h.Histogram.Absolute());
    }

    [Fact]
    public void EveryValueIsCountedInTheBinOfItsMagnitudeAndSign()
    {
        var random = new Random(11);
        var width = 8.0 / 64;
        var expected = new long[128];
        // values well inside their bins (10 % to 90 % of the width), so rounding cannot move them across an edge
        var values = new float[10_007];
        for (var i = 0; i < values.Length; i++)
        {
            var bin = random.Next(64);
            var negative = random.Next(2) == 0;
            var magnitude = (bin + 0.1 + 0.8 * random.NextDouble()) * width;
            values[i] = (float)(negative ? -magnitude : magnitude);
            expected[negative ? 63 - bin : 64 + bin]++;
        }
        // the limit is the largest magnitude: make it exactly 8 (counted in the last positive bin)
        expected[values[5] < 0 ? 63 - (int)(Math.Abs(values[5]) / width) : 64 + (int)(values[5] / width)]--;
        values[5] = 8f;
        expected[127]++;
        var stats = new TensorStatistics("t", 64);
        stats.Add(values);
        Assert.Equal(expected, stats.Histogram.Counts.ToArray());
    }

    [Fact]
    public void GrowingTheRangeMergesWholeBinsAndKeepsEveryCount()
    {
        var stats = new TensorStatistics("t", 8);
        // first batch sets the limit to 8 (bins of width 1); one value in the middle of each bin
        stats.Add(Enumerable.Range(0, 8).Select(j => j + 0.5f).Concat([-8f]).ToArray());
        Assert.Equal(8.0, stats.Histogram.Limit);
        // 20 needs k = 3: limit 24, bins of width 3; old bins 0-2 -> 0, 3-5 -> 1, 6-7 -> 2
        stats.Add([20f, 23f, -1f]);
        var h = stats.Histogram;
        Assert.Equal(24.0, h.Limit);
        Assert.Equal(12, Sum(h.Counts));
        // computed by hand: positive |x| bins of width 3: {0.5,1.5,2.5} {3.5,4.5,5.5} {6.5,7.5} ... {20} {23}
        Assert.Equal([3L, 3, 2, 0, 0, 0, 1, 1], h.Counts[8..].ToArray());
        // negative: -8 was old bin 7 -> new bin 2; -1 -> bin 0
        Assert.Equal([1L, 0, 1, 0, 0, 0, 0, 0], h.Counts[..8].ToArray().Reverse().ToArray());
        Assert.Equal(-8f, stats.Min);
        Assert.Equal(23f, stats.Max);
    }

    [Fact]
    public void AHugeJumpPutsAllOldValuesInTheFirstBin()
    {
        var stats = new TensorStatistics("t", 4);
        stats.Add([0.1f, 0.2f, -0.3f]);
        stats.Add([1000f]);
        Assert.Equal(1000.0, stats.Histogram.Limit);
        // layout: -3, -2, -1, -0 | +0, +1, +2, +3
        Assert.Equal([0L, 0, 0, 1, 2, 0, 0, 1], stats.Histogram.Counts.ToArray());
    }

    [Fact]
    public void ZerosFirstThenValuesKeepsTheZerosInBinZero()
    {
        var stats = new TensorStatistics("t", 4);
        stats.Add(new float[10]);
        Assert.Equal(0.0, stats.Histogram.Limit);
        stats.Add([3f]);
        Assert.Equal(3.0, stats.Histogram.Limit);
        Assert.Equal([10L, 0, 0, 1], stats.Histogram.Absolute());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void NaNAndInfinityAreCountedApartAndLeftOut(bool histogram)
    {
        // with a histogram, or (the default comparison's statistics) with tails alone, folded in one pass
        var stats = histogram ? new TensorStatistics("t", 128) : new TensorStatistics("t", 128, histogram: false, new TailValues(1e-3, absolute: false));
        var values = Enumerable.Range(0, 100).Select(i => (float)i).ToArray();
        // the last one among the values after the last whole vector
        values[10] = float.NaN;
        values[20] = float.PositiveInfinity;
        values[98] = float.NegativeInfinity;
        stats.Add(values);
        Assert.Equal(3, stats.NonFiniteCount);
        Assert.Equal(97, stats.Count);
        Assert.Equal(0f, stats.Min);
        Assert.Equal(99f, stats.Max);
        if (histogram)
        {
            Assert.Equal(99.0, stats.Histogram.Limit);
            Assert.Equal(97, Sum(stats.Histogram.Counts));
        }
        else Assert.Equal((97L, 99.0, 0.0, 1.0), (stats.Tails!.Count, stats.Tails.Largest(1), stats.Tails.Smallest(1), stats.Tails.Smallest(2)));
    }

    private static long Sum(ReadOnlySpan<long> counts)
    {
        long total = 0;
        foreach (var c in counts) total += c;
        return total;
    }
}
