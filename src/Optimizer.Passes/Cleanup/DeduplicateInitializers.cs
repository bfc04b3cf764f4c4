using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Cleanup;

/// <summary>
/// Initializers of one graph with the same element type, shape and bytes are merged into the first of them.
/// Initializers that are also graph inputs (overridable) or graph outputs are left alone. Copies in nested graphs are
/// kept once in the graph enclosing them all (<see cref="AcrossGraphs"/>).
/// </summary>
public sealed class DeduplicateInitializers : IPass
{
    public string Name => "deduplicate-initializers";

    public string Description => "Merges initializers with the same type, shape and bytes.";

    public PassKind Kind => PassKind.Cleanup;

    public PassResult Run(Model model, PassContext context)
    {
        var rewrites = 0;
        var keys = new Dictionary<Value, string>();
        foreach (var graph in model.Graph.AllGraphs().ToList())
        {
            var first = new Dictionary<string, Value>();
            foreach (var value in graph.Initializers.ToList())
            {
                var t = value.Initializer!;
                if (value.IsGraphOutput || t.ElementType == ElementType.String) continue;
                if (t.Data is not { } data) continue;
                var key = Key(t, data);
                keys[value] = key;
                if (!first.TryGetValue(key, out var kept))
                {
                    first[key] = value;
                    continue;
                }
                if (!kept.Initializer!.Data!.ContentEquals(data)) continue;
                if (value.IsOverridable || kept.IsOverridable)
                {
                    context.Decline($"initializer '{value.Name}'", $"equals '{kept.Name}' but one of them is also a graph input (a caller may override it)");
                    continue;
                }
                // initializers a, b with equal bytes; f(b) => f(a)
                foreach (var use in value.Uses.ToList())
                {
                    rewrites += context.Step($"reads '{kept.Name}' instead of its duplicate '{value.Name}'", use.Node);
                    use.Node.SetInput(use.InputIndex, kept);
                }
                graph.RemoveInitializer(value);
            }
        }
        rewrites += AcrossGraphs(model, keys, context);
        return PassResult.FromRewrites(rewrites);
    }

    /// <summary>Copies smaller than this stay where they are: a few scalars per branch are not worth an outer-scope read.</summary>
    public const long AcrossGraphsMinBytes = 1024;

    /// <summary>
    /// An initializer repeated in nested graphs (If branches, Loop bodies) is kept once, in the nearest graph that
    /// encloses every copy, and the copies' readers read it from there (ONNX subgraphs see their enclosing graphs'
    /// values). Folding a weight that two branches reshape alike gives each branch its own copy: silero VAD v5's LSTM
    /// weights, sliced and concatenated per branch, grew the model from 2.2 to 3.2 MiB.
    /// </summary>
    /// <param name="keys">Each initializer's key (type, shape, SHA-256 of its bytes), computed by the per-graph merge.</param>
    private static int AcrossGraphs(Model model, IReadOnlyDictionary<Value, string> keys, PassContext context)
    {
        var rewrites = 0;
        var groups = new Dictionary<string, List<Value>>();
        foreach (var graph in model.Graph.AllGraphs())
            foreach (var value in graph.Initializers)
            {
                var t = value.Initializer!;
                if (value.IsOverridable || t.ByteCount < AcrossGraphsMinBytes || !keys.TryGetValue(value, out var key)) continue;
                if (!groups.TryGetValue(key, out var list)) groups[key] = list = [];
                list.Add(value);
            }
        foreach (var copies in groups.Values.Where(g => g.Select(v => v.Graph).Distinct().Count() > 1))
        {
            var first = copies[0].Initializer!;
            var same = copies.Where(v => v.Initializer!.Data!.ContentEquals(first.Data!)).ToList();
            if (same.Select(v => v.Graph).Distinct().Count() < 2) continue;
            var target = Enclosing(same.Select(v => v.Graph!).ToList());
            var kept = same.FirstOrDefault(v => v.Graph == target)
                       ?? target.AddInitializer(Tensor.FromData(target.UniqueValueName(first.Name), first.ElementType, first.Dims.ToArray(), first.Data!));
            foreach (var copy in same.Where(v => v != kept))
            {
                // initializers a (enclosing graph) and b (nested) with equal bytes; f(b) => f(a), read from outer scope
                foreach (var use in copy.Uses.ToList())
                {
                    rewrites += context.Step($"reads '{kept.Name}' of graph '{target.Name}' instead of its copy '{copy.Name}' in graph '{copy.Graph!.Name}'", use.Node);
                    use.Node.SetInput(use.InputIndex, kept);
                }
                copy.Graph!.RemoveInitializer(copy);
            }
        }
        return rewrites;
    }

    // Hashed and compared a chunk at a time: external weights of a large model are never loaded whole.
    private static string Key(Tensor t, TensorData data) => $"{(int)t.ElementType}:{string.Join(",", t.Dims)}:{Convert.ToHexString(data.Sha256())}";

    /// <summary>The innermost graph enclosing every one of <paramref name="graphs"/> (itself among them, possibly).</summary>
    private static Graph Enclosing(IReadOnlyList<Graph> graphs)
    {
        static List<Graph> Chain(Graph g)
        {
            var chain = new List<Graph>();
            for (Graph? x = g; x is not null; x = x.Parent) chain.Add(x);
            chain.Reverse();
            return chain;
        }
        var common = Chain(graphs[0]);
        foreach (var g in graphs.Skip(1))
        {
            var chain = Chain(g);
            var n = 0;
            while (n < common.Count && n < chain.Count && common[n] == chain[n]) n++;
            common = common.Take(n).ToList();
        }
        return common[^1];
    }
}
