using Google.Protobuf;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Protobuf;
using Optimizer.Onnx.Serialization;

namespace Optimizer.TestKit;

/// <summary>
/// Models whose dims are stored as some exporters store them, which the IR does not write itself: PaddlePaddle writes
/// a dynamic batch as dim_value -1 and other dynamic dims as dim_param "?".
/// </summary>
public static class ExporterDims
{
    /// <summary>
    /// <paramref name="model"/>'s bytes with dims of graph inputs and outputs stored as given: a number is written as
    /// dim_value (negative ones too), a string as dim_param, null as neither.
    /// </summary>
    public static byte[] Stored(Model model, params (string Value, int Index, object? Dim)[] dims)
    {
        var proto = ModelProto.Parser.ParseFrom(ModelWriter.ToBytes(model));
        var infos = proto.Graph.Input.Concat(proto.Graph.Output).ToList();
        foreach (var (value, index, stored) in dims)
        {
            var dim = infos.First(i => i.Name == value).Type.TensorType.Shape.Dim[index];
            dim.ClearValue();
            switch (stored)
            {
                case int v: dim.DimValue = v; break;
                case long v: dim.DimValue = v; break;
                case string s: dim.DimParam = s; break;
                case null: break;
                default: throw new ArgumentException($"dimension {stored} must be a number, a name or null");
            }
        }
        return proto.ToByteArray();
    }

    /// <summary>
    /// PaddlePaddle's reshape by the batch of the input: x [N, 2, 3, W] -> Reshape(x, Concat(Shape(x)[0], 6, -1))
    /// -> Transpose -> MatMul -> y [N, W, 4], with N stored as <paramref name="batch"/> (PaddlePaddle: -1) and W as
    /// <paramref name="width"/> (PaddlePaddle: "?") in x and y. Were N read as a size of -1, folding would make the
    /// Reshape target [-1, 6, -1], which ONNX Runtime refuses to load.
    /// </summary>
    public static byte[] ReshapeByBatch(object? batch, object? width)
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, null!, 2, 3, null!);
        var n = b.Op("Gather", [b.Op("Shape", [x]), b.Constant(Tensor.FromArray("i", new long[] { 0 }))], ("axis", 0));
        var n1 = b.Op("Unsqueeze", [n, b.Constant(Tensor.FromArray("a", new long[] { 0 }, 1))]);
        var target = b.Op("Concat", [n1, b.Constant(Tensor.FromArray("c", new long[] { 6 }, 1)), b.Constant(Tensor.FromArray("m", new long[] { -1 }, 1))], ("axis", 0));
        var t = b.Op("Transpose", [b.Op("Reshape", [x, target])], ("perm", new long[] { 0, 2, 1 }));
        var y = b.Graph.AddNode("MatMul", [t, b.RandomInitializer("w", 0.5f, 6, 4)], ["y"]).Output();
        y.Type = new TensorTypeInfo(ElementType.Float, GraphBuilder.ShapeOf(null!, null!, 4));
        b.Output(y);
        return Stored(b.Build(), ("x", 0, batch), ("x", 3, width), ("y", 0, batch), ("y", 1, width));
    }
}
