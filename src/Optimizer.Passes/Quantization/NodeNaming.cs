using Optimizer.Onnx.IR;

namespace Optimizer.Passes.Quantization;

/// <summary>
/// Names the unnamed nodes, so reports, <c>--exclude</c> and the accuracy budget's KeepFloat can name every node.
/// Names are <c>OpType_N</c>, N counting the unnamed nodes of that op type in graph order (subgraphs included), made
/// unique against every name already in the model: the same model always gets the same names.
/// </summary>
public static class NodeNaming
{
    /// <summary>Gives every unnamed node of every graph a name; returns how many were named.</summary>
    public static int EnsureNames(Model model)
    {
        var counters = new Dictionary<string, int>(StringComparer.Ordinal);
        var named = 0;
        foreach (var node in model.Graph.AllNodes().ToList())
        {
            if (node.Name.Length > 0) continue;
            var n = counters.GetValueOrDefault(node.OpType);
            counters[node.OpType] = n + 1;
            node.Name = node.Graph!.UniqueNodeName($"{node.OpType}_{n}");
            named++;
        }
        return named;
    }
}
