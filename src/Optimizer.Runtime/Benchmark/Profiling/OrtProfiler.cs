using Microsoft.ML.OnnxRuntime;
using Optimizer.Runtime.Sessions;

namespace Optimizer.Runtime.Benchmark.Profiling;

/// <summary>
/// <c>bench --profile</c> under ONNX Runtime: a session of its own with ONNX Runtime's profiler on (never the timed
/// one: profiling slows every run), the warm-up, then the profiled runs. The profiler writes its trace into a
/// private temporary folder, which is read and deleted: no file is left behind, in the working folder or elsewhere.
/// </summary>
public static class OrtProfiler
{
    public const string Source = "onnxruntime profiler";

    public static ModelProfile Run(BenchOptions options, int runs, IProgress<BenchProgress>? progress = null, CancellationToken cancel = default)
    {
        var batch = options.BatchSizes[0];
        var folder = Directory.CreateTempSubdirectory("optimize-profile-").FullName;
        try
        {
            string trace;
            int madeRuns;
            {
                var settings = options.Session with { ProfilePrefix = Path.Combine(folder, "ort_profile") };
                progress?.Report(new BenchProgress(batch, "profiling", 0, runs));
                using var session = Benchmarker.Guard(options.ModelPath, batch, () => SessionFactory.Create(options.ModelPath, settings, out _));
                var inputs = BatchInputs.Make(options.Data, ModelSignature.Of(session), batch);
                using var bound = Benchmarker.Guard(options.ModelPath, batch, () => Benchmarker.Bind(options.ModelPath, session, inputs, out _));
                madeRuns = 1; // binding ran the model once
                for (var i = 0; i < options.Warmup; i++, madeRuns++)
                {
                    cancel.ThrowIfCancellationRequested();
                    Benchmarker.Guard(options.ModelPath, batch, () => { bound.Run(); return 0; });
                }
                for (var i = 0; i < runs; i++, madeRuns++)
                {
                    cancel.ThrowIfCancellationRequested();
                    Benchmarker.Guard(options.ModelPath, batch, () => { bound.Run(); return 0; });
                    progress?.Report(new BenchProgress(batch, "profiling", i + 1, runs));
                }
                var file = session.EndProfiling();
                trace = File.ReadAllText(file);
            }
            var all = ProfileTrace.Parse(trace, $"{options.ModelPath}: ONNX Runtime's profile");
            if (all.Runs.Count < madeRuns)
                throw new InvalidOperationException($"ONNX Runtime's profile holds {all.Runs.Count} runs, {madeRuns} were made");
            return new ModelProfile
            {
                Model = Path.GetFullPath(options.ModelPath),
                BatchSize = batch,
                Warmup = madeRuns - runs,
                Table = ProfileAggregator.Aggregate(all.LastRuns(runs), Source),
                TraceFileName = $"profile_{Path.GetFileNameWithoutExtension(options.ModelPath)}.json",
                Trace = trace,
            };
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
