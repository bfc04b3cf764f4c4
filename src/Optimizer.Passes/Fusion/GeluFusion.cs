using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Fusion;

/// <summary>
/// The exact GELU exporters write with Erf becomes Gelu (opset 20+):
/// <c>x * 0.5 * (1 + Erf(x / sqrt(2)))</c>, in any of the usual association orders.
/// </summary>
public sealed class GeluFusion : RewritePass<GeluFusion.Match>
{
    private const double Tolerance = 1e-4;

    public sealed record Match(Node Erf, Value X, Value Output, Node[] Nodes);

    public override string Name => "fuse-gelu";

    public override string Description => "Turns x * 0.5 * (1 + Erf(x / sqrt 2)) into Gelu (opset 20+).";

    public override PassKind Kind => PassKind.Fusion;

    protected override IReadOnlySet<string> AnchorOps { get; } = new HashSet<string> { "Erf" };

    protected override MatchResult<Match> Check(Node erf, Model model, PassContext context)
    {
        var scale = Patterns.ProducerOf(erf.Input(0), "Div", erf) ?? Patterns.ProducerOf(erf.Input(0), "Mul", erf);
        if (scale is null || !Patterns.HasSingleUse(erf.Output()) || Patterns.SoleConsumer(erf.Output(), "Add") is not { } plusOne) return MatchResult<Match>.NoMatch;
        var x = scale.Input(0)!;
        var factor = scale.OpType == "Div" ? Math.Sqrt(2) : Math.Sqrt(0.5);
        if (!Patterns.IsConstantAll(scale.Input(1), factor, Tolerance)) return MatchResult<Match>.NoMatch;
        if (!Patterns.IsConstantAll(Other(plusOne, erf.Output()), 1)) return MatchResult<Match>.NoMatch;
        if (Tail(plusOne, x) is not { } tail) return MatchResult<Match>.NoMatch;
        var nodes = new[] { scale, erf, plusOne }.Concat(tail).ToArray();
        if (nodes.Take(nodes.Length - 1).Any(n => n != scale && !Patterns.HasSingleUse(n.Output()))) return new Fail("an intermediate value is used outside the pattern");
        if (!Patterns.HasSingleUse(scale.Output())) return new Fail("x / sqrt(2) is used outside the pattern");
        if (x.ElementType is not (ElementType.Float or ElementType.Undefined)) return new Fail("the input is not float");
        var constants = nodes.Select(n => n.Inputs.FirstOrDefault(i => i?.GetConstant() is not null)).Where(c => c is not null).ToArray();
        if (!Patterns.CannotWiden(x, constants)) return new Fail("a constant of the pattern could broadcast x to a larger shape");
        var opset = Patterns.Opset(model);
        if (opset < 20) return new Fail($"Gelu needs opset 20; the model has opset {opset} (upgrade with --opset 20)");
        return new Match(erf, x, nodes[^1].Output(), nodes);
    }

    // y = x * 0.5 * (1 + Erf(x / sqrt(2))) => y = Gelu(x)
    protected override void Rewrite(Match m, PassContext context)
    {
        context.Step($"fused {m.Nodes.Length} nodes into Gelu", m.Erf);
        var gelu = Patterns.InsertBefore(m.Nodes[^1], "Gelu", [m.X], m.Output.Name + "_gelu");
        Patterns.Replace(m.Output, gelu.Output());
        Patterns.RemoveIfUnused(m.Nodes);
    }

    /// <summary>The Muls after (1 + erf) that multiply by x and 0.5, in either order, or null.</summary>
    private static Node[]? Tail(Node plusOne, Value x)
    {
        var a = plusOne.Output();
        if (Patterns.SoleConsumer(a, "Mul") is not { } m1) return null;
        var other = Other(m1, a);
        // (x * (1 + e)) * 0.5
        if (other == x && Patterns.SoleConsumer(m1.Output(), "Mul") is { } h1 && Patterns.IsConstantAll(Other(h1, m1.Output()), 0.5))
            return [m1, h1];
        // ((1 + e) * 0.5) * x
        if (Patterns.IsConstantAll(other, 0.5) && Patterns.SoleConsumer(m1.Output(), "Mul") is { } h2 && Other(h2, m1.Output()) == x)
            return [m1, h2];
        // (x * 0.5) * (1 + e)
        if (other?.Producer is { OpType: "Mul" } half && half.Graph == m1.Graph && Other(half, x) is { } c && Patterns.IsConstantAll(c, 0.5)
            && (half.Input(0) == x || half.Input(1) == x))
            return [half, m1];
        return null;
    }

    private static Value? Other(Node binary, Value? known) => binary.Input(0) == known ? binary.Input(1) : binary.Input(1) == known ? binary.Input(0) : null;
}
