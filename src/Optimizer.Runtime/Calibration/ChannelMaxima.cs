using Microsoft.ML.OnnxRuntime;
using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Sessions;

namespace Optimizer.Runtime.Calibration;

/// <summary>
/// The largest |x| of each channel (the last axis) of some tensors over the calibration data: what SmoothQuant needs,
/// and what the per-tensor <see cref="TensorStatistics"/> do not keep. One run per sample, as the
/// <see cref="Calibrator"/> does, with the tensors exposed as outputs; memory is one float per channel.
/// </summary>
public static class ChannelMaxima
{
    public static IReadOnlyDictionary<string, float[]> Collect(byte[] modelBytes, IReadOnlyList<string> tensorNames, DataSet data,
        CalibrationSettings settings, CancellationToken cancel = default)
    {
        var names = tensorNames.Distinct(StringComparer.Ordinal).ToList();
        var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
        if (names.Count == 0) return result;
        var model = ObservedModel.Prepare(modelBytes, names);
        if (model.Inputs.Count > 0) throw new InvalidInputException($"per-channel maxima of graph inputs are not collected: {NameList.Format(model.Inputs)}");
        var outputNames = model.Outputs.ToArray();
        SampleRuns.Run(model.Bytes, "calibration model", settings.Session, model.CheckTypes, outputNames, data.Read(), settings.MaxSamples, cancel, (_, outputs) =>
        {
            for (var i = 0; i < outputNames.Length; i++) Fold(outputNames[i], outputs[i], result);
        });
        return result;
    }

    private static void Fold(string name, OrtValue value, Dictionary<string, float[]> result)
    {
        var shape = value.GetTensorTypeAndShape().Shape;
        var channels = shape.Length == 0 ? 1 : (int)shape[^1];
        if (!result.TryGetValue(name, out var max)) result[name] = max = new float[channels];
        else if (max.Length != channels) throw new InvalidInputException($"'{name}' has {channels} channels on one sample and {max.Length} on another");
        var data = value.GetTensorDataAsSpan<float>();
        for (var i = 0; i < data.Length; i++)
        {
            var a = MathF.Abs(data[i]);
            if (float.IsFinite(a) && a > max[i % channels]) max[i % channels] = a;
        }
    }
}
