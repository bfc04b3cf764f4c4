using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;
using Attribute = Optimizer.Onnx.IR.Attribute;

namespace Optimizer.Passes.Opset;

/// <summary>
/// How one operator's form changed at one opset version (for example Squeeze's axes moving from an attribute to
/// an input at 13): a check that says why a node cannot be carried across, and the rewrite that carries it.
/// </summary>
public sealed record OpsetAdapter(string Op, long Version, Func<Node, string?> Check, Action<Node, long> Apply)
{
    /// <summary>No check needed: the rewrite always applies.</summary>
    public static string? Always(Node node) => null;

    /// <summary>Moves an int-list attribute to a new int64 input at <paramref name="index"/> (omitted when absent).</summary>
    public static void IntsToInput(Node node, string attribute, int index)
    {
        var values = node.GetInts(attribute);
        node.RemoveAttribute(attribute);
        SetInput(node, index, values is null ? null : Patterns.AddInitializer(node.Graph!, attribute, values, values.Length));
    }

    /// <summary>Moves a float attribute to a scalar float input at <paramref name="index"/> (omitted when absent).</summary>
    public static void FloatToInput(Node node, string attribute, int index)
    {
        var value = node.GetAttribute(attribute);
        node.RemoveAttribute(attribute);
        SetInput(node, index, value is null ? null : node.Graph!.AddInitializer(Tensor.Scalar(node.Graph!.UniqueValueName(attribute), value.Float)));
    }

    /// <summary>Sets input <paramref name="index"/>, padding with omitted inputs; trailing omitted inputs are dropped.</summary>
    public static void SetInput(Node node, int index, Value? value)
    {
        while (node.Inputs.Count <= index) node.AddInput(null);
        node.SetInput(index, value);
        var count = node.Inputs.Count;
        while (count > 0 && node.Inputs[count - 1] is null) count--;
        node.TruncateInputs(count);
    }

    public static void SetString(Node node, string name, string value) => node.SetAttribute(Attribute.FromString(name, value));
}
