using System.Diagnostics;
using Optimizer.Runtime.Sessions;

namespace Optimizer.Runtime.Benchmark;

/// <summary>
/// <c>bench --concurrency 1,2,4</c>: that many requests in flight on one session, as a server runs it. Each level has
/// its own threads, each with its own bound inputs and outputs, issuing requests back to back; per-request latency
/// over all of them and throughput over the wall time of the level.
/// </summary>
public static class ConcurrencyBench
{
    /// <summary>A level that gains less than this over the one before has stopped growing throughput.</summary>
    public const double GrowthThreshold = 1.05;

    public static IReadOnlyList<ConcurrencyResult> Run(BenchOptions options, IReadOnlyList<int> levels, IProgress<BenchProgress>? progress = null, CancellationToken cancel = default)
    {
        var batch = options.BatchSizes[0];
        using var session = Benchmarker.Guard(options.ModelPath, batch, () => SessionFactory.Create(options.ModelPath, options.Session, out _));
        var inputs = BatchInputs.Make(options.Data, ModelSignature.Of(session), batch);
        var results = new List<ConcurrencyResult>();
        foreach (var level in levels)
        {
            cancel.ThrowIfCancellationRequested();
            progress?.Report(new BenchProgress(batch, $"concurrency {level}", 0, 1));
            var bound = Enumerable.Range(0, level).Select(_ => Benchmarker.Guard(options.ModelPath, batch, () => Benchmarker.Bind(options.ModelPath, session, inputs, out TimeSpan _))).ToList();
            try
            {
                results.Add(Benchmarker.Guard(options.ModelPath, batch, () => Measure(bound, batch, options.Warmup, Math.Max(options.Runs, 1), level, cancel)));
            }
            finally
            {
                foreach (var b in bound) b.Dispose();
            }
            progress?.Report(new BenchProgress(batch, $"concurrency {level}", 1, 1));
        }
        return results;
    }

    private static ConcurrencyResult Measure(List<BoundSession> bound, int batch, int warmup, int requestsPerThread, int level, CancellationToken cancel)
    {
        var latencies = bound.Select(_ => new double[requestsPerThread]).ToArray();
        var toMs = 1000.0 / Stopwatch.Frequency;
        using var start = new Barrier(level + 1);
        var failures = new Exception?[level];
        var threads = bound.Select((b, t) => new Thread(() =>
        {
            // A failure (ONNX Runtime's, or a cancel) is kept and rethrown on the calling thread: never an unhandled thread exception.
            try
            {
                for (var i = 0; i < warmup; i++) b.Run();
                start.SignalAndWait(cancel);
                for (var i = 0; i < requestsPerThread; i++)
                {
                    if (i % 64 == 0) cancel.ThrowIfCancellationRequested();
                    var begin = Stopwatch.GetTimestamp();
                    b.Run();
                    latencies[t][i] = (Stopwatch.GetTimestamp() - begin) * toMs;
                }
            }
            catch (Exception e)
            {
                failures[t] = e;
                try
                {
                    start.RemoveParticipant(); // the others do not wait for this thread at the start line
                }
                catch (InvalidOperationException)
                {
                    // past the start line already: nobody waits
                }
            }
        }) { IsBackground = true }).ToList();
        foreach (var t in threads) t.Start();
        var clock = Stopwatch.StartNew();
        try
        {
            start.SignalAndWait(cancel);
            clock.Restart();
        }
        finally
        {
            foreach (var t in threads) t.Join();
        }
        var wall = clock.Elapsed.TotalSeconds;
        if (failures.FirstOrDefault(f => f is not null) is { } failure) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        var all = latencies.SelectMany(l => l).ToArray();
        return new ConcurrencyResult(level, all.Length, LatencyStats.From(all), all.Length * (double)batch / wall);
    }

    /// <summary>The first level that gains less than <see cref="GrowthThreshold"/> over the one before, in words; null when every level gained.</summary>
    public static string? WhereGrowthStops(IReadOnlyList<ConcurrencyResult> results)
    {
        for (var i = 1; i < results.Count; i++)
            if (results[i].ThroughputPerSecond < results[i - 1].ThroughputPerSecond * GrowthThreshold)
                return FormattableString.Invariant(
                    $"throughput stops growing at concurrency {results[i].Level}: {results[i].ThroughputPerSecond:0.#} samples/s against {results[i - 1].ThroughputPerSecond:0.#} at {results[i - 1].Level} (p95 {results[i - 1].LatencyMs.P95:0.###} -> {results[i].LatencyMs.P95:0.###} ms)");
        return null;
    }
}

/// <summary>One concurrency level: requests timed, per-request latency, and throughput over the level's wall time.</summary>
public sealed record ConcurrencyResult(int Level, int Requests, LatencyStats LatencyMs, double ThroughputPerSecond);
