using Optimizer.Onnx.IR;
using Optimizer.Passes.Analysis;
using Optimizer.Passes.Infrastructure;
using Optimizer.Passes.Quantization;

namespace Optimizer.Passes.Pruning;

/// <summary>One layer's figures before and after structured pruning.</summary>
public sealed record LayerPruning
{
    public required string Layer { get; init; }
    public required string OpType { get; init; }
    /// <summary>The group its output channels were pruned with (null: its outputs were not prunable).</summary>
    public int? Group { get; init; }
    public required long ChannelsBefore { get; init; }
    public required long ChannelsAfter { get; init; }
    /// <summary>The norm below which its group's channels went (the threshold, or the largest norm removed).</summary>
    public double? Threshold { get; init; }
    public required long ParametersBefore { get; init; }
    public required long ParametersAfter { get; init; }
    public required long FlopsBefore { get; init; }
    public required long FlopsAfter { get; init; }
}

/// <summary>What structured pruning did: per layer, per group, and the whole model's parameters and FLOPs.</summary>
public sealed record StructuredPruningResult
{
    public required IReadOnlyList<LayerPruning> Layers { get; init; }
    public required IReadOnlyList<ChannelGroup> Groups { get; init; }
    public required long ParametersBefore { get; init; }
    public required long ParametersAfter { get; init; }
    public required long FlopsBefore { get; init; }
    public required long FlopsAfter { get; init; }
    public int ChannelsRemoved => Groups.Sum(g => g.Removed);
    public int ChannelsPrunable => Groups.Sum(g => g.Prunable);
}

/// <summary>
/// Structured pruning: removes whole output channels of Conv/ConvTranspose/Gemm/MatMul (L1 or L2 norm below a
/// threshold, or the smallest fraction of each group of tied layers), and shrinks the graph to match (see
/// <see cref="ChannelAnalysis"/> for what channels flow through and what pins them, <see cref="ChannelRewrite"/> for
/// the rewrite). Nothing to remove (threshold 0, say) leaves the model exactly as it was. The result's figures are in
/// <see cref="Result"/> after a run.
/// </summary>
public sealed class StructuredPruning(PruningSettings settings) : IPass
{
    public string Name => "prune-structured";

    public string Description => "Removes whole output channels of Conv/Gemm/MatMul with the smallest norms and the matching inputs of their consumers.";

    public PassKind Kind => PassKind.Pruning;

    private static readonly DropIntermediateShapes DropShapes = new();

    public StructuredPruningResult? Result { get; private set; }

    public PassResult Run(Model model, PassContext context)
    {
        NodeNaming.EnsureNames(model);
        // Shapes written earlier may be partial; inference starts afresh, and again after the rewrite (then they are stale).
        DropShapes.Run(model, context);
        context.RefreshShapes(model);
        var before = LayerCosts.Of(model);
        var parametersBefore = LayerCosts.Parameters(model);
        var analysis = ChannelAnalysis.Run(model, settings);
        var (removed, groups) = ChannelSelection.Choose(analysis, settings);
        ChannelSelection.Announce(groups, context);
        foreach (var node in analysis.Excluded) context.Decline(node, "it is excluded (--exclude): left alone");
        var steps = 0;
        if (removed.Count > 0)
        {
            foreach (var g in groups.Where(g => g.Removed > 0))
                foreach (var layer in analysis.Layers.Where(l => g.Layers.Contains(l.Node.Name)))
                    steps += context.Step($"removed {layer.Atoms.Count(a => removed.Contains(analysis.Atoms.Find(a)))} of {layer.Atoms.Length} output channels (group {g.Id})", layer.Node);
            ChannelRewrite.Apply(model, analysis, removed);
            DropShapes.Run(model, context);
            context.RefreshShapes(model);
        }
        var after = LayerCosts.Of(model).ToDictionary(l => l.Name);
        var groupOf = new Dictionary<string, ChannelGroup>();
        foreach (var g in groups)
            foreach (var l in g.Layers) groupOf[l] = g;
        Result = new StructuredPruningResult
        {
            Layers = before.Select(b =>
            {
                var a = after.GetValueOrDefault(b.Name) ?? b;
                var g = groupOf.GetValueOrDefault(b.Name);
                return new LayerPruning
                {
                    Layer = b.Name,
                    OpType = b.OpType,
                    Group = g?.Id,
                    ChannelsBefore = b.Channels,
                    ChannelsAfter = a.Channels,
                    Threshold = g?.Removed > 0 ? g.Threshold : null,
                    ParametersBefore = b.Parameters,
                    ParametersAfter = a.Parameters,
                    FlopsBefore = b.Flops,
                    FlopsAfter = a.Flops,
                };
            }).ToList(),
            Groups = groups,
            ParametersBefore = parametersBefore,
            ParametersAfter = LayerCosts.Parameters(model),
            FlopsBefore = before.Sum(l => l.Flops),
            FlopsAfter = after.Values.Sum(l => l.Flops),
        };
        return PassResult.FromRewrites(steps);
    }
}
