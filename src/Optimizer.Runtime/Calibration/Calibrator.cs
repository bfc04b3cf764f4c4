using System.Diagnostics;
using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Data;

namespace Optimizer.Runtime.Calibration;

/// <summary>
/// Collects calibration statistics for INT8 static quantization: runs the FP32 model once per sample with every
/// observed tensor exposed as a graph output, in one ONNX Runtime session, and folds each tensor's values into
/// fixed-size <see cref="TensorStatistics"/> as they stream by. Memory does not grow with the number of samples:
/// at most three samples are held at once (one being read, one running, one being folded).
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
        var model = ObservedModel.Prepare(modelBytes, names);
        var histograms = settings.Method != CalibrationMethod.MinMax || settings.KeepHistograms;
        var byName = model.Outputs.Concat(model.Inputs).ToDictionary(n => n, n => new TensorStatistics(n, settings.Bins, histograms), StringComparer.Ordinal);
        using var session = new ObservingSession(model, byName, SessionOf(settings.Session));
        var total = settings.MaxSamples is { } max && sampleCount is { } known ? Math.Min(max, known) : sampleCount;
        var done = 0;
        // time spent waiting for the reader (decoding images, say): reported apart, since plain inference is timed on samples already read
        var waiting = new Stopwatch();
        using var reader = samples.GetEnumerator();
        // A pipeline of three: the next sample is read while this one runs, and this one's outputs are folded while
        // the next one runs. Each stage is one task at a time, so the reader and every statistics object see one thread.
        Task<bool>? reading = Task.Run(reader.MoveNext);
        Task? folding = null;
        try
        {
            while (settings.MaxSamples is not { } limit || done < limit)
            {
                cancel.ThrowIfCancellationRequested();
                waiting.Start();
                var more = reading!.GetAwaiter().GetResult();
                waiting.Stop();
                reading = null;
                if (!more) break;
                var sample = reader.Current;
                if (settings.MaxSamples is not { } last || done + 1 < last) reading = Task.Run(reader.MoveNext);
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
                    using (outputs) session.Fold(sample, outputs);
                });
                done++;
                progress?.Invoke(done, total);
            }
            folding?.GetAwaiter().GetResult();
        }
        finally
        {
            // nothing may still use the reader or the session once they are disposed
            try { Task.WaitAll(new[] { reading, folding }.OfType<Task>().ToArray()); }
            catch (AggregateException) { }
        }
        if (done == 0) throw new InvalidInputException("calibration needs at least one sample; the data set has none");
        // a tensor observed through its source gets a copy of the source's statistics under its own name
        var stats = names.Select(n => model.Sources[n] == n ? byName[n] : byName[model.Sources[n]].CopyAs(n)).ToList();
        return new CalibrationStatistics(done, stats) { Elapsed = clock.Elapsed, DataWait = waiting.Elapsed };
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
