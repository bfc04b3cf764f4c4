using Google.Protobuf;
using Optimizer.Onnx.Protobuf;

namespace Optimizer.Onnx.Serialization;

/// <summary>
/// A model file's bytes with the empty names at the end of every node's input list left out (in subgraphs and
/// functions too): the same model in ONNX's terms, in the form ONNX Runtime 1.31 handles (it crashes optimizing a
/// LayerNormalization whose optional bias is given as ""). Everything else is kept as it is in the file.
/// </summary>
public static class TrailingEmptyInputs
{
    public static byte[] Strip(string modelPath)
    {
        using var stream = File.OpenRead(modelPath);
        var model = ModelReader.Parse(stream, modelPath);
        if (model.Graph is { } g) Strip(g);
        foreach (var f in model.Functions)
            foreach (var n in f.Node) Strip(n);
        return model.ToByteArray();
    }

    private static void Strip(GraphProto graph)
    {
        foreach (var n in graph.Node) Strip(n);
    }

    private static void Strip(NodeProto node)
    {
        while (node.Input.Count > 0 && node.Input[^1].Length == 0) node.Input.RemoveAt(node.Input.Count - 1);
        foreach (var a in node.Attribute)
        {
            if (a.G is { } g) Strip(g);
            foreach (var sub in a.Graphs) Strip(sub);
        }
    }
}
