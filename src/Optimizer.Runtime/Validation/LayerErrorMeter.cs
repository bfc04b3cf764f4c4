using Microsoft.ML.OnnxRuntime.Tensors;
using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Sessions;

namespace Optimizer.Runtime.Validation;

/// <summary>
/// "Which layer lost the accuracy?": runs an FP32 model and its quantized copy on the same samples with chosen
/// intermediate values exposed as extra outputs, and measures per value how far the quantized model drifted.
/// </summary>
public static class LayerErrorMeter
{
    public const string ReferenceName = "FP32 model";
    public const string QuantizedName = "quantized model";

    /// <summary>
    /// Measures each of <paramref name="values"/> that is a float node output (of the main graph or an If/Loop/Scan body) in both models
    /// (the others are skipped and not reported), over all <paramref name="samples"/>, which are read once, one at a
    /// time: only running sums are kept per value. Both models run with ONNX Runtime's optimizations off, so that
    /// neither fuses a measured value away. <paramref name="nodes"/> names the node (and op type) behind a value for
    /// the report; a value it does not list is named after its producer in the FP32 model.
    /// Returns the worst value (lowest SQNR) first; values of equal SQNR keep the order of <paramref name="values"/>.
    /// </summary>
    /// <param name="notComputed">Receives the values found in both models that no sample computed (a branch never taken).</param>
    public static IReadOnlyList<LayerError> Measure(byte[] fp32Model, byte[] quantizedModel, IReadOnlyList<string> values,
        IReadOnlyDictionary<string, (string Node, string OpType)> nodes, IEnumerable<Sample> samples, CancellationToken cancel = default,
        ICollection<string>? notComputed = null)
    {
        var reference = ExposedValues.Find(fp32Model, ReferenceName, values);
        var quantized = ExposedValues.Find(quantizedModel, QuantizedName, values);
        var measured = values.Distinct(StringComparer.Ordinal).Where(v => reference.Contains(v) && quantized.Contains(v)).ToArray();
        if (measured.Length == 0) return [];

        using var referenceRunner = new ModelRunner(reference.WithOutputs(measured, out var referenceOutputs), ReferenceName, SessionSettings.ForComparison);
        using var quantizedRunner = new ModelRunner(quantized.WithOutputs(measured, out var quantizedOutputs), QuantizedName, SessionSettings.ForComparison);
        var stats = measured.Select(_ => new LayerErrorStats()).ToArray();
        var count = 0;
        foreach (var sample in samples)
        {
            cancel.ThrowIfCancellationRequested();
            var expected = referenceRunner.Run(sample).Outputs;
            var actual = quantizedRunner.Run(sample).Outputs;
            for (var i = 0; i < measured.Length; i++)
            {
                var (e, a) = (expected[referenceOutputs[measured[i]]], actual[quantizedOutputs[measured[i]]]);
                // a body's value where this sample's If took the other branch (in either model): nothing to compare
                if (e.ElementCount == 0 || a.ElementCount == 0) continue;
                if (!e.Shape.SequenceEqual(a.Shape))
                    throw new InvalidInputException($"{sample.Source}: value '{measured[i]}' has shape {e.ShapeText} in the {ReferenceName} but {a.ShapeText} in the {QuantizedName}");
                stats[i].Add(Floats(e, measured[i], sample, ReferenceName), Floats(a, measured[i], sample, QuantizedName));
            }
            count++;
        }
        if (count == 0) throw new InvalidInputException("no samples to measure the layers' error on");
        for (var i = 0; i < measured.Length; i++)
            if (stats[i].Elements == 0) notComputed?.Add(measured[i]);

        return measured
            .Select((value, i) => (value, i))
            .Where(m => stats[m.i].Elements > 0) // a value no sample computed has no error to report
            .Select(m =>
            {
                var (node, opType) = NodeOf(m.value, nodes, reference);
                return stats[m.i].Result(m.value, node, opType);
            })
            .OrderBy(e => e.SqnrDb) // stable: equal SQNRs keep the caller's order
            .ToList();
    }

    private static (string? Node, string? OpType) NodeOf(string value, IReadOnlyDictionary<string, (string Node, string OpType)> nodes, ExposedValues reference)
    {
        if (nodes.TryGetValue(value, out var named)) return named;
        var producer = reference.Producer(value);
        return (producer?.Name, producer?.OpType);
    }

    private static ReadOnlySpan<float> Floats(HostTensor tensor, string value, Sample sample, string model) =>
        tensor.ElementType == TensorElementType.Float ? tensor.AsSpan<float>()
        : tensor.ElementType == TensorElementType.Float16 ? Widen(tensor.AsSpan<Half>(), h => (float)h)
        : tensor.ElementType == TensorElementType.BFloat16 ? Widen(tensor.AsSpan<ushort>(), b => BitConverter.UInt32BitsToSingle((uint)b << 16))
        : throw new InvalidInputException($"{sample.Source}: value '{value}' of the {model} is {TensorTypes.Name(tensor.ElementType)}, not float");

    private static float[] Widen<T>(Span<T> values, Func<T, float> widen) where T : unmanaged
    {
        var result = new float[values.Length];
        for (var i = 0; i < values.Length; i++) result[i] = widen(values[i]);
        return result;
    }
}
