namespace Optimizer.Runtime.Benchmark;

/// <summary>
/// <c>bench --batch auto --max-p95 MS</c>: the batch size with the highest throughput whose p95 latency stays within
/// the budget. Sizes grow by doubling from 1 until the budget is missed (or the largest size is reached), then the
/// gap between the last size within it and the first beyond is bisected; every size measured is kept as the curve.
/// </summary>
public static class BatchSearch
{
    public const int LargestBatch = 4096;
    private const int BisectSteps = 4;

    public static BenchReport Run(BenchOptions options, double maxP95Ms, IProgress<BenchProgress>? progress = null, CancellationToken cancel = default)
    {
        if (!(maxP95Ms > 0)) throw new Onnx.Errors.InvalidInputException("--max-p95 must be a positive number of milliseconds");
        BenchReport? last = null;
        var (batches, search) = Find(batch =>
        {
            last = Benchmarker.Run(options with { BatchSizes = [batch] }, progress, cancel);
            return last.Batches[0];
        }, maxP95Ms);
        return last! with { Batches = batches, Search = search };
    }

    /// <summary>The search itself, over any way of measuring a batch size: the sizes measured (in order of size) and the choice.</summary>
    public static (IReadOnlyList<BatchResult> Batches, BatchSearchResult Search) Find(Func<int, BatchResult> measure, double maxP95Ms)
    {
        var measured = new SortedDictionary<int, BatchResult>();
        BatchResult Measure(int batch) => measured[batch] = measure(batch);

        var within = 0;
        var beyond = 0;
        for (var batch = 1; batch <= LargestBatch; batch *= 2)
        {
            if (Measure(batch).LatencyMs.P95 <= maxP95Ms) within = batch;
            else
            {
                beyond = batch;
                break;
            }
        }
        // Between the last size within the budget and the first beyond it, halve the gap a few times.
        for (var step = 0; step < BisectSteps && within > 0 && beyond - within > 1; step++)
        {
            var mid = within + (beyond - within) / 2;
            if (Measure(mid).LatencyMs.P95 <= maxP95Ms) within = mid;
            else beyond = mid;
        }
        var candidates = measured.Values.Where(b => b.LatencyMs.P95 <= maxP95Ms).ToList();
        var chosen = candidates.Count == 0 ? null : candidates.MaxBy(b => b.ThroughputPerSecond);
        var reason = chosen is null
            ? FormattableString.Invariant($"even batch 1 has p95 {measured[1].LatencyMs.P95:0.###} ms, above the budget of {maxP95Ms:0.###} ms")
            : FormattableString.Invariant($"batch {chosen.BatchSize}: the highest throughput ({chosen.ThroughputPerSecond:0.#} samples/s) of the {candidates.Count} sizes with p95 within {maxP95Ms:0.###} ms") +
              (beyond > 0 ? FormattableString.Invariant($"; batch {beyond} had p95 {measured[beyond].LatencyMs.P95:0.###} ms") : $"; every size up to {LargestBatch} was within it");
        return (measured.Values.ToList(), new BatchSearchResult(maxP95Ms, chosen?.BatchSize, reason));
    }
}

/// <summary>What <c>--batch auto</c> found: the budget, the batch size chosen (null when none meets it) and why.</summary>
public sealed record BatchSearchResult(double MaxP95Ms, int? Chosen, string Reason);
