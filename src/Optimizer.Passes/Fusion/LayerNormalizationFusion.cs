using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Fusion;

/// <summary>
/// The decomposed layer normalization exporters emit over the last axis becomes LayerNormalization (opset 17+):
/// <c>d = x - ReduceMean(x); y = d / Sqrt(ReduceMean(Pow(d, 2)) + eps) [* gamma] [+ beta]</c>.
/// </summary>
public sealed class LayerNormalizationFusion : RewritePass<LayerNormalizationFusion.Match>
{
    public sealed record Match(Node Div, Value X, Value Output, float Epsilon, Value? Gamma, Value? Beta, Node[] Nodes);

    public override string Name => "fuse-layer-norm";

    public override string Description => "Turns ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div (+Mul, Add) into LayerNormalization (opset 17+).";

    public override PassKind Kind => PassKind.Fusion;

    protected override IReadOnlySet<string> AnchorOps { get; } = new HashSet<string> { "Div" };

    protected override MatchResult<Match> Check(Node div, Model model, PassContext context)
    {
        var sub = Patterns.ProducerOf(div.Input(0), "Sub", div);
        var sqrt = Patterns.ProducerOf(div.Input(1), "Sqrt", div);
        if (sub is null || sqrt is null) return MatchResult<Match>.NoMatch;
        var mean = Patterns.ProducerOf(sub.Input(1), "ReduceMean", sub);
        var addEps = Patterns.ProducerOf(sqrt.Input(0), "Add", sqrt);
        var variance = addEps is null ? null : Patterns.ProducerOf(addEps.Input(0), "ReduceMean", addEps);
        var pow = variance is null ? null : Patterns.ProducerOf(variance.Input(0), "Pow", variance);
        if (mean is null || variance is null || pow is null || mean.Input(0) != sub.Input(0) || pow.Input(0) != sub.Output()) return MatchResult<Match>.NoMatch;
        var x = sub.Input(0)!;
        if (!Patterns.IsConstantAll(pow.Input(1), 2)) return new Fail("the Pow exponent is not 2");
        if (Patterns.ConstantFloats(addEps!.Input(1)) is not [var eps]) return new Fail("epsilon is not a constant float scalar");
        var opset = Patterns.Opset(model);
        if (Patterns.Rank(x) is null || LastDim(x) is null) return new Fail("the input's rank or last dimension is unknown (shapes not inferred)");
        if (!IsLastAxisMean(mean, x, opset) || !IsLastAxisMean(variance, x, opset)) return new Fail("the ReduceMeans are not over the last axis alone with keepdims=1");
        if (x.ElementType != ElementType.Float) return new Fail("the input is not known to be float");
        if (!Patterns.CannotWiden(x, pow.Input(1), addEps.Input(1))) return new Fail("the exponent or epsilon could broadcast to a larger shape");
        if (sub.Output().Uses.Count != 2 || sub.Output().IsGraphOutput) return new Fail("x - mean is used outside the pattern");
        if (new[] { mean, pow, variance, addEps, sqrt }.Any(n => !Patterns.HasSingleUse(n.Output()))) return new Fail("an intermediate value is used outside the pattern");
        // Optional affine tail: Mul by gamma, Add of beta (constants of the normalized axis' length).
        var nodes = new List<Node> { mean, sub, pow, variance, addEps, sqrt, div };
        var output = div.Output();
        Value? gamma = null, beta = null;
        if (Patterns.SoleConsumer(output, "Mul") is { } mul && ConstantOperand(mul, output) is { } g && IsVector(g, x))
        {
            (gamma, output) = (g, mul.Output());
            nodes.Add(mul);
            if (Patterns.SoleConsumer(output, "Add") is { } add && ConstantOperand(add, output) is { } b && IsVector(b, x))
            {
                (beta, output) = (b, add.Output());
                nodes.Add(add);
            }
        }
        if (opset < 17) return new Fail($"LayerNormalization needs opset 17; the model has opset {opset} (upgrade with --opset 17)");
        return new Match(div, x, output, eps, gamma, beta, nodes.ToArray());
    }

    // d = x - mean(x); y = d / sqrt(mean(d^2) + eps) * gamma + beta => y = LayerNormalization<axis=-1, epsilon>(x, gamma, beta)
    protected override void Rewrite(Match m, PassContext context)
    {
        var graph = m.Div.Graph!;
        context.Step($"fused {m.Nodes.Length} nodes into LayerNormalization", m.Div);
        var dim = LastDim(m.X)!.Value;
        var gamma = m.Gamma ?? Patterns.AddInitializer(graph, "ln_scale", Enumerable.Repeat(1f, (int)dim).ToArray(), dim);
        var ln = Patterns.InsertBefore(m.Nodes[^1], "LayerNormalization", m.Beta is null ? [m.X, gamma] : [m.X, gamma, m.Beta], m.Output.Name + "_ln",
            [Onnx.IR.Attribute.FromInt("axis", -1), Onnx.IR.Attribute.FromFloat("epsilon", m.Epsilon)]);
        Patterns.Replace(m.Output, ln.Output());
        Patterns.RemoveIfUnused(m.Nodes);
    }

    private static Value? ConstantOperand(Node node, Value input) =>
        node.Input(0) == input ? (Patterns.Constant(node.Input(1)) is null ? null : node.Input(1))
        : node.Input(1) == input && Patterns.Constant(node.Input(0)) is not null ? node.Input(0) : null;

    private static bool IsVector(Value v, Value x) =>
        Patterns.Constant(v) is { ElementType: ElementType.Float, Dims: [var n] } && LastDim(x) == n;

    private static long? LastDim(Value x) => x.Shape is { Rank: > 0 } s ? s[s.Rank - 1].Value : null;

    private static bool IsLastAxisMean(Node reduce, Value x, long opset)
    {
        if (reduce.GetInt("keepdims", 1) != 1 || Patterns.Rank(x) is not { } rank) return false;
        var axes = opset >= 18 ? Patterns.ConstantInts(reduce.Input(1)) : reduce.GetInts("axes");
        return axes is [var a] && (a == -1 || a == rank - 1);
    }
}
