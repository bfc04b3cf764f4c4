using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Sessions;

namespace Optimizer.Runtime.Benchmark;

/// <summary>
/// <c>optimize bench</c>: for each batch size, a fresh session (cold start: creation and first run, apart), warm-up
/// runs, then the timed runs on pre-bound inputs and outputs, and the process's peak memory meanwhile.
/// </summary>
public static class Benchmarker
{
    public static BenchReport Run(BenchOptions options, IProgress<BenchProgress>? progress = null, CancellationToken cancel = default)
    {
        TimingOverhead? overhead = null;
        var (results, interrupted) = EachBatch(options.BatchSizes, cancel,
            (batch, index) => Guard(options.ModelPath, batch, () => RunBatch(options, batch, index == 0, progress, cancel, ref overhead)));
        return new BenchReport
        {
            Model = Path.GetFullPath(options.ModelPath),
            Runtime = RuntimeName(options),
            Provider = options.Session.Provider.ToString().ToLowerInvariant(),
            Threads = options.Session.Threads,
            SessionOptions = SessionOptionsInEffect.Of(options.Session),
            Data = options.Data.Folder is null ? $"random inputs (seed {options.Data.Seed})" : Path.GetFullPath(options.Data.Folder),
            Warmup = options.Warmup,
            Batches = results,
            Overhead = overhead,
            Interrupted = interrupted,
        };
    }

    /// <summary>
    /// Runs <paramref name="run"/> for each batch size in turn. Interrupted after at least one finished, the batch sizes
    /// that finished are still a result worth keeping: they are returned, with interrupted set.
    /// </summary>
    internal static (List<T> Results, bool Interrupted) EachBatch<T>(IEnumerable<int> batches, CancellationToken cancel, Func<int, int, T> run)
    {
        var results = new List<T>();
        foreach (var batch in batches)
        {
            try
            {
                cancel.ThrowIfCancellationRequested();
                results.Add(run(batch, results.Count));
            }
            catch (OperationCanceledException) when (results.Count > 0)
            {
                return (results, true);
            }
        }
        return (results, false);
    }

    /// <summary>ONNX Runtime's failures while running <paramref name="modelPath"/> at a batch size, as one line (exit 2).</summary>
    internal static T Guard<T>(string modelPath, int batch, Func<T> work)
    {
        try
        {
            return work();
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidInputException($"{modelPath}: ONNX Runtime failed to run the model (batch {batch}): {OrtMessages.Clean(e.Message)}", e);
        }
        catch (Exception e) when (e is NotSupportedException or OverflowException)
        {
            throw new InvalidInputException($"{modelPath}: the model ran, but its outputs cannot be measured (batch {batch}): {e.Message}", e);
        }
    }

    /// <summary>What the report says about the runtime of <paramref name="options"/>' sessions.</summary>
    internal static string RuntimeName(BenchOptions options) =>
        $"onnxruntime {OrtEnv.Instance().GetVersionString()}, graph optimizations {options.Session.OptimizationName}";

    private static BatchResult RunBatch(BenchOptions options, int batch, bool first, IProgress<BenchProgress>? progress, CancellationToken cancel, ref TimingOverhead? overhead)
    {
        // Nothing is reported before the model has run: a model ONNX Runtime cannot run makes one line of error.
        if (!first) progress?.Report(new BenchProgress(batch, "loading", 0, 1));
        PeakMemory.Reset();
        using var session = SessionFactory.Create(options.ModelPath, options.Session, out var creation);
        if (first) BatchInputs.CheckBatchAxes(ModelSignature.Of(session), options.BatchSizes);
        var inputs = BatchInputs.Make(options.Data, ModelSignature.Of(session), batch, out var distinct);
        using var bound = Bind(options.ModelPath, session, inputs, out var firstRun);
        // One run on the bound buffers: ONNX Runtime checks the outputs' shapes against the model's only then.
        bound.Run();
        if (first) progress?.Report(new BenchProgress(batch, "loading", 1, 1));

        var warmup = new double[Math.Max(options.Warmup, 1)];
        TimingLoop.Measure(bound.Run, warmup, options.Warmup, null, d => progress?.Report(new BenchProgress(batch, "warm-up", d, options.Warmup)), cancel);
        var capacity = options.Duration is { } d ? TimingLoop.CapacityFor(d, options.Warmup > 0 ? warmup.Min() : firstRun.TotalMilliseconds) : options.Runs;
        var latencies = new double[capacity];
        // With --duration, progress is in milliseconds elapsed rather than runs done.
        var total = options.Duration is null ? options.Runs : (int)Math.Round(options.Duration.Value.TotalMilliseconds);
        var started = Stopwatch.GetTimestamp();
        var count = TimingLoop.Measure(bound.Run, latencies, options.Runs, options.Duration,
            done => progress?.Report(new BenchProgress(batch, "timed", options.Duration is null ? done : Math.Min(total, (int)Stopwatch.GetElapsedTime(started).TotalMilliseconds), total)), cancel);
        var measured = latencies.AsSpan(0, count).ToArray();
        var result = new BatchResult
        {
            BatchSize = batch,
            ColdStart = new ColdStart(creation.TotalMilliseconds, firstRun.TotalMilliseconds),
            Runs = count,
            LatencyMs = LatencyStats.From(measured),
            ThroughputPerSecond = batch * count / (measured.Sum() / 1000.0),
            PeakMemoryBytes = PeakMemory.ReadBytes(),
            DistinctSamples = distinct < batch ? distinct : null,
            UndeclaredOutputShapes = bound.UndeclaredOutputShapes,
            RunLatenciesMs = measured,
        };
        if (options.MeasureOverhead && overhead is null)
        {
            progress?.Report(new BenchProgress(batch, "overhead check", 0, 1));
            overhead = OverheadCheck.Measure(bound, Math.Max(options.Runs, 10), 15, cancel);
        }
        return result;
    }

    internal static BoundSession Bind(string modelPath, InferenceSession session, IReadOnlyDictionary<string, HostTensor> inputs, out TimeSpan firstRun)
    {
        try
        {
            return new BoundSession(session, inputs, out firstRun);
        }
        catch (InvalidInputException e)
        {
            throw new InvalidInputException($"{modelPath}: {e.Message}", e);
        }
    }
}
