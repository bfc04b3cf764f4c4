namespace Optimizer.Onnx.IR;

/// <summary>Order and liveness: topological sorting, cycle detection and dead-code elimination.</summary>
public sealed partial class Graph
{
    /// <summary>
    /// The values of enclosing graphs that the subgraphs of <paramref name="node"/> use (its implicit inputs): a node
    /// must come after their producers just as after those of its explicit inputs.
    /// </summary>
    public static IReadOnlyList<Value> ImplicitInputs(Node node)
    {
        var result = new List<Value>();
        var seen = new HashSet<Value>();
        foreach (var g in node.Subgraphs)
        {
            var inner = g.AllGraphs().ToHashSet();
            foreach (var n in g.AllNodes())
                foreach (var v in n.Inputs)
                    if (v is not null && (v.Graph is null || !inner.Contains(v.Graph)) && seen.Add(v))
                        result.Add(v);
            foreach (var v in g._outputs)
                if ((v.Graph is null || !inner.Contains(v.Graph)) && seen.Add(v))
                    result.Add(v);
        }
        return result;
    }

    /// <summary>The nodes of this graph that <paramref name="node"/> depends on directly (explicit and implicit inputs).</summary>
    private IEnumerable<Node> Predecessors(Node node)
    {
        foreach (var v in node.Inputs.Concat(node.Subgraphs.Any() ? ImplicitInputs(node) : []))
            if (v?.Producer is { } p && p.Graph == this)
                yield return p;
    }

    /// <summary>
    /// The nodes that form a cycle (or depend on one); empty when the graph is acyclic.
    /// </summary>
    public IReadOnlyList<Node> FindCycle()
    {
        var order = TryTopologicalOrder(out var stuck);
        return order is null ? stuck : [];
    }

    /// <summary>Reorders the nodes topologically, keeping the current order wherever it is already valid.</summary>
    public void SortTopologically()
    {
        var order = TryTopologicalOrder(out var stuck)
            ?? throw new InvalidOperationException($"graph '{Name}' has a cycle through {string.Join(", ", stuck.Take(5))}");
        _nodes.Clear();
        _nodes.AddRange(order);
    }

    public bool IsTopologicallySorted()
    {
        var done = new HashSet<Node>();
        foreach (var node in _nodes)
        {
            if (Predecessors(node).Any(p => !done.Contains(p))) return false;
            done.Add(node);
        }
        return true;
    }

    private List<Node>? TryTopologicalOrder(out List<Node> stuck)
    {
        var index = new Dictionary<Node, int>();
        for (var i = 0; i < _nodes.Count; i++) index[_nodes[i]] = i;
        var pending = new int[_nodes.Count];
        var successors = new List<int>[_nodes.Count];
        for (var i = 0; i < _nodes.Count; i++) successors[i] = [];
        for (var i = 0; i < _nodes.Count; i++)
            foreach (var p in Predecessors(_nodes[i]).Distinct())
            {
                pending[i]++;
                successors[index[p]].Add(i);
            }
        // Stable: among the ready nodes, the one that came first goes first.
        var ready = new PriorityQueue<int, int>();
        for (var i = 0; i < _nodes.Count; i++) if (pending[i] == 0) ready.Enqueue(i, i);
        var order = new List<Node>(_nodes.Count);
        while (ready.TryDequeue(out var i, out _))
        {
            order.Add(_nodes[i]);
            foreach (var s in successors[i])
                if (--pending[s] == 0) ready.Enqueue(s, s);
        }
        stuck = [];
        if (order.Count == _nodes.Count) return order;
        for (var i = 0; i < _nodes.Count; i++) if (pending[i] > 0) stuck.Add(_nodes[i]);
        return null;
    }

    /// <summary>
    /// Removes nodes whose outputs nothing uses (in this graph and its subgraphs); returns how many were removed.
    /// Graph inputs and initializers are left alone (see <see cref="RemoveUnusedInitializers"/>).
    /// </summary>
    public int RemoveDeadNodes()
    {
        var removed = 0;
        for (var i = _nodes.Count - 1; i >= 0; i--)
        {
            var node = _nodes[i];
            if (node.Outputs.All(o => o is null || (o.Uses.Count == 0 && !o.IsGraphOutput)))
            {
                DetachRecursively(node);
                node.Graph = null;
                _nodes.RemoveAt(i);
                removed++;
                continue;
            }
            foreach (var g in node.Subgraphs) removed += g.RemoveDeadNodes();
        }
        return removed;
    }

    /// <summary>Removes initializers nothing uses (keeping those that are also graph inputs); returns how many.</summary>
    public int RemoveUnusedInitializers()
    {
        // An IR 3 initializer is listed as an input only because that version required it: still a constant, so it goes.
        var unused = _initializers.Where(v => v.Uses.Count == 0 && !v.IsGraphOutput && !v.IsOverridable).ToList();
        foreach (var v in unused) RemoveInitializer(v);
        return unused.Count;
    }
}
