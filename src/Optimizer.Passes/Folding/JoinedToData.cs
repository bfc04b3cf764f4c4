using Optimizer.Onnx.IR;

namespace Optimizer.Passes.Folding;

/// <summary>
/// Finds constant results that no later pass needs as constants: those only joined by Concat to values computed from
/// the graph's inputs (channel padding: <c>Concat(x, ConstantOfShape([1, 4, 64, 64]))</c>). The Concat stays a run-time
/// op either way, and no pass reads a Concat operand as a weight, so materialising such a result only grows the file
/// (ONNX Runtime fills it once when it loads the model). A result used anywhere else (a weight, an Add a fusion folds,
/// a Concat of constants that folds on) is needed.
/// </summary>
internal sealed class JoinedToData
{
    private readonly HashSet<Value> _data = [];

    /// <summary>Marks, in graph order, the values of <paramref name="graph"/> computed from its inputs or from outer values.</summary>
    public JoinedToData(Graph graph)
    {
        foreach (var input in graph.Inputs)
            if (!input.IsInitializer || input.IsOverridable) _data.Add(input);
        foreach (var node in graph.Nodes)
        {
            var fromData = node.Subgraphs.Any() || node.Inputs.Any(i => i is not null && (_data.Contains(i) || IsOuter(i, graph)));
            if (!fromData) continue;
            foreach (var output in node.Outputs)
                if (output is not null) _data.Add(output);
        }
    }

    /// <summary>Whether every use of every output of <paramref name="node"/> is a Concat that also joins run-time data.</summary>
    public bool OnlyJoinedToData(Node node)
    {
        var outputs = node.Outputs.Where(o => o is not null).ToList();
        return outputs.Count > 0 && outputs.All(o => o!.Uses.Count > 0 && !o.IsGraphOutput && o.Uses.All(u =>
            u.Node is { OpType: "Concat", IsDefaultDomain: true } concat && concat.Inputs.Any(i => i is not null && _data.Contains(i))));
    }

    private static bool IsOuter(Value value, Graph graph) => value.Graph != graph && value.Producer?.Graph != graph;
}
