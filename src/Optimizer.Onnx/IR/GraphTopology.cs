namespace Optimizer.Onnx.IR;

/// <summary>Order and liveness: topological sorting, cycle detection and dead-code elimination.</summary>
public sealed partial class Graph
{
    /// <summary>
    /// The values of enclosing graphs that the subgraphs of <paramref name="node"/> use (its implicit inputs): a node
    /// must come after their producers just as after those of its explicit inputs.
    /// </summary>
    public static IReadOnlyList<Value> ImplicitInputs(Node node) => new OuterUses().ImplicitInputs(node);

    /// <summary>The nodes of this graph that <paramref name="node"/> depends on directly (explicit and implicit inputs).</summary>
    private IEnumerable<Node> Predecessors(Node node, OuterUses outer)
    {
        foreach (var v in node.Inputs)
            if (v?.Producer is { } p && p.Graph == this)
                yield return p;
        if (!node.Attributes.Any(a => a.Subgraphs.Any())) yield break;
        foreach (var v in outer.ImplicitInputs(node))
            if (v.Producer is { } p && p.Graph == this)
                yield return p;
    }

    /// <summary>
    /// The nodes that form a cycle (or depend on one); empty when the graph is acyclic.
    /// </summary>
    /// <param name="outer">What subgraphs use from enclosing graphs, when the caller keeps it across graphs of one tree.</param>
    public IReadOnlyList<Node> FindCycle(OuterUses? outer = null)
    {
        var order = TryTopologicalOrder(outer ?? new OuterUses(), out var stuck);
        return order is null ? stuck : [];
    }

    /// <summary>Reorders the nodes topologically, keeping the current order wherever it is already valid.</summary>
    public void SortTopologically()
    {
        var order = TryTopologicalOrder(new OuterUses(), out var stuck)
            ?? throw new InvalidOperationException($"graph '{Name}' has a cycle through {string.Join(", ", stuck.Take(5))}");
        NodeList.Clear();
        NodeList.AddRange(order);
    }

    public bool IsTopologicallySorted()
    {
        var done = new HashSet<Node>();
        var outer = new OuterUses();
        foreach (var node in NodeList)
        {
            if (Predecessors(node, outer).Any(p => !done.Contains(p))) return false;
            done.Add(node);
        }
        return true;
    }

    private List<Node>? TryTopologicalOrder(OuterUses outer, out List<Node> stuck)
    {
        var nodes = NodeList;
        var index = new Dictionary<Node, int>();
        for (var i = 0; i < nodes.Count; i++) index[nodes[i]] = i;
        var pending = new int[nodes.Count];
        var successors = new List<int>[nodes.Count];
        for (var i = 0; i < nodes.Count; i++) successors[i] = [];
        for (var i = 0; i < nodes.Count; i++)
            foreach (var p in Predecessors(nodes[i], outer).Distinct())
            {
                pending[i]++;
                successors[index[p]].Add(i);
            }
        // Stable: among the ready nodes, the one that came first goes first.
        var ready = new PriorityQueue<int, int>();
        for (var i = 0; i < nodes.Count; i++) if (pending[i] == 0) ready.Enqueue(i, i);
        var order = new List<Node>(nodes.Count);
        while (ready.TryDequeue(out var i, out _))
        {
            order.Add(nodes[i]);
            foreach (var s in successors[i])
                if (--pending[s] == 0) ready.Enqueue(s, s);
        }
        stuck = [];
        if (order.Count == nodes.Count) return order;
        for (var i = 0; i < nodes.Count; i++) if (pending[i] > 0) stuck.Add(nodes[i]);
        return null;
    }

    /// <summary>
    /// Removes nodes whose outputs nothing uses (in this graph and its subgraphs); returns how many were removed.
    /// Graph inputs and initializers are left alone (see <see cref="RemoveUnusedInitializers"/>).
    /// </summary>
    public int RemoveDeadNodes()
    {
        var removed = 0;
        var nodes = NodeList;
        // Last to first, so that a chain of dead nodes goes in one sweep; the list is compacted once at the end.
        for (var i = nodes.Count - 1; i >= 0; i--)
        {
            var node = nodes[i];
            if (node.Outputs.All(o => o is null || (o.Uses.Count == 0 && !o.IsGraphOutput)))
            {
                DetachRecursively(node);
                node.Graph = null;
                _detached++;
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
