using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Fusion;

/// <summary>
/// A Reshape (or Flatten, Squeeze, Unsqueeze) whose result is reshaped again by a constant target that does not
/// refer to it (no 0 entries that copy its dimensions) is skipped: the second Reshape reads the first's input.
/// </summary>
public sealed class ReshapeChainFusion : RewritePass<ReshapeChainFusion.Match>
{
    private static readonly string[] ShapeOnlyOps = ["Reshape", "Flatten", "Squeeze", "Unsqueeze"];

    public sealed record Match(Node First, Node Second);

    public override string Name => "fuse-reshapes";

    public override string Description => "Merges a Reshape/Flatten/Squeeze/Unsqueeze followed by a Reshape with a self-contained target.";

    public override PassKind Kind => PassKind.Fusion;

    public override bool RepeatToFixedPoint => true;

    protected override IReadOnlySet<string> AnchorOps { get; } = new HashSet<string> { "Reshape" };

    protected override MatchResult<Match> Check(Node second, Model model, PassContext context)
    {
        var first = ShapeOnlyOps.Select(op => Patterns.ProducerOf(second.Input(0), op, second)).FirstOrDefault(p => p is not null);
        if (first is null) return MatchResult<Match>.NoMatch;
        if (!Patterns.HasSingleUse(first.Output())) return new Fail($"the {first.OpType} output is also used elsewhere");
        if (Patterns.ConstantInts(second.Input(1)) is not { } target) return new Fail("the second Reshape's target is not constant");
        if (target.Contains(0) && second.GetInt("allowzero", 0) == 0)
            return new Fail("the target copies dimensions (0 entries) of the intermediate shape");
        return new Match(first, second);
    }

    // y = Reshape(x, s1); z = Reshape(y, s2) => z = Reshape(x, s2)
    protected override void Rewrite(Match m, PassContext context)
    {
        context.Step($"now reads the input of {PassDiagnostics.Describe(m.First)}", m.Second);
        m.Second.SetInput(0, m.First.Input(0));
        Patterns.RemoveIfUnused(m.First);
    }
}
