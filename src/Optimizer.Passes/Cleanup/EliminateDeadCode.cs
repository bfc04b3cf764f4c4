using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Cleanup;

/// <summary>Removes nodes whose outputs nothing uses and initializers nothing reads, in every graph.</summary>
public sealed class EliminateDeadCode : IPass
{
    public string Name => "eliminate-dead-code";

    public string Description => "Removes nodes whose outputs are unused and initializers nothing reads (all graphs).";

    public PassKind Kind => PassKind.Cleanup;

    public PassResult Run(Model model, PassContext context)
    {
        var before = model.Graph.AllNodes().ToList();
        var removed = model.Graph.RemoveDeadNodes();
        foreach (var node in before.Where(n => n.Graph is null)) context.Step("removed (unused)", node);
        var initializers = model.Graph.AllGraphs().ToList().Sum(g => g.RemoveUnusedInitializers());
        if (initializers > 0) context.Log($"{Name}: removed {initializers} unused initializers");
        return new PassResult(removed + initializers > 0, removed + initializers);
    }
}
