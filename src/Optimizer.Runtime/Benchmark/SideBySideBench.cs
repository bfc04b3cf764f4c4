using Optimizer.Runtime.Sessions;

namespace Optimizer.Runtime.Benchmark;

/// <summary>
/// <c>optimize bench MODEL --baseline OTHER</c>: both models timed in one run. For each batch size, both sessions are
/// created and bound to the same inputs, warmed up, and timed in alternating rounds (<see cref="PairedTiming"/>), so
/// the ratio per batch size compares like with like; it comes with a bootstrap interval.
/// </summary>
public static class SideBySideBench
{
    public static BenchComparison Run(BenchOptions candidate, string baselinePath, IProgress<BenchProgress>? progress = null, CancellationToken cancel = default)
    {
        var baseline = candidate with { ModelPath = baselinePath };
        var (timed, interrupted) = Benchmarker.EachBatch(candidate.BatchSizes, cancel, (batch, _) => RunBatch(candidate, baselinePath, batch, progress, cancel));
        return new BenchComparison
        {
            Baseline = Report(baseline, timed.Select(t => t.Baseline).ToList()) with { Interrupted = interrupted },
            Candidate = Report(candidate, timed.Select(t => t.Candidate).ToList()) with { Interrupted = interrupted },
            Speedups = timed.Select(t => t.Speedup).ToList(),
        };
    }

    private static (BatchResult Baseline, BatchResult Candidate, BatchSpeedup Speedup) RunBatch(BenchOptions candidate, string baselinePath, int batch,
        IProgress<BenchProgress>? progress, CancellationToken cancel)
    {
        progress?.Report(new BenchProgress(batch, "loading", 0, 1));
        using var sessionA = Benchmarker.Guard(baselinePath, batch, () => SessionFactory.Create(baselinePath, candidate.Session, out _));
        using var sessionB = Benchmarker.Guard(candidate.ModelPath, batch, () => SessionFactory.Create(candidate.ModelPath, candidate.Session, out _));
        var (signatureA, signatureB) = (ModelSignature.Of(sessionA), ModelSignature.Of(sessionB));
        var (namesA, namesB) = (signatureA.Inputs.Select(i => i.Name).Order().ToList(), signatureB.Inputs.Select(i => i.Name).Order().ToList());
        if (!namesA.SequenceEqual(namesB))
            throw new Onnx.Errors.InvalidInputException($"--baseline {baselinePath} takes inputs {string.Join(", ", namesA)}, but {candidate.ModelPath} takes " +
                $"{string.Join(", ", namesB)}: side by side, both models run on the same inputs");
        if (batch == candidate.BatchSizes[0])
            foreach (var signature in new[] { signatureA, signatureB }) BatchInputs.CheckBatchAxes(signature, candidate.BatchSizes);
        var inputs = BatchInputs.Make(candidate.Data, signatureB, batch);
        using var boundA = Benchmarker.Guard(baselinePath, batch, () => Benchmarker.Bind(baselinePath, sessionA, inputs, out _));
        using var boundB = Benchmarker.Guard(candidate.ModelPath, batch, () => Benchmarker.Bind(candidate.ModelPath, sessionB, inputs, out _));
        var settings = new PairedTiming.Settings
        {
            Warmup = candidate.Warmup,
            MinRounds = candidate.Duration is null ? Math.Max(candidate.Runs, 1) : 1,
            MaxRounds = candidate.Duration is null ? Math.Max(candidate.Runs, 1) : int.MaxValue,
            MinDuration = candidate.Duration ?? TimeSpan.Zero,
            // --runs or --duration say how long: all of it
            MaxDuration = null,
        };
        var total = settings.MaxRounds == int.MaxValue ? 0 : settings.MaxRounds;
        progress?.Report(new BenchProgress(batch, "timed side by side", 0, total));
        var times = Benchmarker.Guard(candidate.ModelPath, batch,
            () => PairedTiming.Measure(boundA.Run, boundB.Run, settings, cancel, done => progress?.Report(new BenchProgress(batch, "timed side by side", done, total))));
        var (msA, msB) = times;
        return (Result(batch, msA), Result(batch, msB), new BatchSpeedup(batch, SpeedupEstimate.FromTimes(times), Throughput(batch, msB) / Throughput(batch, msA)));
    }

    private static BatchResult Result(int batch, double[] ms) => new()
    {
        BatchSize = batch,
        ColdStart = new ColdStart(null, null), // both sessions share the process: cold starts are bench's own job
        Runs = ms.Length,
        LatencyMs = LatencyStats.From(ms),
        ThroughputPerSecond = Throughput(batch, ms),
        RunLatenciesMs = ms,
    };

    private static double Throughput(int batch, double[] ms) => batch * ms.Length / (ms.Sum() / 1000.0);

    private static BenchReport Report(BenchOptions options, IReadOnlyList<BatchResult> batches) => new()
    {
        Model = Path.GetFullPath(options.ModelPath),
        Runtime = Benchmarker.RuntimeName(options),
        Provider = options.Session.Provider.ToString().ToLowerInvariant(),
        Threads = options.Session.Threads,
        SessionOptions = Sessions.SessionOptionsInEffect.Of(options.Session),
        Data = options.Data.Folder is null ? $"random inputs (seed {options.Data.Seed})" : Path.GetFullPath(options.Data.Folder),
        Warmup = options.Warmup,
        Batches = batches,
    };
}

/// <summary>The candidate against its baseline per batch size: the latency ratio (with its interval) and the throughput ratio.</summary>
public sealed record BatchSpeedup(int BatchSize, SpeedupEstimate Latency, double Throughput);

/// <summary>Both models' figures from one side-by-side run, and the candidate's speed-up per batch size.</summary>
public sealed record BenchComparison
{
    public required BenchReport Baseline { get; init; }
    public required BenchReport Candidate { get; init; }
    public required IReadOnlyList<BatchSpeedup> Speedups { get; init; }
    /// <summary>With <c>--profile</c>: both models profiled, op types side by side.</summary>
    public Profiling.ProfileComparison? Profile { get; init; }
}
