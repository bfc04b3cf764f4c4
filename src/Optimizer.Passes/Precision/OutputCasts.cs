using Optimizer.Onnx.IR;
using Attribute = Optimizer.Onnx.IR.Attribute;

namespace Optimizer.Passes.Precision;

/// <summary>Keeps a graph output's name and type when the value behind it changes precision.</summary>
internal static class OutputCasts
{
    /// <summary>
    /// A Cast of <paramref name="value"/> (an output of <paramref name="graph"/>) to <paramref name="type"/> takes over the
    /// output's name and place (the interface keeps its names); <paramref name="value"/> is renamed with
    /// <paramref name="suffix"/>. Returns the Cast.
    /// </summary>
    public static Node TakeOver(Graph graph, Value value, ElementType type, string suffix)
    {
        var name = value.Name;
        var cast = new Node("Cast", [value], [graph.UniqueValueName(name + "_cast")], name: graph.UniqueNodeName(name + "_output_cast"));
        cast.SetAttribute(Attribute.FromInt("to", (long)type));
        if (value.Producer is { } producer && producer.Graph == graph) graph.InsertAfter(producer, cast);
        else graph.Append(cast);
        var output = cast.Output();
        output.Type = value.TensorType is { } t ? t with { ElementType = type } : new TensorTypeInfo(type, null);
        for (var i = 0; i < graph.Outputs.Count; i++)
            if (ReferenceEquals(graph.Outputs[i], value)) graph.SetOutput(i, output);
        value.Name = graph.UniqueValueName(name + suffix);
        output.Name = name;
        return cast;
    }
}
