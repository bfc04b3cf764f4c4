using Optimizer.Onnx.IR;
using Attribute = Optimizer.Onnx.IR.Attribute;

namespace ModelGen;

/// <summary>
/// A small image classifier, made here so the project ships a model it may redistribute: Conv→BatchNormalization→Relu
/// blocks, a residual Add, global pooling, Flatten and a Gemm head, on 1x3x64x64 input with a dynamic batch. Its
/// weights are seeded, so it is the same on every machine.
/// </summary>
public static class TinyCnn
{
    public static Model Create()
    {
        var graph = new Graph("tiny_cnn");
        var model = new Model(graph) { IrVersion = 8, ProducerName = "modelgen", ProducerVersion = "1" };
        model.OpsetImports.Add(new OpsetImport("", 13));
        var random = new Random(2026);
        var x = graph.AddInput("input", new TensorTypeInfo(ElementType.Float, new Shape([Dim.Symbol("batch"), 3, 64, 64])));
        var h = Block(graph, random, x, 3, 16, stride: 2, "b1");
        var skip = h;
        h = Block(graph, random, h, 16, 16, stride: 1, "b2");
        h = graph.AddNode("Add", [h, skip], ["res"], name: "residual").Output();
        h = Block(graph, random, h, 16, 32, stride: 2, "b3");
        h = graph.AddNode("GlobalAveragePool", [h], ["pooled"], name: "pool").Output();
        h = graph.AddNode("Flatten", [h], ["flat"], [Attribute.FromInt("axis", 1)], name: "flatten").Output();
        var w = graph.AddInitializer(Tensor.FromArray("fc.weight", Floats(random, 10 * 32, 0.2f), 10, 32));
        var b = graph.AddInitializer(Tensor.FromArray("fc.bias", Floats(random, 10, 0.1f), 10));
        var logits = graph.AddNode("Gemm", [h, w, b], ["logits"], [Attribute.FromInt("transB", 1)], name: "fc").Output();
        logits.Type = new TensorTypeInfo(ElementType.Float, new Shape([Dim.Symbol("batch"), 10]));
        graph.AddOutput(logits);
        return model;
    }

    private static Value Block(Graph g, Random random, Value x, int cin, int cout, int stride, string name)
    {
        var w = g.AddInitializer(Tensor.FromArray($"{name}.conv.weight", Floats(random, cout * cin * 9, MathF.Sqrt(2f / (cin * 9))), cout, cin, 3, 3));
        var conv = g.AddNode("Conv", [x, w], [$"{name}.conv"],
            [Attribute.FromInts("kernel_shape", [3, 3]), Attribute.FromInts("pads", [1, 1, 1, 1]), Attribute.FromInts("strides", [stride, stride])],
            name: $"{name}.conv").Output();
        var scale = g.AddInitializer(Tensor.FromArray($"{name}.bn.scale", Floats(random, cout, 0.2f).Select(v => 1 + v).ToArray(), cout));
        var bias = g.AddInitializer(Tensor.FromArray($"{name}.bn.bias", Floats(random, cout, 0.1f), cout));
        var mean = g.AddInitializer(Tensor.FromArray($"{name}.bn.mean", Floats(random, cout, 0.1f), cout));
        var variance = g.AddInitializer(Tensor.FromArray($"{name}.bn.var", Floats(random, cout, 0.2f).Select(v => 1 + v).ToArray(), cout));
        var bn = g.AddNode("BatchNormalization", [conv, scale, bias, mean, variance], [$"{name}.bn"],
            [Attribute.FromFloat("epsilon", 1e-5f)], name: $"{name}.bn").Output();
        return g.AddNode("Relu", [bn], [$"{name}.relu"], name: $"{name}.relu").Output();
    }

    private static float[] Floats(Random random, int n, float scale) =>
        Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1) * scale).ToArray();
}
