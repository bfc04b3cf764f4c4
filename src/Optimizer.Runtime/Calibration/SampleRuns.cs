using Microsoft.ML.OnnxRuntime;
using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Sessions;

namespace Optimizer.Runtime.Calibration;

/// <summary>
/// Runs a session over samples one at a time and hands each sample's outputs to a fold: the loop the measurements of
/// calibration data share (per-channel maxima and means, GPTQ's input matrices). A sample the model fails on is
/// refused naming it.
/// </summary>
internal static class SampleRuns
{
    /// <summary>
    /// Runs <paramref name="session"/> on at most <paramref name="maxSamples"/> of <paramref name="samples"/>, fetching
    /// <paramref name="outputNames"/> (none: the fold reads the sample alone), and returns how many ran.
    /// </summary>
    public static int Run(InferenceSession session, IReadOnlyList<string> outputNames, IEnumerable<Sample> samples, int? maxSamples,
        CancellationToken cancel, Action<Sample, IReadOnlyList<OrtValue>> fold)
    {
        var inputNames = session.InputNames.ToArray();
        using var runOptions = new RunOptions();
        var done = 0;
        foreach (var sample in samples)
        {
            cancel.ThrowIfCancellationRequested();
            if (maxSamples is { } limit && done >= limit) break;
            var values = new OrtValue[inputNames.Length];
            try
            {
                for (var i = 0; i < values.Length; i++)
                    values[i] = (sample.Inputs.TryGetValue(inputNames[i], out var t) ? t : throw new InvalidInputException($"{sample.Source}: the sample has no input '{inputNames[i]}'")).ToOrtValue();
                if (outputNames.Count == 0) fold(sample, []);
                else
                {
                    using var outputs = session.Run(runOptions, inputNames, values, outputNames);
                    fold(sample, outputs);
                }
            }
            catch (OnnxRuntimeException e)
            {
                throw new InvalidInputException($"{sample.Source}: the model failed to run on this sample: {OrtMessages.Clean(e.Message)}", e);
            }
            finally
            {
                foreach (var v in values) v?.Dispose();
            }
            done++;
        }
        return done;
    }
}
