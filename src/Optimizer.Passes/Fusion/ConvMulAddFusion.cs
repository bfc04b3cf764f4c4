using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Fusion;

/// <summary>
/// A Mul or Add by a per-channel (or scalar) constant after a Conv or ConvTranspose is folded into its weight and
/// bias: Conv(x, W, b) * k => Conv(x, W * k, b * k); Conv(x, W, b) + k => Conv(x, W, b + k).
/// </summary>
public sealed class ConvMulAddFusion : RewritePass<ConvMulAddFusion.Match>
{
    private static readonly string[] Producers = ["Conv", "ConvTranspose"];

    public sealed record Match(Node Arithmetic, Node Conv, ChannelAffine Affine);

    public override string Name => "fuse-conv-mul-add";

    public override string Description => "Folds Mul/Add by per-channel constants into a preceding Conv's weight and bias.";

    public override PassKind Kind => PassKind.Fusion;

    // Conv + b1 + b2: each fold exposes the next.
    public override bool RepeatToFixedPoint => true;

    protected override IReadOnlySet<string> AnchorOps { get; } = new HashSet<string> { "Mul", "Add" };

    protected override MatchResult<Match> Check(Node op, Model model, PassContext context)
    {
        foreach (var (convSide, constSide) in new[] { (0, 1), (1, 0) })
        {
            var conv = Producers.Select(p => Patterns.ProducerOf(op.Input(convSide), p, op)).FirstOrDefault(p => p is not null);
            if (conv is null) continue;
            var k = Patterns.Constant(op.Input(constSide));
            if (k is null) return MatchResult<Match>.NoMatch;
            if (!Patterns.HasSingleUse(conv.Output())) return new Fail($"the {conv.OpType} output is also used elsewhere");
            if (k.ElementType != ElementType.Float) return new Fail("the constant is not float");
            if (Patterns.Constant(conv.Input(1)) is not { } w) return new Fail("the Conv weight is not constant");
            var channels = (int)w.Dims[conv.OpType == "Conv" ? 0 : 1];
            if (PerChannel(k, channels, w.Dims.Count) is not { } values)
                return new Fail($"the constant of shape [{string.Join(",", k.Dims)}] is not per-channel (it would broadcast over other axes)");
            if (ChannelAffine.WhyNotFoldable(conv, channels) is { } why) return new Fail(why);
            var affine = op.OpType == "Mul"
                ? new ChannelAffine(values, new double[channels])
                : new ChannelAffine(Enumerable.Repeat(1.0, channels).ToArray(), values);
            return new Match(op, conv, affine);
        }
        return MatchResult<Match>.NoMatch;
    }

    // y = Conv(x, W, b); z = y * k => z = Conv(x, W * k, b * k)    (z = y + k => z = Conv(x, W, b + k))
    protected override void Rewrite(Match m, PassContext context)
    {
        context.Step($"folded into {PassDiagnostics.Describe(m.Conv)}", m.Arithmetic);
        Patterns.Bypass(m.Arithmetic, m.Affine.FoldInto(m.Conv));
    }

    /// <summary>
    /// The constant's value per output channel, when it broadcasts along the channel axis only: a scalar, or a
    /// shape like [C,1,1] / [1,C,1,1] whose other dimensions are 1 and whose rank does not exceed the output's.
    /// </summary>
    private static double[]? PerChannel(Tensor k, int channels, int outputRank)
    {
        var dims = k.Dims.ToArray();
        var values = k.ToDoubles();
        if (dims.All(d => d == 1) && dims.Length <= outputRank) return Enumerable.Repeat(values[0], channels).ToArray();
        var channelAxis = dims.Length - (outputRank - 1);
        if (dims.Length > outputRank || channelAxis < 0 || dims[channelAxis] != channels) return null;
        return dims.Where((d, i) => i != channelAxis).All(d => d == 1) ? values : null;
    }
}
