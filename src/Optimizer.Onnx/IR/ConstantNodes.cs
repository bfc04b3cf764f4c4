namespace Optimizer.Onnx.IR;

/// <summary>Reads the value of an ONNX Constant node, whichever of its attribute forms it uses.</summary>
public static class ConstantNodes
{
    public static Tensor? GetValue(Node node)
    {
        if (!node.IsConstantNode || node.Attributes.Count != 1) return null;
        var a = node.Attributes[0];
        var name = node.Outputs.Count > 0 ? node.Outputs[0]?.Name ?? "" : "";
        return a.Name switch
        {
            "value" when a.Kind == AttributeKind.Tensor => a.Tensor,
            "value_float" => Tensor.Scalar(name, a.Float),
            "value_int" => Tensor.Scalar(name, a.Int),
            "value_floats" => Tensor.FromArray(name, a.Floats, a.Floats.Length),
            "value_ints" => Tensor.FromArray(name, a.Ints, a.Ints.Length),
            "value_string" => Tensor.FromStrings(name, [a.Bytes]),
            "value_strings" => Tensor.FromStrings(name, a.Strings, a.Strings.Length),
            _ => null,
        };
    }
}
