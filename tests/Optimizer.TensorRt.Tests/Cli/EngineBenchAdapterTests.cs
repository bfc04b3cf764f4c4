using Optimizer.Cli.Commands;
using Optimizer.TensorRt.Tests.Support;

namespace Optimizer.TensorRt.Tests.Cli;

/// <summary>trtexec's figures land in the benchmark report format used for ONNX Runtime.</summary>
public sealed class EngineBenchAdapterTests
{
    [Fact]
    public async Task An_engine_benchmark_becomes_a_bench_report_with_trtexecs_figures()
    {
        using var h = new BuildHarness("10.13.0.35");
        var built = await h.BuildAsync(BuildHarness.QuickSettings with { SkipInference = true });

        var report = await EngineBenchAdapter.RunAsync(h.Trtexec, built.EnginePath, "x:1x3x8x8", 0, 0.05, CancellationToken.None);

        var batch = Assert.Single(report.Batches);
        var runs = batch.RunLatenciesMs.Order().ToArray();
        Assert.Equal(runs.Length, batch.Runs);
        Assert.Equal("tensorrt", report.Provider);
        Assert.Contains("TensorRT 10.13.0.35", report.Runtime);
        Assert.Contains("NVIDIA GeForce RTX 3070", report.Machine);
        // trtexec's percentile rule: the sorted value at max(N-1-int((1-p/100)*N), 0).
        Assert.Equal(runs[Math.Max(runs.Length - 1 - (int)(0.01 * runs.Length), 0)], batch.LatencyMs.P99, 1e-4 * batch.LatencyMs.P99);
        Assert.Equal(runs[0], batch.LatencyMs.Min, 1e-4 * runs[0]);
        Assert.Equal(runs.Average(), batch.LatencyMs.Mean, 1e-4 * runs.Average());
        Assert.True(batch.ColdStart.SessionCreationMs > 0);
        // What trtexec does not report is unknown, not zero: a dash in the table, null in report.json.
        Assert.Null(batch.ColdStart.FirstRunMs);
        Assert.Null(batch.PeakMemoryBytes);
        var table = new StringWriter();
        BenchSummary.Print(report, table);
        var row = table.ToString().Split('\n')[2].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("–", row[2]); // first ms
        Assert.Equal("–", row[^1]); // peak MiB
        Assert.DoesNotContain("\"firstRunMs\": 0", Optimizer.Runtime.Reports.ReportJson.Serialize(report));
    }
}
