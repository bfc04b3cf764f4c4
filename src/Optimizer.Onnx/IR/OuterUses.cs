namespace Optimizer.Onnx.IR;

/// <summary>
/// The values each subgraph uses from its enclosing graphs (directly or through its own subgraphs), worked out
/// bottom-up once per graph and remembered: asking for every graph of a tree nested N deep costs one walk of the
/// tree, not one walk of each graph's whole subtree. Valid while the graphs do not change.
/// </summary>
public sealed class OuterUses
{
    private readonly Dictionary<Graph, List<Value>> _used = [];

    /// <summary>The values of enclosing graphs that <paramref name="graph"/> and its subgraphs use, in order of first use.</summary>
    public IReadOnlyList<Value> Of(Graph graph)
    {
        if (_used.TryGetValue(graph, out var known)) return known;
        var result = new List<Value>();
        var seen = new HashSet<Value>();
        void Add(Value? v)
        {
            // A value belongs to this graph's tree when this graph or one inside it defines it; inner graphs' own
            // values were already left out of their lists, so only this graph's need leaving out here.
            if (v is not null && v.Graph != graph && seen.Add(v)) result.Add(v);
        }
        foreach (var node in graph.Nodes)
        {
            foreach (var v in node.Inputs) Add(v);
            foreach (var sub in node.Subgraphs)
                foreach (var v in Of(sub))
                    Add(v);
        }
        foreach (var v in graph.Outputs) Add(v);
        _used[graph] = result;
        return result;
    }

    /// <summary>The values of enclosing graphs that the subgraphs of <paramref name="node"/> use: its implicit inputs.</summary>
    public IReadOnlyList<Value> ImplicitInputs(Node node)
    {
        var result = new List<Value>();
        var seen = new HashSet<Value>();
        foreach (var sub in node.Subgraphs)
            foreach (var v in Of(sub))
                if (seen.Add(v)) result.Add(v);
        return result;
    }
}
