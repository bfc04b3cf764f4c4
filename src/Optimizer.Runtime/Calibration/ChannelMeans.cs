using Microsoft.ML.OnnxRuntime;
using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Sessions;

namespace Optimizer.Runtime.Calibration;

/// <summary>
/// The mean of each channel (axis 1: NCHW feature maps, the N of a Gemm's [M, N]) of some tensors over data, across
/// every sample, batch entry and position: what bias correction compares between an FP32 model and its quantized form.
/// One run per sample with the tensors exposed as outputs, as <see cref="ChannelMaxima"/> does; memory is one sum per
/// channel.
/// </summary>
public static class ChannelMeans
{
    /// <summary>
    /// Runs <paramref name="modelBytes"/> over <paramref name="samples"/> (at most <paramref name="maxSamples"/>) with
    /// <paramref name="session"/>'s settings and returns each tensor's per-channel mean, by the names asked for.
    /// </summary>
    public static IReadOnlyDictionary<string, double[]> Collect(byte[] modelBytes, IReadOnlyList<string> tensorNames, IEnumerable<Sample> samples,
        SessionSettings session, int? maxSamples = null, CancellationToken cancel = default)
    {
        var names = tensorNames.Distinct(StringComparer.Ordinal).ToList();
        var result = new Dictionary<string, double[]>(StringComparer.Ordinal);
        if (names.Count == 0) return result;
        var model = ObservedModel.Prepare(modelBytes, names);
        if (model.Inputs.Count > 0) throw new InvalidInputException($"channel means of graph inputs are not collected: {NameList.Format(model.Inputs)}");
        var outputNames = model.Outputs.ToArray();
        var sums = new Dictionary<string, (double[] Sum, long Count)>(StringComparer.Ordinal);
        var done = SampleRuns.Run(model.Bytes, "bias correction model", session, model.CheckTypes, outputNames, samples, maxSamples, cancel, (_, outputs) =>
        {
            for (var i = 0; i < outputNames.Length; i++) Add(outputNames[i], outputs[i], sums);
        });
        if (done == 0) throw new InvalidInputException("channel means need at least one sample; the data set has none");
        foreach (var name in names)
        {
            var (sum, count) = sums[model.Sources[name]];
            result[name] = sum.Select(s => count == 0 ? 0 : s / count).ToArray();
        }
        return result;
    }

    /// <summary>Adds one output's values into its per-channel sums (channels on axis 1; a vector is one channel per value).</summary>
    internal static void Add(string name, OrtValue value, Dictionary<string, (double[] Sum, long Count)> sums)
    {
        var shape = value.GetTensorTypeAndShape().Shape;
        var data = value.GetTensorDataAsSpan<float>();
        var (outer, channels, inner) = shape.Length switch
        {
            0 => (1L, 1L, 1L),
            1 => (1L, shape[0], 1L),
            _ => (shape[0], shape[1], shape.Skip(2).Aggregate(1L, (a, d) => a * d)),
        };
        if (!sums.TryGetValue(name, out var entry)) sums[name] = entry = (new double[channels], 0);
        else if (entry.Sum.Length != channels) throw new InvalidInputException($"'{name}' has {channels} channels on one sample and {entry.Sum.Length} on another");
        var sum = entry.Sum;
        for (long n = 0; n < outer; n++)
            for (long c = 0; c < channels; c++)
            {
                var start = (int)((n * channels + c) * inner);
                var s = 0d;
                foreach (var x in data.Slice(start, (int)inner)) s += x;
                sum[c] += s;
            }
        sums[name] = (sum, entry.Count + outer * inner);
    }
}
