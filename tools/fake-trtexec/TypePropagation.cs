using Optimizer.Onnx.Protobuf;

namespace FakeTrtexec;

/// <summary>The element type of every tensor, as far as the double needs it (float, float16, int8, integers).</summary>
internal static class TypePropagation
{
    private const int Float = 1, Int8 = 3, Int64 = 7, Bool = 9;

    public static IReadOnlyDictionary<string, int> Run(OnnxNetwork network)
    {
        var types = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var input in network.Inputs) types[input.Name] = input.ElementType;
        foreach (var (name, tensor) in network.Constants) types[name] = tensor.DataType;
        foreach (var node in network.Nodes)
        {
            var type = OutputType(node, types);
            foreach (var output in node.Output) types.TryAdd(output, type);
        }
        return types;
    }

    private static int OutputType(NodeProto node, Dictionary<string, int> types)
    {
        int TypeOf(int i) => i < node.Input.Count && types.TryGetValue(node.Input[i], out var t) ? t : Float;
        return node.OpType switch
        {
            "QuantizeLinear" => node.Input.Count > 2 ? TypeOf(2) : Int8,
            "DequantizeLinear" => TypeOf(1),
            "Cast" => (int)(node.Attribute.FirstOrDefault(a => a.Name == "to")?.I ?? Float),
            "Shape" or "Size" or "NonZero" or "ArgMax" or "ArgMin" => Int64,
            "Equal" or "Less" or "Greater" or "Not" or "And" or "Or" => Bool,
            _ => node.Input.Count == 0 ? Float : TypeOf(0),
        };
    }
}
