using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Fusion;

/// <summary>
/// A zero, constant-mode Pad of the spatial axes before a Conv (or an AveragePool that counts padding) becomes
/// the consumer's own pads attribute.
/// </summary>
public sealed class PadIntoConv : RewritePass<PadIntoConv.Match>
{
    public sealed record Match(Node Pad, Node Consumer, long[] Pads);

    public override string Name => "fuse-pad";

    public override string Description => "Folds a zero constant Pad of spatial axes into the following Conv or AveragePool pads.";

    public override PassKind Kind => PassKind.Fusion;

    protected override IReadOnlySet<string> AnchorOps { get; } = new HashSet<string> { "Conv", "AveragePool", "MaxPool" };

    protected override MatchResult<Match> Check(Node consumer, Model model, PassContext context)
    {
        if (Patterns.ProducerOf(consumer.Input(0), "Pad", consumer) is not { } pad) return MatchResult<Match>.NoMatch;
        if (consumer.OpType == "MaxPool") return new Fail("MaxPool pads with -inf, not with the Pad's zeros");
        if (consumer.OpType == "AveragePool" && consumer.GetInt("count_include_pad", 0) != 1)
            return new Fail("AveragePool does not count padded zeros (count_include_pad=0)");
        if (!Patterns.HasSingleUse(pad.Output())) return new Fail("the Pad output is also used elsewhere");
        if (pad.GetString("mode", "constant") != "constant") return new Fail($"Pad mode is '{pad.GetString("mode", "")}', not constant");
        if (pad.Input(3) is not null) return new Fail("Pad has an axes input");
        var padValueZero = pad.Input(2) is { } v ? Patterns.IsConstantAll(v, 0) : pad.GetFloat("value", 0f) == 0f;
        if (!padValueZero) return new Fail("the pad value is not zero");
        if ((pad.GetInts("pads") ?? Patterns.ConstantInts(pad.Input(1))) is not { } pads) return new Fail("the pads are not constant");
        var rank = pads.Length / 2;
        if (pads.Any(p => p < 0)) return new Fail("negative pads (cropping) are not folded");
        if (pads[0] != 0 || pads[1] != 0 || pads[rank] != 0 || pads[rank + 1] != 0) return new Fail("the batch or channel axis is padded");
        if (consumer.GetString("auto_pad", "NOTSET") != "NOTSET") return new Fail("the consumer uses auto_pad");
        var spatial = rank - 2;
        var existing = consumer.GetInts("pads") ?? new long[2 * spatial];
        if (existing.Length != 2 * spatial) return new Fail("the consumer's pads do not match the Pad's rank");
        var merged = new long[2 * spatial];
        for (var i = 0; i < spatial; i++)
        {
            merged[i] = existing[i] + pads[i + 2];
            merged[i + spatial] = existing[i + spatial] + pads[rank + i + 2];
        }
        return new Match(pad, consumer, merged);
    }

    // y = Pad(x, pads); z = Conv(y) => z = Conv<pads += spatial pads>(x)
    protected override void Rewrite(Match m, PassContext context)
    {
        context.Step($"folded into {PassDiagnostics.Describe(m.Consumer)}", m.Pad);
        m.Consumer.SetAttribute(Onnx.IR.Attribute.FromInts("pads", m.Pads));
        m.Consumer.SetInput(0, m.Pad.Input(0));
        m.Pad.Graph!.RemoveNode(m.Pad);
    }
}
