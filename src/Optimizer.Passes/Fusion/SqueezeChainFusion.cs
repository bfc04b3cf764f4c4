using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Fusion;

/// <summary>
/// Consecutive Squeeze/Unsqueeze nodes: two Unsqueezes (or two Squeezes) become one with the combined axes, and
/// an Unsqueeze undone by a Squeeze of the same axes (or the reverse) disappears.
/// </summary>
public sealed class SqueezeChainFusion : RewritePass<SqueezeChainFusion.Match>
{
    /// <summary>The second node, the first, and the combined axes (null: the pair cancels).</summary>
    public sealed record Match(Node First, Node Second, long[]? Axes, bool AxesAsInput);

    public override string Name => "fuse-squeezes";

    public override string Description => "Merges consecutive Unsqueezes or Squeezes; removes an Unsqueeze undone by a Squeeze.";

    public override PassKind Kind => PassKind.Fusion;

    public override bool RepeatToFixedPoint => true;

    protected override IReadOnlySet<string> AnchorOps { get; } = new HashSet<string> { "Squeeze", "Unsqueeze" };

    protected override MatchResult<Match> Check(Node second, Model model, PassContext context)
    {
        var first = Patterns.ProducerOf(second.Input(0), "Squeeze", second) ?? Patterns.ProducerOf(second.Input(0), "Unsqueeze", second);
        if (first is null) return MatchResult<Match>.NoMatch;
        if (!Patterns.HasSingleUse(first.Output())) return new Fail($"the {first.OpType} output is also used elsewhere");
        var asInput = Patterns.Opset(model) >= 13;
        if (Axes(first, asInput) is not { } a1 || Axes(second, asInput) is not { } a2) return new Fail("the axes are not constant (or Squeeze removes every 1)");
        if (Patterns.Rank(first.Input(0)) is not { } rank)
        {
            if (a1.Concat(a2).Any(a => a < 0)) return new Fail("negative axes and the input rank is unknown");
            rank = -1;
        }
        var mid = first.OpType == "Unsqueeze" ? rank + a1.Length : rank - a1.Length;
        var n1 = Normalize(a1, first.OpType == "Unsqueeze" ? mid : rank);
        var n2 = Normalize(a2, second.OpType == "Unsqueeze" ? mid + a2.Length : mid);
        if (first.OpType != second.OpType)
        {
            if (!n1.SequenceEqual(n2)) return new Fail("the Squeeze and Unsqueeze axes differ");
            if (Patterns.WhyNotReplaceable(second.Output(), first.Input(0)!) is { } why) return new Fail(why);
            return new Match(first, second, null, asInput);
        }
        // Unsqueeze: the first's axes, given in the intermediate rank, move past the second's insertions.
        // Squeeze: the second's axes, given in the intermediate rank, map back past the first's removals.
        var (inner, outer) = first.OpType == "Unsqueeze" ? (n1, n2) : (n2, n1);
        var kept = Enumerable.Range(0, 1 << 20).Select(i => (long)i).Where(i => !outer.Contains(i));
        var mapped = inner.Select(i => kept.ElementAt((int)i));
        return new Match(first, second, outer.Concat(mapped).Order().ToArray(), asInput);
    }

    // Unsqueeze<a2>(Unsqueeze<a1>(x)) => Unsqueeze<a>(x);  Squeeze<a>(Unsqueeze<a>(x)) => x
    protected override void Rewrite(Match m, PassContext context)
    {
        if (m.Axes is null)
        {
            context.Step($"cancelled with {PassDiagnostics.Describe(m.First)}", m.Second);
            Patterns.Bypass(m.Second, m.First.Input(0)!);
        }
        else
        {
            context.Step($"merged with {PassDiagnostics.Describe(m.First)}", m.Second);
            m.Second.SetInput(0, m.First.Input(0));
            if (m.AxesAsInput) m.Second.SetInput(1, Patterns.AddInitializer(m.Second.Graph!, "axes", m.Axes, m.Axes.Length));
            else m.Second.SetAttribute(Onnx.IR.Attribute.FromInts("axes", m.Axes));
        }
        Patterns.RemoveIfUnused(m.First);
    }

    private static long[]? Axes(Node node, bool asInput) => asInput ? Patterns.ConstantInts(node.Input(1)) : node.GetInts("axes");

    private static long[] Normalize(long[] axes, int rank) => axes.Select(a => a < 0 ? a + rank : a).Order().ToArray();
}
