using Optimizer.Onnx.IR;

namespace ModelGen;

/// <summary>
/// A chain of MatMuls over square float32 weights, sized to pass protobuf's 2 GiB limit: the case where a model
/// must keep its tensors in external data. Weights are generated while they are written.
/// </summary>
public static class LargeModel
{
    public static Model Create(double gibibytes, int side = 8192)
    {
        var bytesPerWeight = (long)side * side * 4;
        var count = (int)Math.Ceiling(gibibytes * (1L << 30) / bytesPerWeight);
        var graph = new Graph("large");
        var model = new Model(graph) { IrVersion = 8, ProducerName = "modelgen" };
        model.OpsetImports.Add(new OpsetImport("", 17));
        var x = graph.AddInput("x", new TensorTypeInfo(ElementType.Float, new Shape(1, side)));
        for (var i = 0; i < count; i++)
        {
            var w = graph.AddInitializer(Tensor.FromData($"w{i}", ElementType.Float, [side, side], new SeededTensorData((ulong)i + 1, (long)side * side)));
            x = graph.AddNode("MatMul", [x, w], [$"y{i}"], name: $"MatMul_{i}").Output();
        }
        graph.AddOutput(x);
        x.Type = new TensorTypeInfo(ElementType.Float, new Shape(1, side));
        return model;
    }
}
