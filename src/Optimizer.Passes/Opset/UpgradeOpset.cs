using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Opset;

/// <summary>
/// Upgrades the whole model (every graph, subgraphs included) to the ONNX opset in
/// <see cref="PassOptions.TargetOpset"/>, rewriting each operator whose form changed on the way. Every node is
/// checked before any is changed: when one cannot be carried across exactly, the upgrade refuses and names it.
/// </summary>
public sealed class UpgradeOpset : IPass
{
    public string Name => "upgrade-opset";

    public string Description => "Upgrades the model to the opset given by --opset (all graphs); refuses what it cannot carry exactly.";

    public PassKind Kind => PassKind.Opset;

    public PassResult Run(Model model, PassContext context)
    {
        if (context.Options.TargetOpset is not { } target) return PassResult.Unchanged;
        if (model.GetOpset("") is null)
        {
            // Only other domains (ai.onnx.preview.training, custom ops): no ONNX operator to carry across.
            if (model.Graph.AllNodes().FirstOrDefault(n => n.IsDefaultDomain) is { } stray)
                throw new InvalidInputException($"{PassDiagnostics.Describe(stray)} is an ONNX operator, but the model imports no ONNX opset");
            context.Log($"{Name}: the model imports no ONNX opset; nothing to upgrade");
            return PassResult.Unchanged;
        }
        var source = Patterns.Opset(model);
        if (target == source) return PassResult.Unchanged;
        if (target < source) throw new InvalidInputException($"--opset {target} is lower than the model's opset {source}; only upgrades are supported");
        if (target > OpsetAdapters.MaxTarget) throw new InvalidInputException($"--opset {target}: upgrades go up to opset {OpsetAdapters.MaxTarget}");
        if (source < OpsetAdapters.MinSource) throw new InvalidInputException($"the model's opset {source} is below {OpsetAdapters.MinSource}, the oldest this upgrade reads");

        if (model.Functions.FirstOrDefault(f => f.Body.AllNodes().Any(n => n.IsDefaultDomain)) is { } function)
            throw new InvalidInputException($"cannot upgrade: model-local function '{function.Name}' uses ONNX operators at its own opset; upgrading functions is not supported");
        // The adapters read element types and ranks (Clip's bounds, Softmax's axis).
        context.EnsureShapes(model);
        var nodes = model.Graph.AllNodes().Where(n => n.IsDefaultDomain).ToList();
        var work = new List<(Node Node, OpsetAdapter Adapter)>();
        foreach (var node in nodes)
        {
            foreach (var (op, version, why) in OpsetAdapters.Unsupported)
                if (node.OpType == op && source < version && version <= target)
                    throw new InvalidInputException($"cannot upgrade {PassDiagnostics.Describe(node)} from opset {source} to {target}: {why}");
            foreach (var adapter in OpsetAdapters.All.Where(a => a.Op == node.OpType && source < a.Version && a.Version <= target).OrderBy(a => a.Version))
            {
                if (adapter.Check(node) is { } reason)
                    throw new InvalidInputException($"cannot upgrade {PassDiagnostics.Describe(node)} from opset {source} to {target}: {reason}");
                work.Add((node, adapter));
            }
        }
        var rewrites = 0;
        foreach (var (node, adapter) in work)
        {
            adapter.Apply(node, target);
            rewrites += context.Step($"carried across the opset {adapter.Version} change of {adapter.Op}", node);
        }
        model.SetOpset("", target);
        if (source < 9 && rewrites > 0) Reinfer(model, context);
        var ir = Math.Max(model.IrVersion, RequiredIrVersion(target));
        // IR 3 listed every initializer among the inputs and they were constants; from IR 4 on, a listed one could be
        // overridden by a caller, so the listing goes when the version rises past it.
        if (model.IrVersion < 4 && ir >= 4 && model.Graph.UnlistInitializerInputs() is > 0 and var unlisted)
            context.Log($"{Name}: IR version {model.IrVersion} -> {ir}: {unlisted} initializers are no longer listed as graph inputs (they were constants)");
        model.IrVersion = ir;
        context.Log($"{Name}: opset {source} -> {target}, {rewrites} nodes rewritten");
        return new PassResult(true, rewrites);
    }

    /// <summary>
    /// Shape inference read the legacy forms with today's rules (Concat-1 without its axis, Reshape-1's shape attribute,
    /// broadcasting at an axis), so what it wrote between the ONNX operators may be wrong: it is inferred again from the
    /// upgraded graph. Graph inputs and outputs keep the types the model states.
    /// </summary>
    private static void Reinfer(Model model, PassContext context)
    {
        foreach (var graph in model.Graph.AllGraphs())
            foreach (var node in graph.Nodes.Where(n => n.IsDefaultDomain))
                foreach (var output in node.Outputs)
                    if (output is { IsGraphOutput: false }) output.Type = null;
        context.RefreshShapes(model);
    }

    /// <summary>The IR version an opset needs (onnx/helper.py VERSION_TABLE).</summary>
    private static long RequiredIrVersion(long opset) => opset switch
    {
        <= 8 => 3,
        <= 10 => 5,
        11 => 6,
        <= 14 => 7,
        <= 18 => 8,
        <= 20 => 9,
        <= 22 => 10,
        _ => 11,
    };
}
