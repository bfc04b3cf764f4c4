using Optimizer.Runtime.Benchmark;

namespace Optimizer.Runtime.Tests.Benchmark;

/// <summary>--batch auto --max-p95: grow, then bisect, and choose the highest throughput within the budget (on constructed figures).</summary>
public sealed class BatchSearchTests
{
    /// <summary>A model whose run costs <paramref name="fixedMs"/> plus <paramref name="perSampleMs"/> per sample (p95 = 1.2 x p50).</summary>
    private static Func<int, BatchResult> Model(double fixedMs, double perSampleMs, List<int>? tried = null) => batch =>
    {
        tried?.Add(batch);
        var p50 = fixedMs + perSampleMs * batch;
        return new BatchResult
        {
            BatchSize = batch, ColdStart = new ColdStart(1, 1), Runs = 10,
            LatencyMs = new LatencyStats(p50, p50, 0, p50, p50 * 1.1, p50 * 1.2, p50 * 1.3, p50 * 1.3),
            ThroughputPerSecond = batch / (p50 / 1000),
        };
    };

    [Fact]
    public void Grows_by_doubling_then_bisects_and_takes_the_largest_size_within_the_budget()
    {
        var tried = new List<int>();
        // p95 = 1.2 * (2 + batch): within 30 ms up to batch 23.
        var (batches, search) = BatchSearch.Find(Model(2, 1, tried), 30);
        Assert.Equal([1, 2, 4, 8, 16, 32, 24, 20, 22, 23], tried);
        Assert.Equal(23, search.Chosen);
        Assert.All(batches.Where(b => b.BatchSize > 23), b => Assert.True(b.LatencyMs.P95 > 30));
        Assert.Equal(batches.Select(b => b.BatchSize).Order(), batches.Select(b => b.BatchSize)); // the curve, by size
        Assert.Contains("batch 24 had p95", search.Reason);
    }

    [Fact]
    public void When_throughput_peaks_inside_the_budget_the_peak_is_chosen_not_the_largest_size()
    {
        // Throughput falls beyond batch 4 (a cost that grows with the square of the batch), latency stays within budget.
        Func<int, BatchResult> peaked = batch =>
        {
            var r = Model(2, 1)(batch);
            var p50 = 4.0 + batch * batch * 0.25;
            return r with { LatencyMs = r.LatencyMs with { P50 = p50, P95 = p50 * 1.2 }, ThroughputPerSecond = batch / (p50 / 1000) };
        };
        var (batches, search) = BatchSearch.Find(peaked, 1000);
        var best = batches.Where(b => b.LatencyMs.P95 <= 1000).MaxBy(b => b.ThroughputPerSecond)!;
        Assert.Equal(best.BatchSize, search.Chosen);
        Assert.Equal(4, search.Chosen);
    }

    [Fact]
    public void A_budget_even_batch_one_misses_chooses_nothing_and_says_why()
    {
        var (batches, search) = BatchSearch.Find(Model(50, 1), 10);
        Assert.Null(search.Chosen);
        Assert.Single(batches);
        Assert.Contains("even batch 1 has p95", search.Reason);
    }
}
