using Optimizer.Onnx.IR;

namespace Optimizer.Passes.Infrastructure;

/// <summary>
/// A pass made of one local rewrite, tried at every node of every graph (If/Loop/Scan bodies included), in the
/// three steps of ONNX Runtime's rewrite rules: a cheap filter by op type (<see cref="AnchorOps"/>), a
/// <see cref="Check"/> that never mutates and says why it declines, then the <see cref="Rewrite"/>.
/// </summary>
public abstract class RewritePass<TMatch> : IPass where TMatch : class
{
    public abstract string Name { get; }

    public abstract string Description { get; }

    public abstract PassKind Kind { get; }

    public virtual bool RepeatToFixedPoint => false;

    /// <summary>The op types (default ONNX domain) that can anchor the pattern.</summary>
    protected abstract IReadOnlySet<string> AnchorOps { get; }

    /// <summary>Decides whether the pattern anchored at <paramref name="anchor"/> can be rewritten. Must not mutate.</summary>
    protected abstract MatchResult<TMatch> Check(Node anchor, Model model, PassContext context);

    /// <summary>Makes the rewrite and announces it with <see cref="PassContext.Step"/>.</summary>
    protected abstract void Rewrite(TMatch match, PassContext context);

    public PassResult Run(Model model, PassContext context)
    {
        var rewrites = 0;
        foreach (var graph in model.Graph.AllGraphs().ToList())
            foreach (var node in graph.Nodes.ToList())
            {
                context.Cancellation.ThrowIfCancellationRequested();
                if (node.Graph != graph || !node.IsDefaultDomain || !AnchorOps.Contains(node.OpType)) continue;
                var match = Check(node, model, context);
                if (match.Value is { } m)
                {
                    Rewrite(m, context);
                    rewrites++;
                }
                else if (match.Reason is { } reason)
                    context.Decline(node, reason);
            }
        return PassResult.FromRewrites(rewrites);
    }
}
