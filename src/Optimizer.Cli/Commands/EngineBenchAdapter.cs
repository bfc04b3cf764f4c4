using Optimizer.Runtime.Benchmark;
using Optimizer.TensorRt.Benchmarking;
using Optimizer.TensorRt.Flags;
using Optimizer.TensorRt.Locating;
using Optimizer.TensorRt.Logs;
using RuntimeStats = Optimizer.Runtime.Benchmark.LatencyStats;
using TrtStats = Optimizer.TensorRt.Logs.LatencyStats;

namespace Optimizer.Cli.Commands;

/// <summary>
/// trtexec's performance summary as a <see cref="BenchReport"/>, so TensorRT and ONNX Runtime figures print and save in
/// the same format (BenchSummary, BenchReportWriter). The percentiles and mean are trtexec's own; the standard
/// deviation and the per-run latencies come from its --exportTimes trace. For <c>optimize bench --engine model.plan</c>:
/// <c>var report = await EngineBenchAdapter.RunAsync(trtexecOption, plan, shapes, device, duration, cancel);</c>.
/// </summary>
public static class EngineBenchAdapter
{
    public static async Task<BenchReport> RunAsync(string? trtexec, string enginePath, string? shapes, int device, double? durationSeconds,
        CancellationToken cancellationToken)
    {
        var settings = new BuildSettings { Shapes = new ShapeRequest(shapes), Device = device, DurationSeconds = durationSeconds };
        var result = await EngineBenchmark.RunAsync(TrtexecLocator.Locate(trtexec), enginePath, settings, null, null, cancellationToken);
        return ToReport(enginePath, result.Log, result.Summary, result.LatenciesMs);
    }

    /// <summary>The session-creation column holds the engine's deserialization time; trtexec reports no first run.</summary>
    public static BenchReport ToReport(string enginePath, TrtexecLog log, PerformanceSummary summary, IReadOnlyList<double> latenciesMs)
    {
        var (version, gpu) = (log.Version, log.Gpu);
        var runs = summary.Queries ?? latenciesMs.Count;
        return new BenchReport
        {
            Model = enginePath,
            Runtime = $"trtexec (TensorRT {version?.WithBuild ?? "?"})",
            Provider = "tensorrt",
            Data = "trtexec random inputs",
            Machine = gpu is null ? "unknown GPU" : $"{gpu.Name} (compute capability {gpu.ComputeCapability})",
            Batches =
            [
                new BatchResult
                {
                    BatchSize = 1, // ONNX engines are explicit-batch: trtexec counts queries, not samples
                    ColdStart = new ColdStart(log.DeserializeSeconds * 1000, null),
                    Runs = runs,
                    LatencyMs = Convert(summary.Latency, latenciesMs),
                    ThroughputPerSecond = summary.ThroughputQps,
                    RunLatenciesMs = latenciesMs.ToArray(),
                },
            ],
        };
    }

    private static RuntimeStats Convert(TrtStats s, IReadOnlyList<double> latencies)
    {
        var std = latencies.Count > 1 ? Math.Sqrt(latencies.Sum(v => (v - s.Mean) * (v - s.Mean)) / (latencies.Count - 1)) : 0;
        return new RuntimeStats(s.Min, s.Mean, std, s.Median, s.Percentile(90) ?? double.NaN, s.Percentile(95) ?? double.NaN,
            s.Percentile(99) ?? double.NaN, s.Max);
    }
}
