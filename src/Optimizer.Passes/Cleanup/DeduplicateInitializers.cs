using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Cleanup;

/// <summary>
/// Initializers of one graph with the same element type, shape and bytes are merged into the first of them.
/// Initializers that are also graph inputs (overridable) or graph outputs are left alone.
/// </summary>
public sealed class DeduplicateInitializers : IPass
{
    public string Name => "deduplicate-initializers";

    public string Description => "Merges initializers with the same type, shape and bytes.";

    public PassKind Kind => PassKind.Cleanup;

    public PassResult Run(Model model, PassContext context)
    {
        var rewrites = 0;
        foreach (var graph in model.Graph.AllGraphs().ToList())
        {
            var first = new Dictionary<string, Value>();
            foreach (var value in graph.Initializers.ToList())
            {
                var t = value.Initializer!;
                if (value.IsGraphOutput || t.ElementType == ElementType.String) continue;
                if (t.Data is not { } data) continue;
                // Hashed and compared a chunk at a time: external weights of a large model are never loaded whole.
                var key = $"{(int)t.ElementType}:{string.Join(",", t.Dims)}:{Convert.ToHexString(data.Sha256())}";
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
        return PassResult.FromRewrites(rewrites);
    }
}
