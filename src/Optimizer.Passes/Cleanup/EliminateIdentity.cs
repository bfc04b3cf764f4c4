using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Cleanup;

/// <summary>Identity nodes are removed; their consumers read the input directly.</summary>
public sealed class EliminateIdentity : RewritePass<Node>
{
    public override string Name => "eliminate-identity";

    public override string Description => "Removes Identity nodes (consumers read the input directly).";

    public override PassKind Kind => PassKind.Cleanup;

    protected override IReadOnlySet<string> AnchorOps { get; } = new HashSet<string> { "Identity" };

    protected override MatchResult<Node> Check(Node anchor, Model model, PassContext context)
    {
        if (anchor.Input(0) is not { } input || anchor.Outputs.Count != 1) return MatchResult<Node>.NoMatch;
        if (input.TensorType is null && input.Type is not null) return new Fail("the input is not a tensor (sequence or optional)");
        return Patterns.WhyNotReplaceable(anchor.Output(), input) is { } why ? new Fail(why) : anchor;
    }

    // y = Identity(x); z = f(y) => z = f(x)
    protected override void Rewrite(Node identity, PassContext context)
    {
        context.Step("removed", identity);
        Patterns.Bypass(identity, identity.Input(0)!);
    }
}
