using Optimizer.Runtime.Benchmark;
using Optimizer.Runtime.Validation;

namespace Optimizer.Runtime.Tests.Benchmark;

public sealed class StatisticsTests
{
    [Fact]
    public void LatencyStatsMatchNumpysDefinitions()
    {
        var values = Enumerable.Range(1, 100).Select(i => (double)(101 - i)).ToArray();
        var s = LatencyStats.From(values);
        Assert.Equal((1.0, 100.0, 50.5), (s.Min, s.Max, s.Mean));
        Assert.Equal(50.5, s.P50, 9);
        Assert.Equal(90.1, s.P90, 9);
        Assert.Equal(99.01, s.P99, 9);
        Assert.Equal(29.011491975882016, s.Std, 9); // numpy.std(ddof=1)
    }

    [Fact]
    public void TheStreamingHistogramKnowsPercentilesWithinHalfAPercent()
    {
        var histogram = new LatencyHistogram();
        var random = new Random(7);
        var values = Enumerable.Range(0, 5000).Select(_ => 2 + random.NextDouble() * 30).ToArray();
        foreach (var v in values) histogram.Add(v);
        var sorted = values.Order().ToArray();
        foreach (var p in new[] { 50.0, 95.0 })
        {
            var exact = LatencyStats.Percentile(sorted, p);
            Assert.InRange(histogram.Percentile(p), exact * 0.99, exact * 1.01);
        }
    }

    [Fact]
    public void TopClassesAreLargestFirst()
    {
        double[] scores = [0.1, 5, -2, 7, 5, 0.3];
        Assert.Equal(3, TopClasses.ArgMax(scores));
        Assert.Equal([3, 1, 4], TopClasses.Top(scores, 3));
        Assert.Equal(2, TopClasses.Overlap([3, 1, 4], [4, 0, 3]));
    }
}
