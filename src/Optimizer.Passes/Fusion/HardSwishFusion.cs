using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;
using Attribute = Optimizer.Onnx.IR.Attribute;

namespace Optimizer.Passes.Fusion;

/// <summary>
/// The hard-swish exporters decompose, <c>x * Clip(x + 3, 0, 6) / 6</c>, becomes HardSwish (opset 14+), or below
/// opset 14 the equivalent <c>x * HardSigmoid&lt;alpha=1/6, beta=1/2&gt;(x)</c>: four nodes become one or two.
/// </summary>
public sealed class HardSwishFusion : RewritePass<HardSwishFusion.Match>
{
    private const double Tolerance = 1e-6;

    public sealed record Match(Node Last, Value X, Node[] Nodes, bool UseHardSwish);

    public override string Name => "fuse-hard-swish";

    public override string Description => "Turns x * Clip(x + 3, 0, 6) / 6 into HardSwish (opset 14+) or x * HardSigmoid(x).";

    public override PassKind Kind => PassKind.Fusion;

    protected override IReadOnlySet<string> AnchorOps { get; } = new HashSet<string> { "Clip" };

    protected override MatchResult<Match> Check(Node clip, Model model, PassContext context)
    {
        var opset = Patterns.Opset(model);
        if (Patterns.ProducerOf(clip.Input(0), "Add", clip) is not { } add || !IsBounds(clip, opset)) return MatchResult<Match>.NoMatch;
        var x = Patterns.IsConstantAll(add.Input(1), 3, Tolerance) ? add.Input(0) : Patterns.IsConstantAll(add.Input(0), 3, Tolerance) ? add.Input(1) : null;
        if (x is null || Patterns.SoleConsumer(clip.Output(), "Mul") is not { } mul || Other(mul, clip.Output()) != x) return MatchResult<Match>.NoMatch;
        if (Patterns.SoleConsumer(mul.Output(), "Div") is not { } div || !Patterns.IsConstantAll(div.Input(1), 6, Tolerance) || div.Input(0) != mul.Output())
            return MatchResult<Match>.NoMatch;
        if (!Patterns.HasSingleUse(add.Output())) return new Fail("x + 3 is used outside the pattern");
        if (x.ElementType is not (ElementType.Float or ElementType.Undefined)) return new Fail("the input is not float");
        if (!Patterns.CannotWiden(x, add.Input(0) == x ? add.Input(1) : add.Input(0), div.Input(1)))
            return new Fail("the constant 3 or 6 could broadcast x to a larger shape");
        return new Match(div, x, [add, clip, mul, div], opset >= 14);
    }

    // y = x * Clip(x + 3, 0, 6) / 6 => y = HardSwish(x)   (below opset 14: y = x * HardSigmoid<1/6, 1/2>(x))
    protected override void Rewrite(Match m, PassContext context)
    {
        var output = m.Last.Output();
        Value result;
        if (m.UseHardSwish)
        {
            context.Step("fused 4 nodes into HardSwish", m.Last);
            result = Patterns.InsertBefore(m.Last, "HardSwish", [m.X], output.Name + "_hardswish").Output();
        }
        else
        {
            context.Step("fused 4 nodes into HardSigmoid and Mul (HardSwish needs opset 14)", m.Last);
            var gate = Patterns.InsertBefore(m.Last, "HardSigmoid", [m.X], output.Name + "_gate",
                [Attribute.FromFloat("alpha", 1f / 6), Attribute.FromFloat("beta", 0.5f)]);
            result = Patterns.InsertBefore(m.Last, "Mul", [m.X, gate.Output()], output.Name + "_hardswish").Output();
        }
        Patterns.Replace(output, result);
        Patterns.RemoveIfUnused(m.Nodes);
    }

    /// <summary>Clip to [0, 6]: attributes before opset 11, constant inputs after.</summary>
    private static bool IsBounds(Node clip, long opset) => opset < 11
        ? clip.GetFloat("min", float.MinValue) == 0 && clip.GetFloat("max", float.MaxValue) == 6
        : Patterns.IsConstantAll(clip.Input(1), 0) && Patterns.IsConstantAll(clip.Input(2), 6);

    private static Value? Other(Node binary, Value known) => binary.Input(0) == known ? binary.Input(1) : binary.Input(1) == known ? binary.Input(0) : null;
}
