namespace Optimizer.Onnx.IR;

/// <summary>The names used in a graph tree (values and nodes), so new ones never collide.</summary>
internal sealed class NameRegistry
{
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public static NameRegistry Collect(Graph root)
    {
        var registry = new NameRegistry();
        registry.AddAll(root);
        return registry;
    }

    /// <summary>Adds every value and node name of <paramref name="graph"/> and its subgraphs.</summary>
    public void AddAll(Graph graph)
    {
        foreach (var g in graph.AllGraphs())
        {
            foreach (var v in g.DefinedValues()) Add(v.Name);
            foreach (var n in g.Nodes) if (n.Name.Length > 0) Add(n.Name);
        }
    }

    public void Add(string name) => _used.Add(name);

    public string Make(string hint)
    {
        if (hint.Length == 0) hint = "v";
        if (_used.Add(hint)) return hint;
        for (var i = 1; ; i++)
        {
            var candidate = $"{hint}_{i}";
            if (_used.Add(candidate)) return candidate;
        }
    }
}
