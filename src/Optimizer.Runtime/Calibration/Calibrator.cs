using Microsoft.ML.OnnxRuntime;
using System.Diagnostics;
using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Data;

namespace Optimizer.Runtime.Calibration;

/// <summary>
/// Collects calibration statistics for INT8 static quantization: runs the FP32 model once per sample with every
/// observed tensor exposed as a graph output, in one ONNX Runtime session, and folds each tensor's values into
/// <see cref="TensorStatistics"/> as they stream by. Memory does not grow with the number of samples (the statistics
/// are fixed in size but for a percentile's tails, about 0.02 % of the values for the 99.99th): a few samples are held
/// at once, three one at a time (one being read, one running, one being folded), or one per worker
/// (<see cref="Sessions.OrderedSampleRuns{T}"/>).
/// </summary>
public static class Calibrator
{
    /// <summary>
    /// Runs <paramref name="modelBytes"/> (an ONNX model in its final FP32 form) over <paramref name="samples"/>,
    /// observing every tensor of <paramref name="tensorNames"/>. <paramref name="progress"/>(done, total) is called
    /// after each sample; total is known when <paramref name="samples"/> is a collection, otherwise null.
    /// Cancellation is checked between samples.
    /// </summary>
    public static CalibrationStatistics Collect(byte[] modelBytes, IReadOnlyCollection<string> tensorNames,
        IEnumerable<Sample> samples, CalibrationSettings settings, Action<int, int?>? progress = null, CancellationToken cancel = default)
    {
        int? count = samples switch
        {
            IReadOnlyCollection<Sample> c => c.Count,
            ICollection<Sample> c => c.Count,
            _ => null,
        };
        return Collect(modelBytes, tensorNames, samples, count, settings, progress, cancel);
    }

    /// <summary>
    /// The settings calibration's session runs with: <paramref name="settings"/> without spinning, since folding runs
    /// beside ONNX Runtime and its threads must not spin on the cores the fold needs.
    /// </summary>
    public static Sessions.SessionSettings SessionOf(Sessions.SessionSettings settings) => settings with { Spinning = false };

    /// <summary>As the other overload, over a <see cref="DataSet"/> read one sample at a time (its count is the total).</summary>
    public static CalibrationStatistics Collect(byte[] modelBytes, IReadOnlyCollection<string> tensorNames,
        DataSet data, CalibrationSettings settings, Action<int, int?>? progress = null, CancellationToken cancel = default) =>
        Collect(modelBytes, tensorNames, data.Read(), data.Count, settings, progress, cancel);

    private static CalibrationStatistics Collect(byte[] modelBytes, IReadOnlyCollection<string> tensorNames,
        IEnumerable<Sample> samples, int? sampleCount, CalibrationSettings settings, Action<int, int?>? progress, CancellationToken cancel)
    {
        Check(settings);
        var clock = Stopwatch.StartNew();
        var names = tensorNames.Distinct(StringComparer.Ordinal).ToList();
        if (names.Count == 0) throw new InvalidInputException("calibration needs at least one tensor to observe");
        var histograms = settings.NeedsHistograms;
        var tails = settings.TailShare;
        // statistics without a histogram carry through monotone maps (tails of |x| through odd ones only)
        Func<ValueMap, bool>? maps = histograms ? null : tails is not null && settings.Symmetric ? m => m.Odd : _ => true;
        var workers = Sessions.SessionWorkers.For(settings.Session, settings.Workers);
        using var source = samples.GetEnumerator();
        // Several samples in flight hold several runs' observed tensors: the first sample's input shapes tell, by shape
        // inference, how many bytes a run returns, and a model whose in-flight runs would pass the budget (a
        // high-resolution segmenter returns gigabytes a sample) runs one sample at a time on all the threads.
        var readClock = Stopwatch.StartNew();
        var first = settings.MaxSamples is not 0 && source.MoveNext() ? source.Current : null;
        var firstRead = readClock.Elapsed;
        var estimate = workers > 1 && settings.Workers is null && first is not null
            ? first.Inputs.ToDictionary(kv => kv.Key, kv => kv.Value.Shape, StringComparer.Ordinal)
            : null;
        var model = ObservedModel.Prepare(modelBytes, names, maps, estimate);
        var byName = model.Outputs.Concat(model.Inputs).ToDictionary(n => n,
            n => new TensorStatistics(n, settings.Bins, histograms, tails is { } share ? new TailValues(share, settings.Symmetric) : null), StringComparer.Ordinal);
        var total = settings.MaxSamples is { } max && sampleCount is { } known ? Math.Min(max, known) : sampleCount;
        using var reader = Resume(first, source).GetEnumerator();
        TimeSpan waiting;
        int done;
        // the estimate runs beside the creation of the workers' session; a model over the budget gets the other session
        var sizing = estimate is null ? null : Task.Run(model.BytesPerSample);
        var shared = workers > 1 ? new ObservingSession(model, byName, Sessions.SessionWorkers.Session(settings.Session, workers)) : null;
        if (sizing is not null && Sessions.SessionWorkers.Within(workers, sizing.GetAwaiter().GetResult(), settings.InFlightBytes) == 1)
        {
            shared?.Dispose();
            shared = null;
            workers = 1;
        }
        if (shared is not null)
        {
            using (shared)
            {
                var runs = new Sessions.OrderedSampleRuns<IDisposableReadOnlyCollection<OrtValue>>(workers, shared.Run, (_, sample, outputs) =>
                {
                    using (outputs) shared.Fold(sample, outputs, parallel: false);
                    return true;
                });
                done = runs.Run(reader, settings.MaxSamples, n => progress?.Invoke(n, total), cancel, out waiting);
            }
        }
        else
        {
            using var session = new ObservingSession(model, byName, SessionOf(settings.Session));
            done = RunPipelined(session, reader, settings.MaxSamples, n => progress?.Invoke(n, total), cancel, out waiting);
        }
        waiting += firstRead;
        if (done == 0) throw new InvalidInputException("calibration needs at least one sample; the data set has none");
        // a tensor observed through its source gets the source's statistics, through its map, under its own name
        var stats = names.Select(n => model.Sources[n] == n ? byName[n] : byName[model.Sources[n]].Through(n, model.Maps[n])).ToList();
        // The samples and ONNX Runtime's output buffers of every run are garbage now. Collected here, the peak memory of
        // a whole quantization (the method comparison's three sessions come next) stays flat in the number of samples:
        // bert_mini, 5 runs each, 20 samples 332-338 MB, 200 samples 335-338 MB; left to the collector, 200 samples took
        // 366-373 MB (collecting after this method returns did not help: measured, 359-366 MB).
        GC.Collect();
        return new CalibrationStatistics(done, stats) { Elapsed = clock.Elapsed, DataWait = waiting, Workers = workers };
    }

