namespace Optimizer.TensorRt.Logs;

/// <summary>One "X: min = … ms, max = …, mean = …, median = …, percentile(P%) = …" line of the summary, in ms.</summary>
public sealed record LatencyStats(double Min, double Max, double Mean, double Median, IReadOnlyDictionary<double, double> Percentiles)
{
    public double? Percentile(double p) => Percentiles.TryGetValue(p, out var v) ? v : null;
}

/// <summary>
/// trtexec's "=== Performance summary ===" (sampleReporting.cpp printEpilog). Throughput counts inference calls per
/// second (batch 1 for ONNX); Latency is H2D + GPU compute + D2H per query.
/// </summary>
public sealed record PerformanceSummary(
    double ThroughputQps, LatencyStats Latency, LatencyStats? EnqueueTime, LatencyStats? H2D, LatencyStats GpuCompute,
    LatencyStats? D2H, double? TotalHostWalltimeSeconds, double? TotalGpuComputeSeconds, int? Queries);
