using Optimizer.Onnx.IR;

namespace Optimizer.Onnx.Verification;

/// <summary>
/// Checks the invariants every pass relies on: each input is defined (in this graph or an enclosing one), there is
/// no cycle, use lists match the nodes' inputs, graph outputs are produced, and each value name is defined once.
/// Returns the problems found, each one line; an empty list means the model is well formed.
/// </summary>
public static class ModelVerifier
{
    public static IReadOnlyList<string> Verify(Model model, bool requireTopologicalOrder = true)
    {
        var problems = new List<string>();
        VerifyGraph(model.Graph, [], requireTopologicalOrder, problems, new HashSet<string>(StringComparer.Ordinal), new Walk());
        foreach (var f in model.Functions)
            VerifyGraph(f.Body, [], requireTopologicalOrder, problems, new HashSet<string>(StringComparer.Ordinal), new Walk());
        return problems;
    }

    /// <summary>
    /// <see cref="Verify"/> plus the rules of ONNX's checker about a model as written that the IR alone does not
    /// enforce: before IR version 4 every initializer of the main graph is also a graph input and subgraphs hold no
    /// initializers; the main graph's inputs and outputs carry a type.
    /// </summary>
    public static IReadOnlyList<string> VerifyCheckerRules(Model model)
    {
        var problems = Verify(model).ToList();
        var g = model.Graph;
        if (model.IrVersion < 4)
        {
            foreach (var v in g.Initializers.Where(v => !v.IsGraphInput))
                problems.Add($"'{v.Name}' is an initializer but not a graph input, which IR version {model.IrVersion} requires");
            foreach (var sub in g.AllGraphs().Skip(1).Where(s => s.Initializers.Count > 0))
                problems.Add($"subgraph '{sub.Name}' has initializers, which IR version {model.IrVersion} does not allow");
        }
        foreach (var v in g.Inputs.Concat(g.Outputs).Where(v => v.Type is null))
            problems.Add($"graph input or output '{v.Name}' has no type");
        return problems;
    }

    public static IReadOnlyList<string> Verify(Graph graph, bool requireTopologicalOrder = true)
    {
        var problems = new List<string>();
        VerifyGraph(graph, [], requireTopologicalOrder, problems, new HashSet<string>(StringComparer.Ordinal), new Walk());
        return problems;
    }

    /// <summary>What one verification remembers across the graphs of a tree, so that it stays linear in nodes and nesting.</summary>
    private sealed class Walk
    {
        public OuterUses Outer { get; } = new();

        /// <summary>How often each (node, input) appears in a long use list; short lists are simply scanned.</summary>
        private readonly Dictionary<Value, Dictionary<Use, int>> _counts = [];

        public int TimesRecorded(Value v, Node node, int input)
        {
            if (v.Uses.Count <= 8) return v.Uses.Count(u => u.Node == node && u.InputIndex == input);
            if (!_counts.TryGetValue(v, out var counts))
            {
                _counts[v] = counts = [];
                foreach (var u in v.Uses) counts[u] = counts.GetValueOrDefault(u) + 1;
            }
            return counts.GetValueOrDefault(new Use(node, input));
        }
    }

    private static void VerifyGraph(Graph g, HashSet<Value> outer, bool ordered, List<string> problems, HashSet<string> names, Walk walk)
    {
        var where = g.Parent is null ? "" : $" in subgraph '{g.Name}'";
        var defined = new HashSet<Value>();
        foreach (var v in g.DefinedValues())
        {
            if (!names.Add(v.Name)) problems.Add($"the name '{v.Name}' is defined more than once{where}");
            if (v.Graph != g) problems.Add($"value '{v.Name}' does not record graph '{g.Name}' as its owner");
            defined.Add(v);
        }
        var cycle = g.FindCycle(walk.Outer);
        if (cycle.Count > 0)
            problems.Add($"the graph{where} has a cycle through {string.Join(", ", cycle.Take(3).Select(Describe))}");
        var visible = new HashSet<Value>(outer);
        visible.UnionWith(defined);
        var produced = new HashSet<Value>(g.Inputs.Concat(g.Initializers).Concat(g.SparseInitializers));
        foreach (var node in g.Nodes)
        {
            if (node.Graph != g) problems.Add($"{Describe(node)} does not record graph '{g.Name}' as its owner");
            for (var i = 0; i < node.Inputs.Count; i++)
            {
                var v = node.Inputs[i];
                if (v is null) continue;
                if (!visible.Contains(v))
                    problems.Add($"{Describe(node)} uses '{v.Name}', which is not defined{where}");
                else if (ordered && defined.Contains(v) && !produced.Contains(v) && cycle.Count == 0)
                    problems.Add($"{Describe(node)} uses '{v.Name}' before the node that produces it{where}");
                if (walk.TimesRecorded(v, node, i) != 1)
                    problems.Add($"use list of '{v.Name}' does not record input {i} of {Describe(node)} exactly once");
            }
            for (var i = 0; i < node.Outputs.Count; i++)
                if (node.Outputs[i] is { } o && (o.Producer != node || o.ProducerOutputIndex != i))
                    problems.Add($"output '{o.Name}' of {Describe(node)} does not record its producer");
            foreach (var sub in node.Subgraphs)
            {
                if (sub.ParentNode != node) problems.Add($"subgraph '{sub.Name}' of {Describe(node)} does not record its parent");
                VerifyGraph(sub, visible, ordered, problems, names, walk);
            }
            foreach (var o in node.Outputs) if (o is not null) produced.Add(o);
        }
        foreach (var v in defined)
            foreach (var use in v.Uses)
                if (use.Node.Graph is null || use.InputIndex >= use.Node.Inputs.Count || use.Node.Inputs[use.InputIndex] != v)
                    problems.Add($"use list of '{v.Name}' names {Describe(use.Node)}, which does not use it");
        foreach (var o in g.Outputs)
            if (!visible.Contains(o))
                problems.Add($"graph output '{o.Name}'{where} is not produced by any node, input or initializer");
    }

    private static string Describe(Node n) => n.Name.Length > 0 ? $"node '{n.Name}' ({n.OpType})" : $"{n.OpType} node";
}
