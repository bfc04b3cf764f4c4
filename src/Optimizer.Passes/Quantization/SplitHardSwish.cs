using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Quantization;

/// <summary>
/// Before static INT8 for ONNX Runtime's CPU provider: HardSwish(x) becomes x · HardSigmoid(x; 1/6, 1/2), the same
/// function. ONNX Runtime has no integer HardSwish, so a quantized model ran each one in float between a
/// DequantizeLinear and a QuantizeLinear; split, the Mul runs as a QLinearMul and the gate, once
/// <see cref="QuantizedAffineFolding"/> has turned it into a saturating Add, as a QLinearAdd (models exported at
/// opset 14 and later, MobileNetV3 among them, write HardSwish itself; older exports are already split this way).
/// </summary>
public sealed class SplitHardSwish : RewritePass<Node>
{
    public override string Name => "split-hard-swish";

    public override string Description => "Writes HardSwish(x) as x * HardSigmoid(x) (exact) so that static INT8 runs it as integer kernels on ONNX Runtime's CPU provider.";

    public override PassKind Kind => PassKind.Quantization;

    protected override IReadOnlySet<string> AnchorOps { get; } = new HashSet<string> { "HardSwish" };

    protected override MatchResult<Node> Check(Node anchor, Model model, PassContext context) =>
        anchor.Input(0) is null ? new Fail("HardSwish without an input") : anchor;

    protected override void Rewrite(Node node, PassContext context)
    {
        var x = node.Input(0)!;
        var output = node.Output();
        var gate = Patterns.InsertBefore(node, "HardSigmoid", [x], output.Name + "_gate",
            [Onnx.IR.Attribute.FromFloat("alpha", 1f / 6), Onnx.IR.Attribute.FromFloat("beta", 0.5f)]);
        gate.Output().Type = x.Type;
        var product = Patterns.InsertBefore(node, "Mul", [x, gate.Output()], output.Name + "_split");
        context.Step("HardSwish written as x * HardSigmoid(x)", node);
        Patterns.Replace(output, product.Output());
        Patterns.RemoveIfUnused(node);
    }
}
