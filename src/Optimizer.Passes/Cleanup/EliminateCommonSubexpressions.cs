using System.Text;
using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Cleanup;

/// <summary>
/// Two nodes of one graph with the same op, attributes and inputs compute the same values: the later one is
/// removed and its consumers read the earlier one's outputs. Random ops and nodes with subgraphs or tensor
/// attributes are never merged.
/// </summary>
public sealed class EliminateCommonSubexpressions : IPass
{
    private static readonly HashSet<string> Nondeterministic =
        ["RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli", "Dropout"];

    public string Name => "eliminate-common-subexpressions";

    public string Description => "Merges nodes with the same op, attributes and inputs.";

    public PassKind Kind => PassKind.Cleanup;

    // Merging two nodes makes their consumers' inputs equal, which can make those consumers duplicates in turn.
    public bool RepeatToFixedPoint => true;

    public PassResult Run(Model model, PassContext context)
    {
        var rewrites = 0;
        foreach (var graph in model.Graph.AllGraphs().ToList())
        {
            var seen = new Dictionary<string, Node>();
            var ids = new Dictionary<Value, int>(ReferenceEqualityComparer.Instance);
            foreach (var node in graph.Nodes.ToList())
            {
                if (Key(node, ids) is not { } key) continue;
                if (!seen.TryGetValue(key, out var kept))
                {
                    seen[key] = node;
                    continue;
                }
                if (WhyNotMerge(node, kept) is { } why)
                {
                    context.Decline(node, why);
                    continue;
                }
                // a = f(x); b = f(x); g(b) => a = f(x); g(a)
                rewrites += context.Step($"merged into {PassDiagnostics.Describe(kept)}", node);
                for (var i = 0; i < node.Outputs.Count; i++)
                    if (node.Outputs[i] is { } o) Patterns.Replace(o, kept.Outputs[i]!);
                graph.RemoveNode(node);
            }
        }
        return PassResult.FromRewrites(rewrites);
    }

    private static string? WhyNotMerge(Node node, Node kept)
    {
        for (var i = 0; i < node.Outputs.Count; i++)
        {
            var (o, k) = (node.Outputs[i], kept.Outputs[i]);
            if (o is null) continue;
            if (k is null) return $"{PassDiagnostics.Describe(kept)} omits output {i}";
            if (Patterns.WhyNotReplaceable(o, k) is { } why) return $"same as {PassDiagnostics.Describe(kept)}, but {why}";
        }
        return null;
    }

    private static string? Key(Node node, Dictionary<Value, int> ids)
    {
        if (node.Subgraphs.Any() || Nondeterministic.Contains(node.OpType) || node.IsConstantNode) return null;
        if (node.Attributes.Any(a => a.Kind is not (AttributeKind.Float or AttributeKind.Int or AttributeKind.String
            or AttributeKind.Floats or AttributeKind.Ints or AttributeKind.Strings) || a.RefAttrName is not null)) return null;
        var sb = new StringBuilder().Append(node.Domain).Append(':').Append(node.OpType).Append('(');
        foreach (var input in node.Inputs)
            sb.Append(input is null ? "-" : Id(input, ids).ToString()).Append(',');
        sb.Append(")#").Append(node.Outputs.Count).Append('{');
        foreach (var a in node.Attributes.OrderBy(a => a.Name, StringComparer.Ordinal))
            sb.Append(a.Name).Append('=').Append(a).Append(';');
        return sb.Append('}').ToString();
    }

    private static int Id(Value v, Dictionary<Value, int> ids)
    {
        if (!ids.TryGetValue(v, out var id)) ids[v] = id = ids.Count;
        return id;
    }
}
