using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Fusion;

/// <summary>
/// BatchNormalization (inference) after a Conv, ConvTranspose, Gemm or MatMul with a constant weight is folded into
/// that node's weight and bias: BN(y) = y * s + t with s = scale / sqrt(var + eps), t = B - mean * s.
/// </summary>
public sealed class BatchNormIntoConv : RewritePass<BatchNormIntoConv.Match>
{
    private static readonly string[] Producers = ["Conv", "ConvTranspose", "Gemm", "MatMul"];

    public sealed record Match(Node BatchNorm, Node Producer, ChannelAffine Affine);

    public override string Name => "fuse-batchnorm";

    public override string Description => "Folds BatchNormalization into a preceding Conv, ConvTranspose, Gemm or MatMul (constant weight).";

    public override PassKind Kind => PassKind.Fusion;

    protected override IReadOnlySet<string> AnchorOps { get; } = new HashSet<string> { "BatchNormalization" };

    protected override MatchResult<Match> Check(Node bn, Model model, PassContext context)
    {
        var producer = Producers.Select(op => Patterns.ProducerOf(bn.Input(0), op, bn)).FirstOrDefault(p => p is not null);
        if (producer is null) return MatchResult<Match>.NoMatch;
        if (!Patterns.HasSingleUse(bn.Input(0)!)) return new Fail($"the {producer.OpType} output is also used elsewhere");
        if (bn.Outputs.Skip(1).Any(o => o is not null && (o.Uses.Count > 0 || o.IsGraphOutput))) return new Fail("its running statistics outputs are used (training)");
        if (bn.GetInt("training_mode", 0) != 0 || bn.GetInt("spatial", 1) != 1) return new Fail("training_mode or spatial=0 is set");
        var parts = Enumerable.Range(1, 4).Select(i => Patterns.Constant(bn.Input(i))).ToArray();
        if (parts.Any(t => t is not { ElementType: ElementType.Float } || t.Dims.Count != 1))
            return new Fail("scale, B, mean and var are not constant float vectors");
        if (producer.OpType == "MatMul" && Patterns.Rank(bn.Input(0)) is not 2)
            return new Fail("the MatMul output is not known to have rank 2 (channel axis 1 must be its last axis)");
        var (scale, bias, mean, variance) = (parts[0]!.ToDoubles(), parts[1]!.ToDoubles(), parts[2]!.ToDoubles(), parts[3]!.ToDoubles());
        if (new[] { bias.Length, mean.Length, variance.Length }.Any(n => n != scale.Length)) return new Fail("scale, B, mean and var differ in length");
        if (ChannelAffine.WhyNotFoldable(producer, scale.Length) is { } why) return new Fail(why);
        var eps = (double)bn.GetFloat("epsilon", 1e-5f);
        var s = scale.Select((g, c) => g / Math.Sqrt(variance[c] + eps)).ToArray();
        var t = bias.Select((b, c) => b - mean[c] * s[c]).ToArray();
        return new Match(bn, producer, new ChannelAffine(s, t));
    }

    // y = Conv(x, W, b); z = BatchNormalization(y, scale, B, mean, var) => z = Conv(x, W * s, b * s + t)
    protected override void Rewrite(Match m, PassContext context)
    {
        context.Step($"folded into {PassDiagnostics.Describe(m.Producer)}", m.BatchNorm);
        var result = m.Affine.FoldInto(m.Producer);
        Patterns.Bypass(m.BatchNorm, result);
    }
}
