namespace Optimizer.Runtime.Benchmark.Profiling;

/// <summary>
/// <c>bench --profile</c> under ONNX Runtime: sessions of their own with ONNX Runtime's profiler on (never the timed
/// ones: profiling slows every run), the warm-up, then the profiled runs; only those are counted. With a baseline,
/// both models' sessions run in alternating rounds on the same inputs, so a change of load on the machine falls on
/// both alike. The trace files are read and deleted (see <see cref="ProfilingSession"/>).
/// </summary>
public static class OrtProfiler
{
    public const string Source = "onnxruntime profiler";

    public static ModelProfile Run(BenchOptions options, int runs, IProgress<BenchProgress>? progress = null, CancellationToken cancel = default)
    {
        using var session = new ProfilingSession(options, options.BatchSizes[0]);
        Loop([session], options, runs, progress, cancel);
        return Read(session, options, runs);
    }

    /// <summary>The baseline and the candidate profiled in alternating rounds, their op types side by side.</summary>
    public static ProfileComparison RunPair(BenchOptions candidate, string baselinePath, int runs, IProgress<BenchProgress>? progress = null, CancellationToken cancel = default)
    {
        var baseline = candidate with { ModelPath = baselinePath };
        var batch = candidate.BatchSizes[0];
        using var b = new ProfilingSession(candidate, batch);
        using var a = new ProfilingSession(baseline, batch);
        Loop([a, b], candidate, runs, progress, cancel);
        return ProfileComparison.Of(Read(a, baseline, runs), Read(b, candidate, runs));
    }

    private static void Loop(IReadOnlyList<ProfilingSession> sessions, BenchOptions options, int runs, IProgress<BenchProgress>? progress, CancellationToken cancel)
    {
        var batch = options.BatchSizes[0];
        progress?.Report(new BenchProgress(batch, "profiling", 0, runs));
        for (var i = 0; i < options.Warmup + runs; i++)
        {
            cancel.ThrowIfCancellationRequested();
            // Alternate which model goes first, as the side-by-side timing does.
            foreach (var session in i % 2 == 0 ? sessions : sessions.Reverse()) session.Run();
            if (i >= options.Warmup) progress?.Report(new BenchProgress(batch, "profiling", i - options.Warmup + 1, runs));
        }
    }

    private static ModelProfile Read(ProfilingSession session, BenchOptions options, int runs)
    {
        var trace = session.Finish();
        var all = ProfileTrace.Parse(trace, $"{options.ModelPath}: ONNX Runtime's profile");
        if (all.Runs.Count < session.Runs)
            throw new InvalidOperationException($"ONNX Runtime's profile holds {all.Runs.Count} runs, {session.Runs} were made");
        return new ModelProfile
        {
            Model = Path.GetFullPath(options.ModelPath),
            BatchSize = options.BatchSizes[0],
            Warmup = session.Runs - runs,
            Table = ProfileAggregator.Aggregate(all.LastRuns(runs), Source),
            TraceFileName = $"profile_{Path.GetFileNameWithoutExtension(options.ModelPath)}.json",
            Trace = trace,
        };
    }
}
