using Optimizer.Runtime.Calibration;

namespace Optimizer.Runtime.Tests.Calibration;

/// <summary>Percentile and entropy thresholds on distributions whose answer is known.</summary>
public sealed class ThresholdTests
{
    [Fact]
    public void PercentileOfUniformIntegersIsWithinOneBin()
    {
        var stats = new TensorStatistics("t", 2048);
        stats.Add(Enumerable.Range(0, 10000).Select(i => (float)i).ToArray());
        var width = stats.Histogram.BinWidth;
        // 99 % of 0..9999 lie at or below 9899
        var range = RangeChoice.Choose(stats, CalibrationMethod.Percentile, 99, symmetric: true);
        Assert.InRange(range.Max, 9899 - width, 9899 + width);
        Assert.Equal(-range.Max, range.Min);
        // at least 99 % of the values are inside the range
        Assert.True(Enumerable.Range(0, 10000).Count(i => i <= range.Max) >= 9900);
    }

    [Fact]
    public void AsymmetricPercentileCutsEachTailByHalfTheRest()
    {
        var stats = new TensorStatistics("t", 2048);
        stats.Add(Enumerable.Range(-5000, 10000).Select(i => (float)i).ToArray());
        var width = stats.Histogram.BinWidth;
        // 98 %: 1 % below -4900 (values -5000..-4901) and 1 % above 4899 (4900..4999)
        var range = RangeChoice.Choose(stats, CalibrationMethod.Percentile, 98);
        Assert.InRange(range.Min, -4900 - width, -4900 + width);
        Assert.InRange(range.Max, 4899 - width, 4899 + width);
    }

    [Fact]
    public void PercentileOfOneHundredIsTheObservedRange()
    {
        var stats = new TensorStatistics("t", 2048);
        stats.Add([0.5f, 1f, 3.25f]);
        var range = RangeChoice.Choose(stats, CalibrationMethod.Percentile, 100);
        // zero is always inside; the top is the maximum, never beyond it
        Assert.Equal(new TensorRange("t", 0f, 3.25f), range);
    }

    [Fact]
    public void EntropyIgnoresAFewHugeOutliers()
    {
        var random = new Random(3);
        var values = new float[400_000];
        for (var i = 0; i < values.Length; i++) values[i] = (float)(Gaussian(random) * 3);
        var bulkMax = values.Max(MathF.Abs);
        for (var i = 0; i < 5; i++) values[i * 1000] = 100f;
        var stats = new TensorStatistics("t", 2048);
        stats.Add(values);
        var range = RangeChoice.Choose(stats, CalibrationMethod.Entropy, symmetric: true);
        // far below the outliers, within the bulk's tail (beyond two standard deviations)
        Assert.InRange(range.Max, 6f, bulkMax + (float)stats.Histogram.BinWidth);
        Assert.Equal(-range.Max, range.Min);
    }

    [Fact]
    public void EntropyOfUniformDataIsCloseToTheMaximum()
    {
        var random = new Random(4);
        var values = new float[400_000];
        for (var i = 0; i < values.Length; i++) values[i] = (float)random.NextDouble();
        var stats = new TensorStatistics("t", 2048);
        stats.Add(values);
        var range = RangeChoice.Choose(stats, CalibrationMethod.Entropy);
        Assert.InRange(range.Max, 0.97f * stats.Max, stats.Max);
        // no negative values: the asymmetric range starts at zero
        Assert.Equal(0f, range.Min);
    }

    [Theory]
    [InlineData(1, 256, false)]
    [InlineData(2, 512, true)]
    [InlineData(3, 2048, true)]
    public void ClosedFormDivergencesMatchThePerBinDefinition(int seed, int bins, bool withGaps)
    {
        var random = new Random(seed);
        var histogram = new long[bins];
        for (var j = 0; j < bins; j++)
        {
            var density = Math.Exp(-j / (bins / 6.0)) * 10_000;
            histogram[j] = withGaps && random.Next(5) == 0 ? 0 : (long)(density * (0.5 + random.NextDouble()));
        }
        var fast = EntropyThreshold.Divergences(histogram);
        var slow = ReferenceDivergences(histogram);
        Assert.Equal(slow.Length, fast.Length);
        for (var k = 0; k < slow.Length; k++)
        {
            if (double.IsPositiveInfinity(slow[k])) Assert.True(double.IsPositiveInfinity(fast[k]), $"candidate {k + 128}");
            else Assert.True(Math.Abs(slow[k] - fast[k]) <= 1e-9 + 1e-7 * slow[k], $"candidate {k + 128}: {fast[k]} vs {slow[k]}");
        }
        // the chosen threshold is the last minimum of the reference divergences
        var last = Array.LastIndexOf(slow, slow.Min());
        Assert.Equal((last + 128) * 0.5, EntropyThreshold.Find(histogram, 0.5));
    }

    /// <summary>
    /// EntropyCalibration2's divergence written out bin by bin: bin 0 takes bin 1's count; P = bins[0..i) with the rest
    /// added to its last bin; Q = bins[0..i) merged into 128 levels, each level's total spread over its non-empty bins;
    /// KL(P||Q) of the normalized distributions.
    /// </summary>
    private static double[] ReferenceDivergences(long[] histogram)
    {
        var bins = histogram.Select(c => (double)c).ToArray();
        bins[0] = bins[1];
        var result = new List<double>();
        for (var i = 128; i <= bins.Length; i++)
        {
            var p = bins[..i];
            p[i - 1] += bins[i..].Sum();
            var q = new double[i];
            var levelSum = new double[128];
            var levelCount = new int[128];
            for (var j = 0; j < i; j++)
            {
                if (bins[j] == 0) continue;
                levelSum[j * 128 / i] += bins[j];
                levelCount[j * 128 / i]++;
            }
            for (var j = 0; j < i; j++)
                if (bins[j] > 0) q[j] = levelSum[j * 128 / i] / levelCount[j * 128 / i];
            double pSum = p.Sum(), qSum = q.Sum(), kl = 0;
            for (var j = 0; j < i; j++)
            {
                if (p[j] == 0) continue;
                if (q[j] == 0) { kl = double.PositiveInfinity; break; }
                kl += p[j] / pSum * Math.Log(p[j] / pSum / (q[j] / qSum));
            }
            result.Add(kl);
        }
        return result.ToArray();
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
