using Microsoft.ML.OnnxRuntime;
using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Sessions;

namespace Optimizer.Runtime.Calibration;

/// <summary>
/// Runs a model over samples and hands each sample's outputs to a fold, in sample order, a few samples at a time on
/// the CPU (<see cref="OrderedSampleRuns{T}"/>): the loop the measurements of calibration data share (per-channel
/// maxima and means, GPTQ's input matrices). A sample the model fails on is refused naming it.
/// </summary>
internal static class SampleRuns
{
    /// <summary>
    /// Runs <paramref name="model"/> on at most <paramref name="maxSamples"/> of <paramref name="samples"/>, fetching
    /// <paramref name="outputNames"/> (none: the fold reads the sample alone), and returns how many ran; the fold sees
    /// one sample at a time, in order. <paramref name="check"/> sees each session made (a type check, say). Several
    /// samples run at once on a session of one intra-op thread (<see cref="SessionWorkers"/>) while their outputs fit
    /// <paramref name="inFlightBytes"/> together: the first sample runs alone and its outputs decide; a model
    /// over it gets a session on all the threads and runs one sample at a time.
    /// </summary>
    public static int Run(byte[] model, string displayName, SessionSettings settings, Action<InferenceSession>? check, IReadOnlyList<string> outputNames,
        IEnumerable<Sample> samples, int? maxSamples, CancellationToken cancel, Action<Sample, IReadOnlyList<OrtValue>> fold,
        long inFlightBytes = SessionWorkers.InFlightBytes)
    {
        var workers = SessionWorkers.For(settings);
        var session = Open(model, displayName, SessionWorkers.Session(settings, workers), check);
        try
        {
            using var runOptions = new RunOptions();
            using var reader = samples.GetEnumerator();
            var done = 0;
            if (workers > 1)
            {
                cancel.ThrowIfCancellationRequested();
                if (maxSamples is 0 || !reader.MoveNext()) return 0;
                long bytes;
                using (var outputs = Once(session, runOptions, session.InputNames.ToArray(), outputNames, reader.Current))
                {
                    bytes = outputs.Sum(o => (long)o.GetTensorDataAsSpan<byte>().Length);
                    fold(reader.Current, outputs);
                }
                done = 1;
                if (SessionWorkers.Within(workers, bytes, inFlightBytes) == 1)
                {
                    session.Dispose();
                    session = Open(model, displayName, settings, check);
                    workers = 1;
                }
            }
            var inputNames = session.InputNames.ToArray();
            var current = session;
            var runs = new OrderedSampleRuns<IDisposableReadOnlyCollection<OrtValue>>(workers, sample => Once(current, runOptions, inputNames, outputNames, sample),
                (_, sample, outputs) =>
                {
                    using (outputs) fold(sample, outputs);
                    return true;
                });
            return done + runs.Run(reader, maxSamples - done, null, cancel, out _);
        }
        finally
        {
            session.Dispose();
        }
    }

    private static InferenceSession Open(byte[] model, string displayName, SessionSettings settings, Action<InferenceSession>? check)
    {
        var session = SessionFactory.Create(model, displayName, settings);
        try
        {
            check?.Invoke(session);
            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// One run of <paramref name="sample"/> fetching <paramref name="outputNames"/> (none: no run, an empty list); the
    /// caller disposes the outputs. A missing input or a failed run is bad input naming the sample.
    /// </summary>
    public static IDisposableReadOnlyCollection<OrtValue> Once(InferenceSession session, RunOptions runOptions, string[] inputNames,
        IReadOnlyList<string> outputNames, Sample sample)
    {
        if (outputNames.Count == 0) return new NoOutputs();
        var values = new OrtValue[inputNames.Length];
        try
        {
            for (var i = 0; i < values.Length; i++)
                values[i] = (sample.Inputs.TryGetValue(inputNames[i], out var t) ? t : throw new InvalidInputException($"{sample.Source}: the sample has no input '{inputNames[i]}'")).ToOrtValue();
            return session.Run(runOptions, inputNames, values, outputNames);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidInputException($"{sample.Source}: the model failed to run on this sample: {OrtMessages.Clean(e.Message)}", e);
        }
        finally
        {
            foreach (var v in values) v?.Dispose();
        }
    }

    private sealed class NoOutputs : List<OrtValue>, IDisposableReadOnlyCollection<OrtValue>
    {
        public void Dispose() { }
    }
}
