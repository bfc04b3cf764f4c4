using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Cleanup;

/// <summary>
/// Removes nodes that return their input unchanged: a Cast to the input's own type, a Reshape to the input's own
/// shape, a Transpose with the identity permutation, a Pad or Slice that pads or cuts nothing, and Add/Sub of 0 or
/// Mul/Div by 1 with a constant that cannot broadcast the input to a larger shape.
/// </summary>
public sealed class EliminateNoOps : RewritePass<EliminateNoOps.NoOp>
{
    private const long ToTheEnd = int.MaxValue;

    public override string Name => "eliminate-no-ops";

    public override string Description => "Removes Cast/Reshape/Transpose/Pad/Slice and Add 0/Mul 1 nodes that change nothing.";

    public override PassKind Kind => PassKind.Cleanup;

    protected override IReadOnlySet<string> AnchorOps { get; } =
        new HashSet<string> { "Cast", "Reshape", "Transpose", "Pad", "Slice", "Add", "Sub", "Mul", "Div" };

    public sealed record NoOp(Node Node, Value Keep);

    protected override MatchResult<NoOp> Check(Node anchor, Model model, PassContext context)
    {
        if (anchor.Outputs.Count != 1 || Survivor(anchor, Patterns.Opset(model)) is not { } keep) return MatchResult<NoOp>.NoMatch;
        return Patterns.WhyNotReplaceable(anchor.Output(), keep) is { } why ? new Fail(why) : new NoOp(anchor, keep);
    }

    // y = Op(x) where Op changes nothing => consumers read x
    protected override void Rewrite(NoOp match, PassContext context)
    {
        context.Step("removed (no-op)", match.Node);
        Patterns.Bypass(match.Node, match.Keep);
    }

    /// <summary>The input the node returns unchanged, or null when it is not a no-op.</summary>
    private static Value? Survivor(Node node, long opset)
    {
        if (node.Input(0) is not { } x) return null;
        return node.OpType switch
        {
            "Cast" => x.ElementType != ElementType.Undefined && node.GetInt("to", 0) == (long)x.ElementType ? x : null,
            "Reshape" => IsSameShape(node, x) ? x : null,
            "Transpose" => (node.GetInts("perm") is { } perm ? perm.Select((p, i) => p == i).All(b => b) : Patterns.Rank(x) is 0 or 1) ? x : null,
            "Pad" => (node.GetInts("pads") ?? Patterns.ConstantInts(node.Input(1))) is { } pads && pads.All(p => p == 0) ? x : null,
            "Slice" => IsFullSlice(node, x, opset) ? x : null,
            "Add" or "Mul" when node.Input(1) is { } y && IsNeutral(node, other: x, keep: y) => y,
            _ when node.Input(1) is { } y && IsNeutral(node, other: y, keep: x) => x,
            _ => null,
        };
    }

    private static bool IsSameShape(Node reshape, Value x)
    {
        if (x.Shape is not { } shape || Patterns.ConstantInts(reshape.Input(1)) is not { } target || target.Length != shape.Rank) return false;
        var allowZero = reshape.GetInt("allowzero", 0) == 1;
        var wildcards = 0;
        for (var i = 0; i < target.Length; i++)
        {
            if (target[i] == 0 && !allowZero) continue;
            if (target[i] == -1) { wildcards++; continue; }
            if (shape[i].Value != target[i]) return false;
        }
        return wildcards <= 1;
    }

    private static bool IsFullSlice(Node slice, Value x, long opset)
    {
        long[]? starts, ends, axes, steps = null;
        if (opset < 10)
            (starts, ends, axes) = (slice.GetInts("starts"), slice.GetInts("ends"), slice.GetInts("axes"));
        else
        {
            (starts, ends) = (Patterns.ConstantInts(slice.Input(1)), Patterns.ConstantInts(slice.Input(2)));
            axes = slice.Input(3) is null ? null : Patterns.ConstantInts(slice.Input(3));
            if (slice.Input(3) is not null && axes is null) return false;
            if (slice.Input(4) is { } s && (steps = Patterns.ConstantInts(s)) is null) return false;
        }
        if (starts is null || ends is null) return false;
        axes ??= Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
        var rank = Patterns.Rank(x);
        for (var i = 0; i < starts.Length; i++)
        {
            if (steps is not null && steps[i] != 1) return false;
            if (starts[i] != 0) return false;
            if (ends[i] >= ToTheEnd) continue;
            var axis = axes[i] < 0 ? (rank is { } r ? axes[i] + r : -1) : axes[i];
            if (axis < 0 || x.Shape is not { } shape || axis >= shape.Rank || shape[(int)axis].Value is not { } dim || ends[i] < dim) return false;
        }
        return true;
    }

    /// <summary>Whether <paramref name="other"/> is a neutral constant (0 for Add/Sub, 1 for Mul/Div) that cannot widen <paramref name="keep"/>.</summary>
    private static bool IsNeutral(Node node, Value other, Value keep)
    {
        if (node.OpType is not ("Add" or "Sub" or "Mul" or "Div")) return false;
        var neutral = node.OpType is "Add" or "Sub" ? 0.0 : 1.0;
        if (!Patterns.IsConstantAll(other, neutral) || other.GetConstant() is not { } c) return false;
        if (keep.ElementType == ElementType.Undefined || keep.ElementType != c.ElementType) return false;
        return c.Dims.Count == 0 || (c.Dims.All(d => d == 1) && Patterns.Rank(keep) is { } r && r >= c.Dims.Count);
    }
}
