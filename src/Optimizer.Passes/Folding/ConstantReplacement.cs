using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Folding;

/// <summary>Replaces a node by initializers holding its outputs' values, keeping the output names.</summary>
public static class ConstantReplacement
{
    /// <summary>Why the outputs of <paramref name="node"/> cannot become initializers, or null when they can.</summary>
    public static string? WhyNot(Node node) =>
        node.Outputs.FirstOrDefault(o => o is { IsGraphOutput: true }) is { } o
            ? $"its output '{o.Name}' is a graph output (an initializer cannot be one here)"
            : null;

    /// <summary>
    /// Makes each output of <paramref name="node"/> an initializer of its graph holding <paramref name="values"/>[i],
    /// under the same name, and removes the node.
    /// </summary>
    public static void Replace(Node node, IReadOnlyList<Tensor?> values)
    {
        var graph = node.Graph!;
        var renames = new List<(Value Initializer, string Name)>();
        for (var i = 0; i < node.Outputs.Count; i++)
        {
            if (node.Outputs[i] is not { } output || values[i] is not { } tensor) continue;
            var init = graph.AddInitializer(tensor.Clone(graph.UniqueValueName(output.Name + "_folded")));
            output.ReplaceAllUsesWith(init);
            renames.Add((init, output.Name));
        }
        graph.RemoveNode(node);
        foreach (var (init, name) in renames)
        {
            init.Name = name;
            init.Initializer!.Name = name;
        }
    }
}
