using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Folding;

/// <summary>
/// The Reshape targets exporters compute from the data's own shape become constants even while dimensions stay
/// dynamic. With shape inference any target whose elements are numbers or the data's own dims folds; without it,
/// the chain is read structurally: in <c>Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), Unsqueeze(Gather(Shape(x), 1)), [4], [64]))</c>
/// the first two entries copy x's dimensions 0 and 1, which Reshape writes as 0, so the target is <c>[0, 0, 4, 64]</c>.
/// </summary>
public sealed class ReshapeTargetFolding : RewritePass<ReshapeTargetFolding.Match>
{
    public sealed record Match(Node Reshape, long[] Target);

    public override string Name => "fold-reshape-targets";

    public override string Description => "Replaces Reshape targets computed from the data's own Shape (Gather/Slice/Concat) by constants with 0 entries.";

    public override PassKind Kind => PassKind.Folding;

    protected override IReadOnlySet<string> AnchorOps { get; } = new HashSet<string> { "Reshape" };

    protected override MatchResult<Match> Check(Node reshape, Model model, PassContext context)
    {
        if (reshape.Input(0) is not { } data || reshape.Input(1) is not { Producer: not null } target || target.GetConstant() is not null) return MatchResult<Match>.NoMatch;
        if (reshape.GetInt("allowzero", 0) == 0 && FromInferredShapes(data, target, context) is { } folded) return new Match(reshape, folded);
        return FromShapeChain(reshape, data, model);
    }

    /// <summary>
    /// With shape inference: each target element is a number, the same dim as the data's at that position (0),
    /// or, for at most one element, something else (-1, which Reshape infers from the element count).
    /// </summary>
    private static long[]? FromInferredShapes(Value data, Value target, PassContext context)
    {
        if (context.Shapes is not { } shapes || !shapes.TryGetSymbolicValue(target, out var elements) || !shapes.TryGetShape(data, out var dims)) return null;
        var result = new long[elements.Count];
        var unresolved = new List<int>();
        for (var i = 0; i < result.Length; i++)
        {
            if (elements[i].ConstantValue is { } c) result[i] = c;
            else if (i < dims.Count && elements[i].Equals(dims[i])) result[i] = 0;
            else unresolved.Add(i);
        }
        if (unresolved.Count > 1 || (unresolved.Count == 1 && result.Contains(-1))) return null;
        foreach (var i in unresolved) result[i] = -1;
        return result;
    }

    private static MatchResult<Match> FromShapeChain(Node reshape, Value data, Model model)
    {
        if (Patterns.ProducerOf(reshape.Input(1), "Concat", reshape) is not { } concat) return MatchResult<Match>.NoMatch;
        if (reshape.GetInt("allowzero", 0) != 0) return new Fail("allowzero=1: a 0 entry would mean an empty dimension");
        var target = new List<long>();
        var copies = 0;
        foreach (var piece in concat.Inputs)
        {
            if (Patterns.ConstantInts(piece) is { } values)
            {
                target.AddRange(values);
                continue;
            }
            if (DimensionOf(piece, data, Patterns.Opset(model)) is not { } dim)
                return copies == 0 ? MatchResult<Match>.NoMatch : new Fail($"'{piece?.Name}' is neither constant nor a dimension of the data");
            if (dim != target.Count) return new Fail($"entry {target.Count} copies dimension {dim} of the data, not dimension {target.Count}");
            target.Add(0);
            copies++;
        }
        if (copies == 0) return MatchResult<Match>.NoMatch;
        if (target.Count(t => t == -1) > 1) return new Fail("the target has more than one -1");
        return new Match(reshape, target.ToArray());
    }

    // Reshape(x, Concat(Unsqueeze(Gather(Shape(x), i)) at position i, c...)) => Reshape(x, [0 at i, c...])
    protected override void Rewrite(Match m, PassContext context)
    {
        context.Step($"target became [{string.Join(",", m.Target)}]", m.Reshape);
        var old = m.Reshape.Input(1)!.Producer!;
        m.Reshape.SetInput(1, Patterns.AddInitializer(m.Reshape.Graph!, m.Reshape.Input(1)!.Name + "_folded", m.Target, m.Target.Length));
        if (old.OpType == "Concat") Patterns.RemoveIfUnused(old);
    }

    /// <summary>
    /// Which dimension of <paramref name="data"/> a one-element piece holds: Unsqueeze(Gather(Shape(data), k)),
    /// Gather(Shape(data), [k]) or Slice(Shape(data), k, k + 1), through integer Casts (PaddleOCR casts shapes to
    /// int32 and back); null when it is none of these.
    /// </summary>
    private static long? DimensionOf(Value? piece, Value data, long opset)
    {
        var node = WithoutIntegerCasts(piece)?.Producer;
        if (node is { OpType: "Unsqueeze" } && (opset >= 13 ? Patterns.ConstantInts(node.Input(1)) : node.GetInts("axes")) is [0])
            return ScalarDimension(node.Input(0), data, requireScalar: true, opset);
        return ScalarDimension(piece, data, requireScalar: false, opset);
    }

    private static Value? WithoutIntegerCasts(Value? value)
    {
        while (value?.Producer is { OpType: "Cast", IsDefaultDomain: true } cast && cast.GetInt("to", 0) is (long)ElementType.Int64 or (long)ElementType.Int32)
            value = cast.Input(0);
        return value;
    }

    private static long? ScalarDimension(Value? value, Value data, bool requireScalar, long opset)
    {
        if (WithoutIntegerCasts(value)?.Producer is not { IsDefaultDomain: true } node || WithoutIntegerCasts(node.Input(0))?.Producer is not { OpType: "Shape" } shape
            || shape.Input(0) != data) return null;
        var start = shape.GetInt("start", 0);
        if (start < 0 || shape.HasAttribute("end") && start != 0) return null;
        long? index = node.OpType switch
        {
            "Gather" when node.GetInt("axis", 0) == 0 && Patterns.Constant(node.Input(1)) is { } t && (t.Dims.Count == 0) == requireScalar && t.ElementCount == 1
                => Patterns.ConstantInts(node.Input(1))![0],
            "Slice" when !requireScalar && opset >= 10 && Patterns.ConstantInts(node.Input(1)) is [var s] && Patterns.ConstantInts(node.Input(2)) is [var e] && e == s + 1
                && (node.Input(3) is null || Patterns.ConstantInts(node.Input(3)) is [0]) && (node.Input(4) is null || Patterns.ConstantInts(node.Input(4)) is [1])
                => s,
            "Slice" when !requireScalar && opset < 10 && node.GetInts("starts") is [var s] && node.GetInts("ends") is [var e] && e == s + 1
                && node.GetInts("axes") is null or [0]
                => s,
            _ => null,
        };
        return index is >= 0 ? index + start : null;
    }
}
