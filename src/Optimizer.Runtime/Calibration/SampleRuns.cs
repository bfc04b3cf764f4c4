using Microsoft.ML.OnnxRuntime;
using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Sessions;

namespace Optimizer.Runtime.Calibration;

/// <summary>
/// Runs a session over samples and hands each sample's outputs to a fold, in sample order, a few samples at a time on
/// the CPU (<see cref="OrderedSampleRuns{T}"/>): the loop the measurements of calibration data share (per-channel
/// maxima and means, GPTQ's input matrices). A sample the model fails on is refused naming it.
/// </summary>
internal static class SampleRuns
{
    /// <summary>A session for <see cref="Run"/> and the samples it runs at once (of one intra-op thread when several).</summary>
    public static (InferenceSession Session, int Workers) Open(byte[] model, string displayName, SessionSettings settings)
    {
        var workers = SessionWorkers.For(settings);
        return (SessionFactory.Create(model, displayName, SessionWorkers.Session(settings, workers)), workers);
    }

    /// <summary>
    /// Runs <paramref name="session"/> (from <see cref="Open"/>) on at most <paramref name="maxSamples"/> of
    /// <paramref name="samples"/>, fetching <paramref name="outputNames"/> (none: the fold reads the sample alone), and
    /// returns how many ran. The fold sees one sample at a time, in order.
    /// </summary>
    public static int Run(InferenceSession session, int workers, IReadOnlyList<string> outputNames, IEnumerable<Sample> samples, int? maxSamples,
        CancellationToken cancel, Action<Sample, IReadOnlyList<OrtValue>> fold)
    {
        var inputNames = session.InputNames.ToArray();
        using var runOptions = new RunOptions();
        using var reader = samples.GetEnumerator();
        var runs = new OrderedSampleRuns<IDisposableReadOnlyCollection<OrtValue>>(workers, sample => Once(session, runOptions, inputNames, outputNames, sample),
            (_, sample, outputs) =>
            {
                using (outputs) fold(sample, outputs);
                return true;
            });
        return runs.Run(reader, maxSamples, null, cancel, out _);
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
