using Optimizer.Runtime.Benchmark;

namespace Optimizer.Runtime.Tests.Benchmark;

/// <summary>bench --concurrency: requests in flight on one session, and where throughput stops growing.</summary>
public sealed class ConcurrencyBenchTests
{
    private static ConcurrencyResult Level(int level, double throughput, double p95) =>
        new(level, 10 * level, new LatencyStats(1, 1, 0, 1, 1, p95, p95, p95), throughput);

    [Fact]
    public void Growth_stops_at_the_first_level_that_gains_less_than_five_percent()
    {
        var note = ConcurrencyBench.WhereGrowthStops([Level(1, 100, 10), Level(2, 180, 11), Level(4, 185, 25), Level(8, 300, 40)]);
        Assert.Equal("throughput stops growing at concurrency 4: 185 samples/s against 180 at 2 (p95 11 -> 25 ms)", note);
        Assert.Null(ConcurrencyBench.WhereGrowthStops([Level(1, 100, 10), Level(2, 190, 11)]));
    }

    [Fact]
    public void Every_level_times_its_requests_on_one_session()
    {
        var tinyCnn = Path.Combine(TestKit.TestPaths.RepoRoot, "models", "tiny_cnn.onnx");
        var options = new BenchOptions { ModelPath = tinyCnn, Runs = 7, Warmup = 1 };
        var results = ConcurrencyBench.Run(options, [1, 3]);
        Assert.Equal([1, 3], results.Select(r => r.Level));
        Assert.Equal([7, 21], results.Select(r => r.Requests)); // --runs requests per request stream
        Assert.All(results, r => Assert.True(r.ThroughputPerSecond > 0 && r.LatencyMs.P95 >= r.LatencyMs.P50));
    }
}
