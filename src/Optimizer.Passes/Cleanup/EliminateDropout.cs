using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Cleanup;

/// <summary>Dropout does nothing at inference: it is removed when its mask is unused and it is not in training mode.</summary>
public sealed class EliminateDropout : RewritePass<Node>
{
    public override string Name => "eliminate-dropout";

    public override string Description => "Removes Dropout (inference: output = input) when its mask is unused.";

    public override PassKind Kind => PassKind.Cleanup;

    protected override IReadOnlySet<string> AnchorOps { get; } = new HashSet<string> { "Dropout" };

    protected override MatchResult<Node> Check(Node anchor, Model model, PassContext context)
    {
        if (anchor.Input(0) is not { } input) return MatchResult<Node>.NoMatch;
        if (anchor.Outputs.Count > 1 && anchor.Outputs[1] is { } mask && (mask.Uses.Count > 0 || mask.IsGraphOutput))
            return new Fail($"its mask output '{mask.Name}' is used");
        if (anchor.Input(2) is { } training && !Patterns.IsConstantAll(training, 0))
            return new Fail("training_mode is not a constant false");
        return Patterns.WhyNotReplaceable(anchor.Output(), input) is { } why ? new Fail(why) : anchor;
    }

    // y = Dropout(x); z = f(y) => z = f(x)
    protected override void Rewrite(Node dropout, PassContext context)
    {
        context.Step("removed", dropout);
        Patterns.Bypass(dropout, dropout.Input(0)!);
    }
}
