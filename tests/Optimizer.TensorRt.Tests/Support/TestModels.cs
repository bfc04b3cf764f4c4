using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.TensorRt.Flags;
using Optimizer.TestKit;

namespace Optimizer.TensorRt.Tests.Support;

/// <summary>Small models for engine builds: FP32, FP16 and Q/DQ variants of Conv → Relu with a dynamic batch.</summary>
public static class TestModels
{
    public static readonly string[] Kinds = ["fp32", "fp16", "qdq"];

    /// <summary>Writes the model of <paramref name="kind"/> to <paramref name="path"/> and returns its facts.</summary>
    public static ModelFacts Write(string kind, string path)
    {
        var model = kind switch
        {
            "fp32" => Float(ElementType.Float),
            "fp16" => Float(ElementType.Float16),
            "qdq" => Quantized(weights: true, zeroPoint: 0),
            "qdq-activation-only" => Quantized(weights: false, zeroPoint: 0),
            "qdq-asymmetric" => Quantized(weights: true, zeroPoint: 3),
            "qdq-activation-only-unnamed" => Unnamed(Quantized(weights: false, zeroPoint: 0)),
            _ => throw new ArgumentException(kind),
        };
        ModelWriter.Write(model, path);
        return ModelFactsReader.FromModel(ModelReader.Read(path));
    }

    private static Model Float(ElementType type)
    {
        var b = new GraphBuilder();
        var x = b.Input("x", type, "batch", 3, 8, 8);
        var floats = b.RandomFloats([4, 3, 3, 3], 0.5f);
        var w = type == ElementType.Float16
            ? b.Initializer("w", floats.Select(f => (Half)f).ToArray(), 4, 3, 3, 3)
            : b.Initializer("w", floats, 4, 3, 3, 3);
        var conv = b.Op("Conv", [x, w], ("pads", new long[] { 1, 1, 1, 1 }));
        b.Output(b.Op("Relu", [conv]));
        return b.Build();
    }

    /// <summary>The same model with every node's name cleared, as some exporters write them.</summary>
    private static Model Unnamed(Model model)
    {
        foreach (var node in model.Graph.Nodes) node.Name = "";
        return model;
    }

    /// <summary>Q→DQ on the activation, and on the weights too unless <paramref name="weights"/> is false.</summary>
    private static Model Quantized(bool weights, sbyte zeroPoint)
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, "batch", 3, 8, 8);
        var scale = b.Initializer("x_scale", new[] { 0.02f });
        var zero = b.Initializer("x_zero", new[] { zeroPoint });
        var dqX = b.Op("DequantizeLinear", [b.Op("QuantizeLinear", [x, scale, zero]), scale, zero]);
        Value w;
        if (weights)
        {
            var q = b.RandomFloats([4 * 27], 1f).Select(f => (sbyte)Math.Round(f * 100)).ToArray();
            var wq = b.Initializer("w_q", q, 4, 3, 3, 3);
            var wScale = b.Initializer("w_scale", new[] { 0.004f, 0.005f, 0.006f, 0.007f }, 4);
            var wZero = b.Initializer("w_zero", new sbyte[4], 4);
            w = b.Op("DequantizeLinear", [wq, wScale, wZero], ("axis", 0L));
        }
        else
        {
            w = b.RandomInitializer("w", 0.5f, 4, 3, 3, 3);
        }
        var conv = b.Op("Conv", [dqX, w], ("pads", new long[] { 1, 1, 1, 1 }));
        b.Output(b.Op("Relu", [conv]));
        return b.Build();
    }
}
