using Optimizer.Onnx.IR;
using Optimizer.Passes.Folding;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Cleanup;

/// <summary>
/// Constant nodes become initializers of their graph, under the same name, so every later pass finds weights in
/// one place (the PaddleOCR and Silero models keep all their weights in Constant nodes).
/// </summary>
public sealed class ConstantsToInitializers : RewritePass<Node>
{
    public override string Name => "constants-to-initializers";

    public override string Description => "Turns Constant nodes into initializers (same name and value).";

    public override PassKind Kind => PassKind.Cleanup;

    protected override IReadOnlySet<string> AnchorOps { get; } = new HashSet<string> { "Constant" };

    protected override MatchResult<Node> Check(Node anchor, Model model, PassContext context)
    {
        if (ConstantNodes.GetValue(anchor) is null) return new Fail("its value is a sparse tensor or an unknown attribute form");
        if (ConstantReplacement.WhyNot(anchor) is { } why) return new Fail(why);
        return anchor;
    }

    // %c = Constant<value=T>() => initializer %c = T
    protected override void Rewrite(Node constant, PassContext context)
    {
        context.Step("became an initializer", constant);
        ConstantReplacement.Replace(constant, [ConstantNodes.GetValue(constant)]);
    }
}