    /// <summary>The sample already read (if any), then the rest of the reader.</summary>
    private static IEnumerable<Sample> Resume(Sample? first, IEnumerator<Sample> rest)
    {
        if (first is null) yield break;
        yield return first;
        while (rest.MoveNext()) yield return rest.Current;
    }

    /// <summary>
    /// One sample at a time on all the session's threads, in a pipeline of three: the next sample is read while this
    /// one runs, and this one's outputs are folded while the next one runs. Each stage is one task at a time, so the
    /// reader and every statistics object see one thread. Returns the samples folded and the time spent waiting for
    /// the reader (decoding images, say: reported apart, since plain inference is timed on samples already read).
    /// </summary>
    private static int RunPipelined(ObservingSession session, IEnumerator<Sample> reader, int? limit, Action<int> folded, CancellationToken cancel, out TimeSpan dataWait)
    {
        var done = 0;
        var waiting = new Stopwatch();
        Task<bool>? reading = Task.Run(reader.MoveNext);
        Task? folding = null;
        try
        {
            while (limit is not { } most || done < most)
            {
                cancel.ThrowIfCancellationRequested();
                waiting.Start();
                var more = reading!.GetAwaiter().GetResult();
                waiting.Stop();
                reading = null;
                if (!more) break;
                var sample = reader.Current;
                if (limit is not { } last || done + 1 < last) reading = Task.Run(reader.MoveNext);
                var outputs = session.Run(sample);
                try
                {
                    folding?.GetAwaiter().GetResult();
                }
                catch
                {
                    outputs.Dispose();
                    throw;
                }
                folding = Task.Run(() =>
                {
                    using (outputs) session.Fold(sample, outputs, parallel: true);
                });
                done++;
                folded(done);
            }
            folding?.GetAwaiter().GetResult();
        }
        finally
        {
            // nothing may still use the reader or the session once they are disposed
            try { Task.WaitAll(new[] { reading, folding }.OfType<Task>().ToArray()); }
            catch (AggregateException) { }
        }
        dataWait = waiting.Elapsed;
        return done;
    }

    private static void Check(CalibrationSettings settings)
    {
        if (settings.Bins < EntropyThreshold.Levels)
            throw new InvalidInputException($"calibration histograms need at least {EntropyThreshold.Levels} bins, not {settings.Bins}");
        if (settings.MaxSamples is <= 0)
            throw new InvalidInputException($"the number of calibration samples must be positive, not {settings.MaxSamples}");
        RangeChoice.CheckPercentile(settings.Percentile);
    }
}
