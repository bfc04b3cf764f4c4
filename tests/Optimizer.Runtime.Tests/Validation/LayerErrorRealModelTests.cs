using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Validation;
using Optimizer.TestKit;

namespace Optimizer.Runtime.Tests.Validation;

public sealed class LayerErrorRealModelTests
{
    private static readonly string SqueezeNet = TestPaths.SharedModel("squeezenet1_1.onnx");

    /// <summary>A crude INT8 stand-in: every float weight (rank ≥ 2) rounded to 8 bits, symmetric, one scale per tensor.</summary>
    private static byte[] RoundWeightsTo8Bits(Model model)
    {
        foreach (var tensor in model.Graph.Initializers.Select(v => v.Initializer!).Where(t => t.ElementType == ElementType.Float && t.Dims.Count >= 2))
        {
            var values = tensor.ToArray<float>();
            var scale = values.Max(MathF.Abs) / 127;
            if (scale == 0) continue;
            for (var i = 0; i < values.Length; i++) values[i] = MathF.Round(values[i] / scale) * scale;
            tensor.SetData(values, tensor.Dims.ToArray());
        }
        return ModelWriter.ToBytes(model);
    }

    [Fact]
    public void SqueezeNetWithWeightsRoundedTo8BitsHasAWorstLayer()
    {
        var fp32 = File.ReadAllBytes(SqueezeNet);
        var model = ModelReader.Read(SqueezeNet);
        var layers = model.Graph.Nodes.Where(n => n.OpType is "Conv" or "Relu" or "Concat" or "MaxPool").ToList();
        var values = layers.Select(n => n.Output().Name).ToList();
        var nodes = layers.ToDictionary(n => n.Output().Name, n => (n.Name, n.OpType));
        var quantized = RoundWeightsTo8Bits(model);

        var random = new Random(7);
        var samples = Enumerable.Range(0, 3).Select(i =>
        {
            var x = new float[3 * 224 * 224];
            for (var k = 0; k < x.Length; k++) x[k] = (float)(random.NextDouble() * 4 - 2);
            return new Sample($"r{i}", $"random {i}", new Dictionary<string, HostTensor> { ["input"] = HostTensor.FromArray(x, [1, 3, 224, 224]) });
        });

        var errors = LayerErrorMeter.Measure(fp32, quantized, values, nodes, samples);

        Assert.Equal(values.Count, errors.Count);
        var (worst, best) = (errors[0], errors[^1]);
        Assert.True(double.IsFinite(worst.SqnrDb), $"worst {worst.Node}: {worst.SqnrDb} dB");
        Assert.True(worst.SqnrDb < best.SqnrDb, $"worst {worst.SqnrDb} dB, best {best.SqnrDb} dB");
        Assert.True(worst.SqnrDb > 10, $"8-bit weights should keep every layer above 10 dB; {worst.Node} has {worst.SqnrDb}");
        Assert.All(errors, e => Assert.True(e.Elements > 0 && e.Cosine > 0.9, $"{e.Node}: cosine {e.Cosine}"));
        Assert.Equal(errors.Select(e => e.SqnrDb).Order(), errors.Select(e => e.SqnrDb));

        if (Environment.GetEnvironmentVariable("OPTIMIZER_KEEP_PLOTS") is { Length: > 0 } folder)
        {
            LayerErrorPlot.SavePng(errors, Path.Combine(folder, "squeezenet_layers.png"));
            File.WriteAllText(Path.Combine(folder, "squeezenet_layers.md"), LayerErrorTable.Markdown(errors));
        }
    }
}
